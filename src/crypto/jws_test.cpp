#include "crypto/jws.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>
#include <vector>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

constexpr SigningAlgorithm kAll[] = {SigningAlgorithm::Rs256, SigningAlgorithm::Es256,
                                     SigningAlgorithm::EdDsa};

class JwsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new KeySet();
    for (SigningAlgorithm algorithm : kAll) keys_->add(SigningKey::generate(algorithm).value());
  }
  static void TearDownTestSuite() {
    delete keys_;
    keys_ = nullptr;
  }
  static const SigningKey& key(SigningAlgorithm algorithm) { return *keys_->signingKey(algorithm); }

  // A compact JWS with any header, signed by `signer` over the exact input.
  static std::string forge(std::string_view header_json, std::string_view payload,
                           const SigningKey& signer) {
    std::string input = core::base64UrlEncode(header_json) + "." + core::base64UrlEncode(payload);
    return input + "." + core::base64UrlEncode(signer.sign(input).value());
  }

  // Generated once: RSA key generation is slow.
  static inline KeySet* keys_ = nullptr;
};

TEST_F(JwsTest, SignsAndVerifiesWithEveryAlgorithm) {
  for (SigningAlgorithm algorithm : kAll) {
    const SigningKey& signer = key(algorithm);
    auto compact = sign(signer, {{"typ", "JWT"}}, R"({"sub":"alice"})");
    ASSERT_TRUE(compact.has_value());

    auto verified = verify(*compact, *keys_, kAll);

    ASSERT_TRUE(verified.has_value())
        << algorithmName(algorithm) << " " << describe(verified.error());
    EXPECT_EQ(verified->payload, R"({"sub":"alice"})");
    EXPECT_EQ(verified->algorithm, algorithm);
    EXPECT_EQ(verified->kid, signer.kid());
    EXPECT_EQ(verified->header.at("typ").as_string(), "JWT");
    EXPECT_EQ(verified->header.at("alg").as_string(), algorithmName(algorithm));
    EXPECT_TRUE(verify(*compact, signer.publicKey(), kAll).has_value());
  }
}

TEST_F(JwsTest, ExtraHeaderCannotOverrideAlgOrKid) {
  const SigningKey& signer = key(SigningAlgorithm::Es256);
  auto compact = sign(signer, {{"alg", "none"}, {"kid", "other"}}, "x").value();
  auto verified = verify(compact, *keys_, kAll).value();
  EXPECT_EQ(verified.header.at("alg").as_string(), "ES256");
  EXPECT_EQ(verified.header.at("kid").as_string(), signer.kid());
}

TEST_F(JwsTest, SignJsonSerializesThePayload) {
  auto compact =
      signJson(key(SigningAlgorithm::EdDsa), {}, boost::json::object{{"iss", "https://a/"}})
          .value();
  auto verified = verify(compact, *keys_, kAll).value();
  EXPECT_EQ(boost::json::parse(verified.payload).at("iss").as_string(), "https://a/");
}

