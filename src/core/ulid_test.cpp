#include "core/ulid.h"

#include <gtest/gtest.h>

#include "core/testing/fakes.h"

namespace mxauth::core {
namespace {

TEST(Ulid, EncodesTheTimestampSoThatIdsSortByCreation) {
  test::FakeClock clock;
  test::SeededRng rng(1);
  std::string first = newUlid(rng, clock);
  clock.advance(std::chrono::milliseconds(1));
  std::string second = newUlid(rng, clock);
  EXPECT_TRUE(isUlid(first));
  EXPECT_TRUE(isUlid(second));
  EXPECT_LT(first.substr(0, 10), second.substr(0, 10));
}

TEST(Ulid, KnownTimestampPrefix) {
  // 2016-07-30T23:54:10.259Z = 1469922850259 ms is "01ARZ3NDEK" in the ULID spec.
  test::FakeClock clock(fromUnixMillis(1469922850259));
  test::SeededRng rng(7);
  EXPECT_EQ(newUlid(rng, clock).substr(0, 10), "01ARZ3NDEK");
}

TEST(Ulid, TheFloorOfAnInstantSortsBetweenTheIdsMadeBeforeAndAtIt) {
  test::FakeClock clock(fromUnixMillis(1469922850259));
  test::SeededRng rng(3);
  std::string before = newUlid(rng, clock);
  clock.advance(std::chrono::milliseconds(1));
  std::string floor = ulidFloor(clock.now());
  std::string at = newUlid(rng, clock);
  EXPECT_TRUE(isUlid(floor));
  EXPECT_EQ(floor, "01ARZ3NDEM0000000000000000");
  EXPECT_LT(before, floor);
  EXPECT_LE(floor, at);
}

TEST(Ulid, RejectsWrongLengthAndLettersOutsideCrockford) {
  EXPECT_FALSE(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FA"));
  EXPECT_FALSE(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAU"));  // U is not Crockford
  EXPECT_FALSE(isUlid("81ARZ3NDEKTSV4RRFFQ69G5FAV"));  // overflows 128 bits
  EXPECT_TRUE(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV"));
}

}  // namespace
}  // namespace mxauth::core
