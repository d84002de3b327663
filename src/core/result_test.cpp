#include "core/result.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth {
namespace {

Result<int, std::string> half(int v) {
  if (v % 2 != 0) return unexpected(std::string("odd"));
  return v / 2;
}

TEST(Result, CarriesAValueOrAnError) {
  auto ok = half(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "odd");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, VoidSpecialisationSignalsOnlyFailure) {
  Result<void, std::string> fine;
  EXPECT_TRUE(fine.has_value());
  Result<void, std::string> failed = unexpected(std::string("no"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), "no");
}

TEST(ResultDeathTest, ValueOnAnErrorIsABugAndAborts) {
  auto bad = half(1);
  EXPECT_DEATH((void)bad.value(), "");
}

}  // namespace
}  // namespace mxauth
