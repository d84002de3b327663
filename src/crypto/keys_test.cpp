#include "crypto/keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <string>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

constexpr SigningAlgorithm kAllAlgorithms[] = {SigningAlgorithm::Rs256, SigningAlgorithm::Es256,
                                               SigningAlgorithm::EdDsa};

// RFC 7638 §3.1's example RSA key and its thumbprint.
constexpr std::string_view kRfc7638N =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
    "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
    "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
    "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
constexpr std::string_view kRfc7638Thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// RFC 8037 Appendix A: an Ed25519 key, its thumbprint and a signature.
constexpr std::string_view kRfc8037D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr std::string_view kRfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr std::string_view kRfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
constexpr std::string_view kRfc8037SigningInput =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr std::string_view kRfc8037Signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

std::string pemOf(EVP_PKEY* pkey, const EVP_CIPHER* cipher = nullptr, const char* pass = nullptr) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, pkey, cipher, nullptr, 0, nullptr, const_cast<char*>(pass));
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  return pem;
}

std::string rfc8037Pem() {
  std::string d = core::base64UrlDecode(kRfc8037D).value();
  return pemOf(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size()));
}

TEST(KeysTest, AlgorithmNamesRoundTripAndNoneIsUnknown) {
  for (SigningAlgorithm algorithm : kAllAlgorithms) {
    EXPECT_EQ(algorithmFromName(algorithmName(algorithm)), algorithm);
  }
  EXPECT_EQ(algorithmFromName("none"), std::nullopt);
  EXPECT_EQ(algorithmFromName("HS256"), std::nullopt);
  EXPECT_EQ(algorithmFromName("rs256"), std::nullopt);
}

TEST(KeysTest, ThumbprintMatchesRfc7638Example) {
  boost::json::object jwk{
      {"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}, {"alg", "RS256"}, {"kid", "2011-04-29"}};
  EXPECT_EQ(jwkThumbprint(jwk).value(), kRfc7638Thumbprint);
}

TEST(KeysTest, ImportedJwkWithoutKidGetsItsThumbprintAsKid) {
  boost::json::object jwk{{"kty", "RSA"}, {"n", kRfc7638N}, {"e", "AQAB"}};
  auto key = PublicKey::fromJwk(jwk);
  ASSERT_TRUE(key.has_value()) << key.error().detail;
  EXPECT_EQ(key->kid(), kRfc7638Thumbprint);
  EXPECT_EQ(key->algorithm(), SigningAlgorithm::Rs256);
  EXPECT_EQ(key->jwk().at("n").as_string(), kRfc7638N);
}

TEST(KeysTest, Ed25519KeyMatchesRfc8037ThumbprintAndSignature) {
  auto key = SigningKey::fromPem(rfc8037Pem());
  ASSERT_TRUE(key.has_value()) << key.error().detail;

  EXPECT_EQ(key->algorithm(), SigningAlgorithm::EdDsa);
  EXPECT_EQ(key->kid(), kRfc8037Thumbprint);
  EXPECT_EQ(key->publicKey().jwk().at("x").as_string(), kRfc8037X);
  EXPECT_EQ(core::base64UrlEncode(key->sign(kRfc8037SigningInput).value()), kRfc8037Signature);
}

TEST(KeysTest, GeneratedKeysSignVerifyAndSurvivePkcs8RoundTrip) {
  for (SigningAlgorithm algorithm : kAllAlgorithms) {
    auto key = SigningKey::generate(algorithm);
    ASSERT_TRUE(key.has_value()) << key.error().detail;
    auto pem = key->privateKeyPem();
    ASSERT_TRUE(pem.has_value());
    EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);

    auto reloaded = SigningKey::fromPem(*pem);
    ASSERT_TRUE(reloaded.has_value());
    EXPECT_EQ(reloaded->kid(), key->kid());
    EXPECT_EQ(reloaded->algorithm(), algorithm);
    EXPECT_EQ(key->kid().size(), 43u);

    std::string signature = key->sign("data").value();
    EXPECT_TRUE(reloaded->publicKey().verify("data", signature));
    EXPECT_FALSE(reloaded->publicKey().verify("datb", signature));
  }
}

TEST(KeysTest, SignatureSizesAreThoseOfJws) {
  EXPECT_EQ(SigningKey::generate(SigningAlgorithm::Rs256)->sign("x")->size(), 256u);
  EXPECT_EQ(SigningKey::generate(SigningAlgorithm::Es256)->sign("x")->size(), 64u);
  EXPECT_EQ(SigningKey::generate(SigningAlgorithm::EdDsa)->sign("x")->size(), 64u);
}

TEST(KeysTest, PublicJwkHasOnlyPublicMembers) {
  auto rsa = SigningKey::generate(SigningAlgorithm::Rs256).value().publicKey().jwk();
  auto ec = SigningKey::generate(SigningAlgorithm::Es256).value().publicKey().jwk();
  auto ed = SigningKey::generate(SigningAlgorithm::EdDsa).value().publicKey().jwk();

  EXPECT_EQ(rsa.size(), 6u);  // kty kid use alg n e
  EXPECT_EQ(rsa.at("kty").as_string(), "RSA");
  EXPECT_EQ(rsa.at("e").as_string(), "AQAB");
  EXPECT_EQ(rsa.at("use").as_string(), "sig");
  EXPECT_EQ(rsa.at("alg").as_string(), "RS256");
  EXPECT_EQ(ec.size(), 7u);  // kty kid use alg crv x y
  EXPECT_EQ(ec.at("crv").as_string(), "P-256");
  EXPECT_EQ(ec.at("x").as_string().size(), 43u);
  EXPECT_EQ(ed.size(), 6u);  // kty kid use alg crv x
  EXPECT_EQ(ed.at("kty").as_string(), "OKP");
  EXPECT_EQ(ed.at("crv").as_string(), "Ed25519");
  EXPECT_EQ(ed.at("alg").as_string(), "EdDSA");
  for (const auto* jwk : {&rsa, &ec, &ed}) {
    EXPECT_FALSE(jwk->contains("d"));
    EXPECT_FALSE(jwk->contains("p"));
  }
}

TEST(KeysTest, ExportedJwkImportsToTheSameKey) {
  for (SigningAlgorithm algorithm : kAllAlgorithms) {
    auto key = SigningKey::generate(algorithm).value();
    auto imported = PublicKey::fromJwk(key.publicKey().jwk());
    ASSERT_TRUE(imported.has_value()) << imported.error().detail;
    EXPECT_EQ(imported->kid(), key.kid());
    EXPECT_TRUE(imported->verify("m", key.sign("m").value()));
  }
}

TEST(KeysTest, RejectsGarbageAndEncryptedPem) {
  EXPECT_EQ(SigningKey::fromPem("").error().code, KeyErrorCode::InvalidKey);
  EXPECT_EQ(SigningKey::fromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .error()
                .code,
            KeyErrorCode::InvalidKey);
  std::string encrypted =
      pemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_aes_256_cbc(), "passphrase");
  ASSERT_NE(encrypted.find("ENCRYPTED"), std::string::npos);
  EXPECT_EQ(SigningKey::fromPem(encrypted).error().code, KeyErrorCode::InvalidKey);
}

