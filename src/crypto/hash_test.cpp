#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <string>

#include "core/encoding.h"
#include "core/testing/fakes.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"

namespace mxauth::crypto {
namespace {

TEST(HashTest, Sha256MatchesFips180Vector) {
  // FIPS 180-2 Appendix B.1: SHA-256("abc").
  EXPECT_EQ(core::hexEncode(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(core::hexEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, DerivedKeysDifferByPurposeAndAreStable) {
  std::string secret(32, 'k');
  auto a = deriveKey(core::asBytes(secret), "cookies");
  auto b = deriveKey(core::asBytes(secret), "csrf");
  EXPECT_NE(a, b);
  EXPECT_EQ(a, deriveKey(core::asBytes(secret), "cookies"));
  EXPECT_EQ(a, hmacSha256(secret, "mxauth:cookies"));
}

TEST(ConstantTimeTest, ComparesContentsAndLengths) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("Secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_FALSE(constantTimeEquals("", "x"));
}

TEST(RandomTest, RandomBytesComeFromTheGivenRng) {
  test::SeededRng a(5);
  test::SeededRng b(5);
  EXPECT_EQ(randomBytes(a, 32), randomBytes(b, 32));
  EXPECT_EQ(randomBytes(a, 17).size(), 17u);
  std::string text = randomUrlSafeString(a, 32);
  EXPECT_EQ(text.size(), 43u);
  EXPECT_EQ(
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

}  // namespace
}  // namespace mxauth::crypto
