#include "crypto/jwk_set.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

constexpr std::string_view kClaims = R"({"iss":"client"})";

class JwkSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new SigningKey(SigningKey::generate(SigningAlgorithm::Rs256).value());
    ec_ = new SigningKey(SigningKey::generate(SigningAlgorithm::Es256).value());
    ed_ = new SigningKey(SigningKey::generate(SigningAlgorithm::EdDsa).value());
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete ec_;
    delete ed_;
  }

  // {"keys": [...]} of the public halves, each JWK as KeySet publishes it
  // but without "alg" unless `with_alg` names one.
  static std::string setOf(std::initializer_list<const SigningKey*> keys,
                           std::string_view with_alg = "") {
    boost::json::array list;
    for (const SigningKey* key : keys) {
      boost::json::object jwk = key->publicKey().jwk();
      jwk.erase("alg");
      if (!with_alg.empty()) jwk["alg"] = with_alg;
      list.emplace_back(std::move(jwk));
    }
    return boost::json::serialize(boost::json::object{{"keys", std::move(list)}});
  }

  // A compact JWS with this header, signed by `signer` (PS256 when asked).
  static std::string signedBy(const SigningKey& signer, std::string_view header_json,
                              bool pss = false) {
    std::string input = core::base64UrlEncode(header_json) + "." + core::base64UrlEncode(kClaims);
    std::string signature =
        pss ? signer.signPs256ForTesting(input).value() : signer.sign(input).value();
    return input + "." + core::base64UrlEncode(signature);
  }

  static std::vector<JwkSetKey> parsed(const std::string& json) {
    return parseJwkSet(std::string_view(json)).value();
  }

  static inline SigningKey* rsa_ = nullptr;
  static inline SigningKey* ec_ = nullptr;
  static inline SigningKey* ed_ = nullptr;
};

TEST_F(JwkSetTest, VerifiesEveryAsymmetricAlgorithmWithAKeyOfItsType) {
  std::vector<JwkSetKey> keys = parsed(setOf({rsa_, ec_, ed_}));
  ASSERT_EQ(keys.size(), 3u);

  struct Case {
    const SigningKey* key;
    std::string alg;
    bool pss;
  };
  for (const Case& c :
       {Case{rsa_, "RS256", false}, Case{rsa_, "PS256", true}, Case{ec_, "ES256", false},
        Case{ed_, "EdDSA", false}, Case{ed_, "Ed25519", false}}) {
    std::string compact = signedBy(*c.key, R"({"alg":")" + c.alg + R"("})", c.pss);
    auto checked = verifyWithJwkSet(compact, keys, kAsymmetricJwsAlgorithms);
    ASSERT_TRUE(checked.has_value()) << c.alg << ": " << describe(checked.error());
    EXPECT_EQ(jwsAlgorithmName(checked->algorithm), c.alg);
    EXPECT_EQ(checked->payload, kClaims);
    EXPECT_EQ(checked->kid, c.key->kid());
  }
}

TEST_F(JwkSetTest, FindsTheKeyByKid) {
  std::vector<JwkSetKey> keys = parsed(setOf({ec_, rsa_}));
  std::string compact = signedBy(*rsa_, R"({"alg":"RS256","kid":")" + rsa_->kid() + R"("})");
  EXPECT_TRUE(verifyWithJwkSet(compact, keys, kAsymmetricJwsAlgorithms).has_value());

  std::string unknown = signedBy(*rsa_, R"({"alg":"RS256","kid":"other"})");
  EXPECT_EQ(verifyWithJwkSet(unknown, keys, kAsymmetricJwsAlgorithms).error(),
            JwsError::KeyNotFound);
}

TEST_F(JwkSetTest, RefusesNoneUnknownAndDisallowedAlgorithms) {
  std::vector<JwkSetKey> keys = parsed(setOf({rsa_}));
  std::string none =
      core::base64UrlEncode(R"({"alg":"none"})") + "." + core::base64UrlEncode(kClaims) + ".";
  EXPECT_EQ(verifyWithJwkSet(none, keys, kAsymmetricJwsAlgorithms).error(),
            JwsError::UnsupportedAlgorithm);
  EXPECT_EQ(verifyWithSecret(none, "secret", kHmacJwsAlgorithms).error(),
            JwsError::UnsupportedAlgorithm);

  std::string rs = signedBy(*rsa_, R"({"alg":"RS256"})");
  const JwsAlgorithm only_es[] = {JwsAlgorithm::Es256};
  EXPECT_EQ(verifyWithJwkSet(rs, keys, only_es).error(), JwsError::AlgorithmNotAllowed);
}