TEST(KeysTest, RejectsWeakOrUnsupportedKeys) {
  std::string rsa1024 =
      pemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
  std::string p384 = pemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  std::string x25519 = pemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  EXPECT_EQ(SigningKey::fromPem(rsa1024).error().code, KeyErrorCode::UnsupportedKey);
  EXPECT_EQ(SigningKey::fromPem(p384).error().code, KeyErrorCode::UnsupportedKey);
  EXPECT_EQ(SigningKey::fromPem(x25519).error().code, KeyErrorCode::UnsupportedKey);
}

TEST(KeysTest, RejectsBadJwks) {
  auto ec = SigningKey::generate(SigningAlgorithm::Es256).value().publicKey().jwk();
  boost::json::object off_curve = ec;
  off_curve["y"] = ec.at("x");  // (x, x) is not on P-256 for any x we will meet
  boost::json::object wrong_alg = ec;
  wrong_alg["alg"] = "RS256";
  boost::json::object no_x = ec;
  no_x.erase("x");

  EXPECT_EQ(PublicKey::fromJwk(off_curve).error().code, KeyErrorCode::InvalidKey);
  EXPECT_EQ(PublicKey::fromJwk(wrong_alg).error().code, KeyErrorCode::UnsupportedKey);
  EXPECT_EQ(PublicKey::fromJwk(no_x).error().code, KeyErrorCode::InvalidKey);
  EXPECT_EQ(PublicKey::fromJwk(boost::json::object{{"kty", "oct"}, {"k", "AAAA"}}).error().code,
            KeyErrorCode::UnsupportedKey);
  EXPECT_FALSE(PublicKey::fromJwk(boost::json::object{{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}})
                   .has_value());
}

}  // namespace
}  // namespace mxauth::crypto
