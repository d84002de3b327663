#include "domain/user.h"

#include <gtest/gtest.h>

#include "core/testing/fakes.h"

namespace mxauth::domain {
namespace {

User activeUser() {
  return User{UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
              "alice",
              test::at("2026-01-01T00:00:00Z"),
              std::nullopt,
              std::nullopt,
              false,
              std::nullopt};
}

TEST(UserTest, AFreshUserIsActiveAndCanLogIn) {
  User user = activeUser();

  EXPECT_TRUE(user.isActive());
  EXPECT_FALSE(user.isLocked());
  EXPECT_TRUE(user.canLogIn());
}

TEST(UserTest, ALockedUserIsStillActiveButCannotLogIn) {
  User user = activeUser();
  user.locked_at = test::at("2026-01-02T00:00:00Z");

  EXPECT_TRUE(user.isActive());
  EXPECT_FALSE(user.canLogIn());
}

TEST(UserTest, ADeactivatedUserIsInactiveAndCannotLogIn) {
  User user = activeUser();
  user.deactivated_at = test::at("2026-01-02T00:00:00Z");

  EXPECT_FALSE(user.isActive());
  EXPECT_FALSE(user.canLogIn());
}

TEST(UserTest, AnEmailIsConfirmedOnlyOnceItHasAConfirmationTime) {
  UserEmail email{UserEmailId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), activeUser().id, "a@example.org",
                  test::at("2026-01-01T00:00:00Z"), std::nullopt};
  EXPECT_FALSE(email.isConfirmed());

  email.confirmed_at = test::at("2026-01-01T00:05:00Z");

  EXPECT_TRUE(email.isConfirmed());
}

}  // namespace
}  // namespace mxauth::domain