TEST_F(JwkSetTest, RefusesAnAlgorithmThatDoesNotMatchTheKeyType) {
  // An RS256 signature presented as ES256 against an RSA-only set; an
  // RS256 one against a JWK that says PS256; HS256 against a public key.
  std::vector<JwkSetKey> rsa_only = parsed(setOf({rsa_}));
  std::string as_es = signedBy(*rsa_, R"({"alg":"ES256"})");
  EXPECT_EQ(verifyWithJwkSet(as_es, rsa_only, kAsymmetricJwsAlgorithms).error(),
            JwsError::KeyNotFound);

  std::vector<JwkSetKey> pss_only = parsed(setOf({rsa_}, "PS256"));
  std::string rs = signedBy(*rsa_, R"({"alg":"RS256","kid":")" + rsa_->kid() + R"("})");
  EXPECT_EQ(verifyWithJwkSet(rs, pss_only, kAsymmetricJwsAlgorithms).error(),
            JwsError::KeyMismatch);

  const JwsAlgorithm every[] = {JwsAlgorithm::Rs256, JwsAlgorithm::Hs256};
  std::string hs = signWithSecretForTesting(JwsAlgorithm::Hs256, "secret", {}, kClaims).value();
  EXPECT_EQ(verifyWithJwkSet(hs, rsa_only, every).error(), JwsError::KeyMismatch);
}

TEST_F(JwkSetTest, RefusesASignatureByAnotherKey) {
  SigningKey other = SigningKey::generate(SigningAlgorithm::EdDsa).value();
  std::vector<JwkSetKey> keys = parsed(setOf({ed_}));
  std::string compact = signedBy(other, R"({"alg":"EdDSA"})");
  EXPECT_EQ(verifyWithJwkSet(compact, keys, kAsymmetricJwsAlgorithms).error(),
            JwsError::BadSignature);
}

TEST_F(JwkSetTest, VerifiesHmacWithTheSecretOnly) {
  for (JwsAlgorithm algorithm : kHmacJwsAlgorithms) {
    std::string compact = signWithSecretForTesting(algorithm, "s3cret", {}, kClaims).value();
    auto checked = verifyWithSecret(compact, "s3cret", kHmacJwsAlgorithms);
    ASSERT_TRUE(checked.has_value()) << jwsAlgorithmName(algorithm);
    EXPECT_EQ(checked->algorithm, algorithm);
    EXPECT_EQ(verifyWithSecret(compact, "s3creT", kHmacJwsAlgorithms).error(),
              JwsError::BadSignature);
  }
  std::string rs = signedBy(*rsa_, R"({"alg":"RS256"})");
  const JwsAlgorithm every[] = {JwsAlgorithm::Rs256, JwsAlgorithm::Hs256};
  EXPECT_EQ(verifyWithSecret(rs, "s3cret", every).error(), JwsError::KeyMismatch);
}

TEST_F(JwkSetTest, SkipsKeysItCannotUseAndRefusesBrokenSets) {
  std::string mixed = R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})";
  EXPECT_FALSE(parseJwkSet(std::string_view(mixed)).has_value());  // symmetric material

  boost::json::object rsa = rsa_->publicKey().jwk();
  boost::json::object enc = ec_->publicKey().jwk();
  enc["use"] = "enc";
  boost::json::object unknown{{"kty", "XYZ"}};
  auto keys = parseJwkSet(boost::json::value{{"keys", boost::json::array{rsa, enc, unknown}}});
  ASSERT_TRUE(keys.has_value()) << keys.error().detail;
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].key.kid(), rsa_->kid());

  for (std::string_view broken :
       {R"({})", R"({"keys":{}})", R"([])", R"({"keys":[1]})", R"({"keys":[]})",
        R"({"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]})", "not json"}) {
    EXPECT_FALSE(parseJwkSet(broken).has_value()) << broken;
  }
  boost::json::object with_private = ed_->publicKey().jwk();
  with_private["d"] = "AAAA";
  EXPECT_FALSE(parseJwkSet(boost::json::value{{"keys", boost::json::array{with_private}}}));
  EXPECT_FALSE(parseJwkSet(boost::json::value{{"keys", boost::json::array{rsa, rsa}}}))
      << "duplicate kid";
}

TEST_F(JwkSetTest, AnEdDsaKeyAlsoVerifiesTheFullySpecifiedEd25519Name) {
  std::vector<JwkSetKey> keys = parsed(setOf({ed_}, "EdDSA"));
  std::string compact = signedBy(*ed_, R"({"alg":"Ed25519"})");
  EXPECT_TRUE(verifyWithJwkSet(compact, keys, kAsymmetricJwsAlgorithms).has_value());
  EXPECT_TRUE(isSameAlgorithm(JwsAlgorithm::Ed25519, JwsAlgorithm::EdDsa));
  EXPECT_FALSE(isSameAlgorithm(JwsAlgorithm::Rs256, JwsAlgorithm::Ps256));
}

TEST(JwsAlgorithmTest, NamesRoundTripAndNoneIsNotOne) {
  for (std::string_view name :
       {"RS256", "PS256", "ES256", "EdDSA", "Ed25519", "HS256", "HS384", "HS512"}) {
    ASSERT_TRUE(jwsAlgorithmFromName(name).has_value()) << name;
    EXPECT_EQ(jwsAlgorithmName(*jwsAlgorithmFromName(name)), name);
  }
  EXPECT_FALSE(jwsAlgorithmFromName("none").has_value());
  EXPECT_FALSE(jwsAlgorithmFromName("hs256").has_value());
}

}  // namespace
}  // namespace mxauth::crypto
