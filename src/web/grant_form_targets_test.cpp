#include "web/grant_form_targets.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::web {
namespace {

domain::AuthorizationGrantId grantNumber(int n) {
  std::string id = "01J0000000000000000000";
  id += std::to_string(1000 + n);
  return domain::AuthorizationGrantId(id);
}

TEST(GrantFormTargetsTest, RemembersASourcePerGrantAndForgetsTheOldestPastCapacity) {
  GrantFormTargets targets(3);
  for (int i = 0; i < 4; ++i) {
    targets.remember(grantNumber(i), "https://app" + std::to_string(i) + ".example");
  }

  EXPECT_EQ(targets.size(), 3u);
  EXPECT_FALSE(targets.find(grantNumber(0)).has_value()) << "the oldest goes first";
  EXPECT_EQ(targets.find(grantNumber(1)), "https://app1.example");
  EXPECT_EQ(targets.find(grantNumber(3)), "https://app3.example");
  EXPECT_FALSE(targets.find(grantNumber(7)).has_value());
}

TEST(GrantFormTargetsTest, RememberingAGrantAgainReplacesItsSourceWithoutGrowing) {
  GrantFormTargets targets(2);
  targets.remember(grantNumber(1), "https://old.example");
  targets.remember(grantNumber(1), "https://new.example");
  targets.remember(grantNumber(2), "https://other.example");

  EXPECT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets.find(grantNumber(1)), "https://new.example");
  EXPECT_EQ(targets.find(grantNumber(2)), "https://other.example");
}

TEST(GrantFormTargetsTest, ZeroCapacityRemembersNothing) {
  GrantFormTargets targets(0);
  targets.remember(grantNumber(1), "https://app.example");
  EXPECT_EQ(targets.size(), 0u);
  EXPECT_FALSE(targets.find(grantNumber(1)).has_value());
}

}  // namespace
}  // namespace mxauth::web
