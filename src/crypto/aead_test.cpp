#include "crypto/aead.h"

#include <gtest/gtest.h>

#include <string>

#include "core/encoding.h"
#include "core/testing/fakes.h"

namespace mxauth::crypto {
namespace {

const std::string kSecretHex = std::string(64, 'a');
const std::string kOtherSecretHex =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST(AeadTest, SealedValueOpensWithTheSameAssociatedData) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(1);

  std::string sealed = aead.seal(rng, "session=42", "cookie:session");

  EXPECT_EQ(aead.open(sealed, "cookie:session").value(), "session=42");
  EXPECT_EQ(sealed.find("session=42"), std::string::npos);
  EXPECT_EQ(
      sealed.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(AeadTest, EmptyPlaintextRoundTrips) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(2);
  EXPECT_EQ(aead.open(aead.seal(rng, "", ""), "").value(), "");
}

TEST(AeadTest, SealingTwiceGivesDifferentCiphertexts) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(3);
  EXPECT_NE(aead.seal(rng, "same", ""), aead.seal(rng, "same", ""));
}

TEST(AeadTest, RejectsOtherAssociatedData) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(4);
  std::string sealed = aead.seal(rng, "value", "cookie:a");
  EXPECT_EQ(aead.open(sealed, "cookie:b").error(), AeadError::AuthenticationFailed);
}

TEST(AeadTest, RejectsEveryFlippedByte) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(5);
  std::string raw = core::base64UrlDecode(aead.seal(rng, "value", "")).value();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string tampered = raw;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    auto opened = aead.open(core::base64UrlEncode(tampered), "");
    ASSERT_FALSE(opened.has_value()) << "byte " << i;
    // Byte 0 is the key id: flipping it names a key we do not have.
    EXPECT_EQ(opened.error(), i == 0 ? AeadError::UnknownKey : AeadError::AuthenticationFailed);
  }
}

TEST(AeadTest, RejectsMalformedInput) {
  auto aead = Aead::fromHexSecret(kSecretHex).value();
  EXPECT_EQ(aead.open("", "").error(), AeadError::Malformed);
  EXPECT_EQ(aead.open("not base64!", "").error(), AeadError::Malformed);
  EXPECT_EQ(aead.open(core::base64UrlEncode(std::string(28, 'x')), "").error(),
            AeadError::Malformed);
}

TEST(AeadTest, OpensValuesSealedUnderARetiredSecret) {
  auto old_aead = Aead::fromHexSecret(kSecretHex).value();
  test::SeededRng rng(6);
  std::string sealed = old_aead.seal(rng, "value", "ad");
  auto rotated = Aead::fromHexSecret(kOtherSecretHex).value();
  std::string raw_old = core::base64UrlDecode(sealed).value();
  std::string raw_new = core::base64UrlDecode(rotated.seal(rng, "x", "")).value();
  ASSERT_NE(raw_old[0], raw_new[0]) << "the two test secrets must have different key ids";

  EXPECT_EQ(rotated.open(sealed, "ad").error(), AeadError::UnknownKey);
  rotated.addRetiredSecret(parseEncryptionSecret(kSecretHex).value());
  EXPECT_EQ(rotated.open(sealed, "ad").value(), "value");
  // New values are sealed under the current secret, not the retired one.
  std::string fresh = rotated.seal(rng, "new", "");
  EXPECT_EQ(old_aead.open(fresh, "").error(), AeadError::UnknownKey);
}

TEST(AeadTest, SecretMustBe64HexCharacters) {
  EXPECT_EQ(Aead::fromHexSecret("").error(), AeadError::InvalidSecret);
  EXPECT_EQ(Aead::fromHexSecret(std::string(62, 'a')).error(), AeadError::InvalidSecret);
  EXPECT_EQ(Aead::fromHexSecret(std::string(64, 'g')).error(), AeadError::InvalidSecret);
  test::SeededRng rng(7);
  std::string generated = generateEncryptionSecretHex(rng);
  EXPECT_EQ(generated.size(), 64u);
  EXPECT_TRUE(Aead::fromHexSecret(generated).has_value());
}

}  // namespace
}  // namespace mxauth::crypto
