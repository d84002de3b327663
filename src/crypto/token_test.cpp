#include "crypto/token.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

#include "core/testing/fakes.h"

namespace mxauth::crypto {
namespace {

constexpr TokenType kAllTypes[] = {TokenType::AccessToken, TokenType::RefreshToken,
                                   TokenType::CompatAccessToken, TokenType::CompatRefreshToken,
                                   TokenType::PersonalToken};

// Golden vectors: CRC-32 of "<prefix>_0123456789ABCDEFGHIJabcdefghij" from
// Python's zlib.crc32, written in base62 as MAS does (least significant digit
// first, left-padded with '0'). The "mat" and "mcr" ones need the padding.
TEST(TokenTest, ChecksumMatchesGoldenVectorsForEveryPrefix) {
  const std::string random = "0123456789ABCDEFGHIJabcdefghij";
  EXPECT_EQ(tokenChecksum("mat_" + random), "0WADMv");
  EXPECT_EQ(tokenChecksum("mar_" + random), "5tcYG2");
  EXPECT_EQ(tokenChecksum("mct_" + random), "o2QIk1");
  EXPECT_EQ(tokenChecksum("mcr_" + random), "0LiXBP");
  EXPECT_EQ(tokenChecksum("mpt_" + random), "xPOl34");
  EXPECT_EQ(tokenChecksum("mat_000000000000000000000000000003"), "0EGadl");
}

TEST(TokenTest, ParsesGoldenTokensToTheirTypes) {
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij_0WADMv").value(),
            TokenType::AccessToken);
  EXPECT_EQ(parseToken("mar_0123456789ABCDEFGHIJabcdefghij_5tcYG2").value(),
            TokenType::RefreshToken);
  EXPECT_EQ(parseToken("mct_0123456789ABCDEFGHIJabcdefghij_o2QIk1").value(),
            TokenType::CompatAccessToken);
  EXPECT_EQ(parseToken("mcr_0123456789ABCDEFGHIJabcdefghij_0LiXBP").value(),
            TokenType::CompatRefreshToken);
  EXPECT_EQ(parseToken("mpt_0123456789ABCDEFGHIJabcdefghij_xPOl34").value(),
            TokenType::PersonalToken);
}

TEST(TokenTest, GeneratedTokensHaveTheFormatAndParseBackForEveryType) {
  test::SeededRng rng(1);
  for (TokenType type : kAllTypes) {
    std::string token = generateToken(rng, type);

    ASSERT_EQ(token.size(), 41u);
    EXPECT_EQ(token.substr(0, 4), std::string(tokenPrefix(type)) + "_");
    EXPECT_EQ(token[34], '_');
    auto parsed = parseToken(token);
    ASSERT_TRUE(parsed.has_value()) << token;
    EXPECT_EQ(*parsed, type);
  }
}

TEST(TokenTest, RejectsChecksumMismatch) {
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij_0WADMw").error(),
            TokenFormatError::ChecksumMismatch);
  // One changed random character, checksum of the original.
  EXPECT_EQ(parseToken("mat_1123456789ABCDEFGHIJabcdefghij_0WADMv").error(),
            TokenFormatError::ChecksumMismatch);
  // A valid token's random part and checksum under another prefix.
  EXPECT_EQ(parseToken("mar_0123456789ABCDEFGHIJabcdefghij_0WADMv").error(),
            TokenFormatError::ChecksumMismatch);
}

TEST(TokenTest, RejectsChecksumWrittenMostSignificantDigitFirst) {
  // "0WADMv" reversed digit order would be "vMDAW0"; only MAS's order is valid.
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij_vMDAW0").error(),
            TokenFormatError::ChecksumMismatch);
}

TEST(TokenTest, RejectsWrongShapes) {
  EXPECT_EQ(parseToken("").error(), TokenFormatError::InvalidFormat);
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij").error(),
            TokenFormatError::InvalidFormat);
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij_0WADMv ").error(),
            TokenFormatError::InvalidFormat);
  EXPECT_EQ(parseToken("mat-0123456789ABCDEFGHIJabcdefghij_0WADMv").error(),
            TokenFormatError::InvalidFormat);
  EXPECT_EQ(parseToken("matt_123456789ABCDEFGHIJabcdefghij_0WADMv").error(),
            TokenFormatError::InvalidFormat);
}

TEST(TokenTest, RejectsCharactersOutsideBase62) {
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefgh_j_0WADMv").error(),
            TokenFormatError::InvalidCharacter);
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefgh-j_0WADMv").error(),
            TokenFormatError::InvalidCharacter);
  EXPECT_EQ(parseToken("mat_0123456789ABCDEFGHIJabcdefghij_0WAD+v").error(),
            TokenFormatError::InvalidCharacter);
  EXPECT_EQ(parseToken(std::string("mat_0123456789ABCDEFGHIJabcdefgh\0j_0WADMv", 41)).error(),
            TokenFormatError::InvalidCharacter);
}

TEST(TokenTest, RejectsUnknownPrefix) {
  std::string base = "syt_0123456789ABCDEFGHIJabcdefghij";
  EXPECT_EQ(parseToken(base + "_" + tokenChecksum(base)).error(), TokenFormatError::UnknownPrefix);
}

TEST(TokenTest, TenThousandTokensAreDistinct) {
  test::SeededRng rng(7);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(generateToken(rng, TokenType::AccessToken));
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(TokenTest, RandomCharactersAreUniformOverTheAlphabet) {
  test::SeededRng rng(11);
  std::array<double, 128> counts{};
  const int tokens = 10000;
  for (int i = 0; i < tokens; ++i) {
    std::string token = generateToken(rng, TokenType::RefreshToken);
    for (char c : token.substr(4, 30)) counts[static_cast<unsigned char>(c)] += 1;
  }
  const double expected = tokens * 30.0 / 62.0;
  double chi_square = 0;
  int symbols = 0;
  for (int c = 0; c < 128; ++c) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!alnum) {
      EXPECT_EQ(counts[c], 0) << "unexpected character " << c;
      continue;
    }
    ++symbols;
    chi_square += (counts[c] - expected) * (counts[c] - expected) / expected;
  }
  EXPECT_EQ(symbols, 62);
  // 61 degrees of freedom: mean 61, and 110 is beyond the 99.99th percentile.
  EXPECT_LT(chi_square, 110.0);
}

TEST(TokenTest, HashIsSha256OfTheWholeTokenString) {
  // python3: hashlib.sha256(b"mat_0123456789ABCDEFGHIJabcdefghij_0WADMv").hexdigest()
  EXPECT_EQ(tokenHashHex("mat_0123456789ABCDEFGHIJabcdefghij_0WADMv"),
            "25eb3fc25eda0458645acdc155db1cb36b1891cbc6164f56864e094a7ea7445b");
  EXPECT_EQ(tokenHash("mat_0123456789ABCDEFGHIJabcdefghij_0WADMv")[0], 0x25);
}

TEST(TokenTest, HashDoesNotContainTheToken) {
  test::SeededRng rng(3);
  std::string token = generateToken(rng, TokenType::AccessToken);
  std::string hex = tokenHashHex(token);
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.find(token.substr(4, 30)), std::string::npos);
}

}  // namespace
}  // namespace mxauth::crypto
