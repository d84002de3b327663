#include "oauth/id_token.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>

#include "core/encoding.h"
#include "core/testing/fakes.h"
#include "crypto/jws.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kHintIssuer = "https://auth.example/";

crypto::KeySet hintKeys(crypto::SigningAlgorithm algorithm) {
  crypto::KeySet keys;
  auto key = crypto::SigningKey::generate(algorithm);
  EXPECT_TRUE(key.has_value());
  if (key) keys.add(std::move(*key));
  return keys;
}

IdTokenClaims hintClaims() {
  IdTokenClaims claims;
  claims.issuer = std::string(kHintIssuer);
  claims.subject = "01JGZ0000000000000000USER1";
  claims.audience = "01JGZ000000000000000CLIENT";
  claims.issued_at = mxauth::test::at("2026-01-01T00:00:00Z");
  claims.expires_at = mxauth::test::at("2026-01-01T00:05:00Z");
  claims.nonce = "n";
  return claims;
}

std::string signedHint(const crypto::KeySet& keys, crypto::SigningAlgorithm algorithm,
                       const IdTokenClaims& claims) {
  auto token = signIdToken(keys, algorithm, claims);
  EXPECT_TRUE(token.has_value());
  return token ? *token : std::string();
}

IdTokenHintError hintErrorOf(const crypto::KeySet& keys, std::string_view token) {
  auto verified = verifyIdTokenHint(keys, kHintIssuer, token);
  EXPECT_FALSE(verified.has_value()) << token;
  return verified ? IdTokenHintError::Malformed : verified.error();
}

TEST(IdTokenHintTest, AcceptsAnIdTokenWeIssuedWithEveryAlgorithmEvenLongExpired) {
  for (auto algorithm : {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256,
                         crypto::SigningAlgorithm::EdDsa}) {
    crypto::KeySet keys = hintKeys(algorithm);
    const std::string token = signedHint(keys, algorithm, hintClaims());

    auto hint = verifyIdTokenHint(keys, kHintIssuer, token);

    ASSERT_TRUE(hint.has_value()) << describe(hint.error());
    EXPECT_EQ(hint->subject, "01JGZ0000000000000000USER1");
    EXPECT_EQ(hint->audience, "01JGZ000000000000000CLIENT");
    EXPECT_EQ(hint->algorithm, algorithm);
  }
}

TEST(IdTokenHintTest, RefusesATokenSignedByAnotherServersKey) {
  crypto::KeySet ours = hintKeys(crypto::SigningAlgorithm::EdDsa);
  crypto::KeySet theirs = hintKeys(crypto::SigningAlgorithm::EdDsa);

  const std::string token = signedHint(theirs, crypto::SigningAlgorithm::EdDsa, hintClaims());

  EXPECT_EQ(hintErrorOf(ours, token), IdTokenHintError::BadSignature);
}

TEST(IdTokenHintTest, RefusesATokenOfAnotherIssuerEvenWithOurSignature) {
  crypto::KeySet keys = hintKeys(crypto::SigningAlgorithm::Es256);
  IdTokenClaims claims = hintClaims();
  claims.issuer = "https://auth.example";  // no trailing slash: not byte for byte

  EXPECT_EQ(hintErrorOf(keys, signedHint(keys, crypto::SigningAlgorithm::Es256, claims)),
            IdTokenHintError::WrongIssuer);
}

TEST(IdTokenHintTest, RefusesATokenWhosePayloadWasChanged) {
  crypto::KeySet keys = hintKeys(crypto::SigningAlgorithm::EdDsa);
  const std::string token = signedHint(keys, crypto::SigningAlgorithm::EdDsa, hintClaims());
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  const std::string forged_payload = core::base64UrlEncode(
      R"({"iss":"https://auth.example/","sub":"01JGZ00000000000000VICTIM","aud":"x"})");

  const std::string forged = token.substr(0, first + 1) + forged_payload + token.substr(second);

  EXPECT_EQ(hintErrorOf(keys, forged), IdTokenHintError::BadSignature);
}

TEST(IdTokenHintTest, RefusesUnsignedAndMalformedTokens) {
  crypto::KeySet keys = hintKeys(crypto::SigningAlgorithm::EdDsa);
  const std::string unsigned_token =
      core::base64UrlEncode(R"({"alg":"none"})") + "." +
      core::base64UrlEncode(R"({"iss":"https://auth.example/","sub":"u","aud":"c"})") + ".";

  EXPECT_EQ(hintErrorOf(keys, unsigned_token), IdTokenHintError::Malformed);
  for (std::string_view token : {"", "not-a-jwt", "a.b", "a.b.c.d", "!!.??.##"}) {
    EXPECT_EQ(hintErrorOf(keys, token), IdTokenHintError::Malformed) << token;
  }
  EXPECT_EQ(hintErrorOf(keys, std::string(100000, 'a')), IdTokenHintError::Malformed);
}

TEST(IdTokenHintTest, RefusesASignedTokenWithoutSubjectOrAudience) {
  crypto::KeySet keys = hintKeys(crypto::SigningAlgorithm::EdDsa);
  const crypto::SigningKey& key = keys.keys().front();
  for (const boost::json::object& payload :
       {boost::json::object{{"iss", kHintIssuer}, {"aud", "c"}},
        boost::json::object{{"iss", kHintIssuer}, {"sub", "u"}},
        boost::json::object{{"iss", kHintIssuer}, {"sub", ""}, {"aud", "c"}},
        boost::json::object{{"iss", kHintIssuer}, {"sub", "u"}, {"aud", boost::json::array{"c"}}},
        boost::json::object{{"iss", kHintIssuer}, {"sub", 7}, {"aud", "c"}}}) {
    auto token = crypto::signJson(key, boost::json::object{{"typ", "JWT"}}, payload);
    ASSERT_TRUE(token.has_value());

    EXPECT_EQ(hintErrorOf(keys, *token), IdTokenHintError::MissingClaims);
  }
}

}  // namespace
}  // namespace mxauth::oauth
