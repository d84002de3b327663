#include "domain/id.h"

#include <gtest/gtest.h>

#include <type_traits>

#include "core/testing/fakes.h"

namespace mxauth::domain {
namespace {

TEST(IdTest, ParsesAUlid) {
  test::SeededRng rng(1);
  test::FakeClock clock;
  std::string ulid = core::newUlid(rng, clock);

  auto id = UserId::parse(ulid);

  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->str(), ulid);
}

TEST(IdTest, RefusesTextThatIsNotAUlid) {
  EXPECT_FALSE(UserId::parse("").has_value());
  EXPECT_FALSE(UserId::parse("not-a-ulid").has_value());
  EXPECT_FALSE(UserId::parse("01HZZZZZZZZZZZZZZZZZZZZZZU").has_value());  // 'U' is not Crockford
}

TEST(IdTest, IdsOfDifferentKindsAreDistinctTypes) {
  EXPECT_FALSE((std::is_convertible_v<UserId, UserEmailId>));
  EXPECT_FALSE((std::is_convertible_v<std::string, UserId>));
}

TEST(IdTest, ComparesByValue) {
  EXPECT_EQ(UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_LT(UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), UserId("01ARZ3NDEKTSV4RRFFQ69G5FAW"));
}

}  // namespace
}  // namespace mxauth::domain
