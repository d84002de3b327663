#include "web/navigation.h"

#include <gtest/gtest.h>

namespace mxauth::web {
namespace {

TEST(SafeLocalPathTest, AcceptsPathsOnThisServer) {
  EXPECT_EQ(safeLocalPath("/account/"), "/account/");
  EXPECT_EQ(safeLocalPath("/authorize/continue?id=01J0&x=1"), "/authorize/continue?id=01J0&x=1");
}

TEST(SafeLocalPathTest, RefusesEveryFormOfAnotherHost) {
  EXPECT_EQ(safeLocalPath("https://evil.example/"), std::nullopt);
  EXPECT_EQ(safeLocalPath("//evil.example/"), std::nullopt);
  EXPECT_EQ(safeLocalPath("/\\evil.example/"), std::nullopt);
  EXPECT_EQ(safeLocalPath("/a\\b"), std::nullopt);
  EXPECT_EQ(safeLocalPath("javascript:alert(1)"), std::nullopt);
  EXPECT_EQ(safeLocalPath("/a\r\nSet-Cookie: x=1"), std::nullopt);
  EXPECT_EQ(safeLocalPath("/\tevil"), std::nullopt);
  EXPECT_EQ(safeLocalPath(""), std::nullopt);
  EXPECT_EQ(safeLocalPath("/" + std::string(3000, 'a')), std::nullopt);
}

TEST(PreferredLanguagesTest, OrdersByQualityThenPosition) {
  EXPECT_EQ(preferredLanguages("de;q=0.5, fr-CA, fr;q=0.9, en;q=0.9, *;q=0.1"),
            (std::vector<std::string>{"fr-ca", "fr", "en", "de"}));
}

TEST(PreferredLanguagesTest, DropsZeroQualityAndMalformedEntries) {
  EXPECT_EQ(preferredLanguages("en;q=0, <script>, fr;q=2, de;q=abc, it"),
            (std::vector<std::string>{"it"}));
  EXPECT_TRUE(preferredLanguages("").empty());
}

}  // namespace
}  // namespace mxauth::web
