#include "web/password_rules.h"

#include <gtest/gtest.h>

namespace mxauth::web {
namespace {

TEST(PasswordRulesTest, AcceptsAReasonablePassword) {
  EXPECT_EQ(passwordProblem("correct horse battery", "alice"), std::nullopt);
}

TEST(PasswordRulesTest, RefusesFewerThanEightCharacters) {
  EXPECT_TRUE(passwordProblem("Ab1!xyz", "alice").has_value());
  // Eight characters of two bytes each are eight characters.
  EXPECT_EQ(passwordProblem("ééééééé\xc3\xa0", "alice"), std::nullopt);
  EXPECT_TRUE(passwordProblem("éééé", "alice").has_value());
}

TEST(PasswordRulesTest, RefusesOneRepeatedCharacter) {
  EXPECT_TRUE(passwordProblem("aaaaaaaaaaaa", "alice").has_value());
}

TEST(PasswordRulesTest, RefusesTheUsername) {
  EXPECT_TRUE(passwordProblem("AliceSmith", "alicesmith").has_value());
}

TEST(PasswordRulesTest, RefusesCommonPasswordsWhateverTheCase) {
  EXPECT_TRUE(passwordProblem("password", "alice").has_value());
  EXPECT_TRUE(passwordProblem("PassWord123", "alice").has_value());
  EXPECT_TRUE(passwordProblem("12345678", "alice").has_value());
}

}  // namespace
}  // namespace mxauth::web
