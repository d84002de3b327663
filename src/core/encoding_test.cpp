#include "core/encoding.h"

#include <gtest/gtest.h>

namespace mxauth::core {
namespace {

TEST(Base64Url, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64UrlEncode(std::string_view("")), "");
  EXPECT_EQ(base64UrlEncode(std::string_view("f")), "Zg");
  EXPECT_EQ(base64UrlEncode(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64UrlEncode(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64UrlEncode(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode(std::string_view("\xfb\xff", 2)), "-_8");
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 70; ++i) {
    auto decoded = base64UrlDecode(base64UrlEncode(data));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, data);
    data += static_cast<char>(i * 37);
  }
}

TEST(Base64Url, RejectsPaddingForeignCharactersAndNonCanonicalBits) {
  EXPECT_FALSE(base64UrlDecode("Zg==").has_value());
  EXPECT_FALSE(base64UrlDecode("Zm9v+").has_value());
  EXPECT_FALSE(base64UrlDecode("Z").has_value());
  EXPECT_FALSE(base64UrlDecode("Zh").has_value());  // low bits set
}

TEST(Base64, RequiresPaddingAndStandardAlphabet) {
  EXPECT_EQ(base64Encode(std::string_view("fo")), "Zm8=");
  EXPECT_EQ(base64Decode("Zm8=").value(), "fo");
  EXPECT_FALSE(base64Decode("Zm8").has_value());
  EXPECT_FALSE(base64Decode("Zm-_").has_value());
}

TEST(Hex, RoundTripsAndRejectsOddOrForeignInput) {
  EXPECT_EQ(hexEncode(std::string_view("\x01\xab", 2)), "01ab");
  EXPECT_EQ(hexDecode("01AB").value(), std::string("\x01\xab", 2));
  EXPECT_FALSE(hexDecode("abc").has_value());
  EXPECT_FALSE(hexDecode("zz").has_value());
}

}  // namespace
}  // namespace mxauth::core
