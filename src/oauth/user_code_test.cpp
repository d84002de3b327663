#include "oauth/user_code.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "core/testing/fakes.h"

namespace mxauth::oauth {
namespace {

TEST(UserCodeTest, CodesAreEightLettersOfTheAlphabetDrawnEvenly) {
  mxauth::test::SeededRng rng(7);
  std::map<char, int> counts;
  std::set<std::string> codes;
  constexpr int kCodes = 20000;
  for (int i = 0; i < kCodes; ++i) {
    const std::string code = generateUserCode(rng);
    ASSERT_EQ(code.size(), kUserCodeLength);
    for (const char c : code) {
      ASSERT_NE(kUserCodeAlphabet.find(c), std::string_view::npos) << code;
      ++counts[c];
    }
    codes.insert(code);
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(kCodes));
  // 160,000 letters over 20: 8,000 each; a biased draw would be far off.
  ASSERT_EQ(counts.size(), kUserCodeAlphabet.size());
  for (const auto& [letter, count] : counts) {
    EXPECT_GT(count, 7500) << letter;
    EXPECT_LT(count, 8500) << letter;
  }
}

TEST(UserCodeTest, TheAlphabetHasNoVowelsDigitsOrLookAlikes) {
  EXPECT_EQ(kUserCodeAlphabet.size(), 20u);
  for (const char c : std::string_view("AEIOUY01")) {
    EXPECT_EQ(kUserCodeAlphabet.find(c), std::string_view::npos) << c;
  }
}

TEST(UserCodeTest, TypedCodesAreNormalisedTheWayPeopleTypeThem) {
  EXPECT_EQ(normalizeUserCode("BCDF-GHJK"), "BCDFGHJK");
  EXPECT_EQ(normalizeUserCode("bcdf ghjk"), "BCDFGHJK");
  EXPECT_EQ(normalizeUserCode("  bcdfghjk\t"), "BCDFGHJK");
  EXPECT_EQ(normalizeUserCode("B-C-D-F-G-H-J-K"), "BCDFGHJK");
}

TEST(UserCodeTest, AnythingElseIsNotACode) {
  for (const std::string_view typed :
       {"", "BCDFGHJ", "BCDFGHJKL", "BCDFGHJA", "BCDF_GHJK", "BCDFGHJ1", "bcdfghj\xc3\xa9",
        "----------------------------------------BCDFGHJK"}) {
    EXPECT_EQ(normalizeUserCode(typed), std::nullopt) << typed;
  }
}

TEST(UserCodeTest, CodesAreShownInTwoGroups) {
  EXPECT_EQ(displayUserCode("BCDFGHJK"), "BCDF-GHJK");
  EXPECT_EQ(displayUserCode("BCD"), "BCD");
}

}  // namespace
}  // namespace mxauth::oauth