TEST_F(JwsTest, VerifiesRfc8037Example) {
  auto ed = PublicKey::fromJwk(boost::json::object{
      {"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_TRUE(ed.has_value());
  const std::string compact =
      "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
      "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

  auto verified = verify(compact, *ed, kAll);

  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->payload, "Example of Ed25519 signing");
}

TEST_F(JwsTest, RejectsTamperedPayloadAndSignature) {
  for (SigningAlgorithm algorithm : kAll) {
    std::string compact = sign(key(algorithm), {}, R"({"sub":"alice"})").value();
    std::size_t first = compact.find('.');
    std::size_t second = compact.find('.', first + 1);
    std::string other_payload = core::base64UrlEncode(R"({"sub":"mallory"})");
    std::string tampered_payload =
        compact.substr(0, first + 1) + other_payload + compact.substr(second);
    std::string signature = core::base64UrlDecode(compact.substr(second + 1)).value();
    signature[5] = static_cast<char>(signature[5] ^ 0x40);
    std::string tampered_signature =
        compact.substr(0, second + 1) + core::base64UrlEncode(signature);

    EXPECT_EQ(verify(tampered_payload, *keys_, kAll).error(), JwsError::BadSignature);
    EXPECT_EQ(verify(tampered_signature, *keys_, kAll).error(), JwsError::BadSignature);
  }
}

TEST_F(JwsTest, RejectsAlgNone) {
  std::string unsigned_jws =
      core::base64UrlEncode(R"({"alg":"none"})") + "." + core::base64UrlEncode("{}") + ".";
  EXPECT_EQ(verify(unsigned_jws, *keys_, kAll).error(), JwsError::UnsupportedAlgorithm);
  std::string no_alg = forge(R"({"typ":"JWT"})", "{}", key(SigningAlgorithm::Rs256));
  EXPECT_EQ(verify(no_alg, *keys_, kAll).error(), JwsError::UnsupportedAlgorithm);
}

TEST_F(JwsTest, RejectsSymmetricAlgorithms) {
  std::string hs = forge(R"({"alg":"HS256"})", "{}", key(SigningAlgorithm::Rs256));
  EXPECT_EQ(verify(hs, *keys_, kAll).error(), JwsError::UnsupportedAlgorithm);
}

TEST_F(JwsTest, RejectsAlgorithmConfusion) {
  const SigningKey& rsa = key(SigningAlgorithm::Rs256);
  const SigningKey& ec = key(SigningAlgorithm::Es256);
  // An RS256 header naming the EC key.
  std::string confused = forge(R"({"alg":"RS256","kid":")" + ec.kid() + R"("})", "{}", ec);
  EXPECT_EQ(verify(confused, *keys_, kAll).error(), JwsError::KeyMismatch);
  // A genuine RS256 token checked against an EC public key.
  std::string rs256 = sign(rsa, {}, "{}").value();
  EXPECT_EQ(verify(rs256, ec.publicKey(), kAll).error(), JwsError::KeyMismatch);
  // An ES256 header without kid over an RSA signature: no EC key verifies it.
  std::string es_header = forge(R"({"alg":"ES256"})", "{}", rsa);
  EXPECT_EQ(verify(es_header, *keys_, kAll).error(), JwsError::BadSignature);
}

TEST_F(JwsTest, RejectsAlgorithmsTheCallerDidNotAllow) {
  std::string ed = sign(key(SigningAlgorithm::EdDsa), {}, "{}").value();
  const SigningAlgorithm only_rs256[] = {SigningAlgorithm::Rs256};
  EXPECT_EQ(verify(ed, *keys_, only_rs256).error(), JwsError::AlgorithmNotAllowed);
}

TEST_F(JwsTest, RejectsCriticalHeaders) {
  const SigningKey& signer = key(SigningAlgorithm::Es256);
  std::string crit = forge(R"({"alg":"ES256","crit":["b64"],"b64":false})", "{}", signer);
  EXPECT_EQ(verify(crit, *keys_, kAll).error(), JwsError::UnsupportedCritical);
}

TEST_F(JwsTest, RejectsUnknownKid) {
  std::string unknown =
      forge(R"({"alg":"ES256","kid":"nope"})", "{}", key(SigningAlgorithm::Es256));
  EXPECT_EQ(verify(unknown, *keys_, kAll).error(), JwsError::KeyNotFound);
}

TEST_F(JwsTest, VerifiesWithoutKidByTryingKeysOfTheAlgorithm) {
  std::string no_kid = forge(R"({"alg":"EdDSA"})", "payload", key(SigningAlgorithm::EdDsa));
  EXPECT_EQ(verify(no_kid, *keys_, kAll).value().payload, "payload");
  KeySet rsa_only;
  rsa_only.add(key(SigningAlgorithm::Rs256));
  EXPECT_EQ(verify(no_kid, rsa_only, kAll).error(), JwsError::KeyNotFound);
}

TEST_F(JwsTest, RejectsMalformedCompactForms) {
  std::string good = sign(key(SigningAlgorithm::Es256), {}, "{}").value();
  EXPECT_EQ(verify("", *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify("abc", *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify("a.b", *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify(good + ".", *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify(good + ".extra", *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify(good + " ", *keys_, kAll).error(), JwsError::BadBase64);
  EXPECT_EQ(verify(good + "=", *keys_, kAll).error(), JwsError::BadBase64);
  EXPECT_EQ(verify("!!!." + good.substr(good.find('.') + 1), *keys_, kAll).error(),
            JwsError::BadBase64);
  std::string not_object = core::base64UrlEncode("[1]") + ".e30.AAAA";
  EXPECT_EQ(verify(not_object, *keys_, kAll).error(), JwsError::Malformed);
  std::string not_json = core::base64UrlEncode("{") + ".e30.AAAA";
  EXPECT_EQ(verify(not_json, *keys_, kAll).error(), JwsError::Malformed);
  EXPECT_EQ(verify(std::string(100'000, 'a'), *keys_, kAll).error(), JwsError::Malformed);
}

TEST_F(JwsTest, RejectsDerEncodedEs256Signature) {
  // JWS wants R || S (64 bytes); an ASN.1 DER signature must not be accepted.
  const SigningKey& ec = key(SigningAlgorithm::Es256);
  std::string compact = sign(ec, {}, "{}").value();
  std::size_t second = compact.rfind('.');
  std::string der =
      "\x30\x44\x02\x20" + std::string(32, '\x11') + "\x02\x20" + std::string(32, '\x22');
  std::string with_der = compact.substr(0, second + 1) + core::base64UrlEncode(der);
  EXPECT_EQ(verify(with_der, *keys_, kAll).error(), JwsError::BadSignature);
}

}  // namespace
}  // namespace mxauth::crypto
