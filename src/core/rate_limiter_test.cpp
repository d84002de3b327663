#include "core/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/fakes.h"

namespace mxauth::core {
namespace {

using namespace std::chrono_literals;

RateLimiterOptions limitOf(std::uint32_t burst, Duration interval) {
  RateLimiterOptions options;
  options.limit = RateLimit{burst, interval};
  return options;
}

TEST(RateLimiter, AllowsTheBurstAtOnceThenRefusesWithTheTimeToTheNextToken) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(3, 10s));

  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  const RateDecision refused = limiter.tryAcquire("a");

  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 10s);
}

TEST(RateLimiter, RegainsOneAttemptPerIntervalAndTheWaitShrinksAsTimePasses) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(2, 3s));
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);

  clock.advance(2999ms);
  EXPECT_EQ(limiter.tryAcquire("a").retry_after, 1ms);
  clock.advance(1ms);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  EXPECT_EQ(limiter.tryAcquire("a").retry_after, 3s);

  clock.advance(6s);  // two intervals: the bucket is full again, no more
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
  EXPECT_FALSE(limiter.tryAcquire("a").allowed);
}

TEST(RateLimiter, RefusedCallsTakeNothingSoHammeringDoesNotProlongTheWait) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(1, 60s));
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);

  for (int i = 0; i < 100; ++i) {
    clock.advance(100ms);
    ASSERT_FALSE(limiter.tryAcquire("a").allowed);
  }

  EXPECT_EQ(limiter.tryAcquire("a").retry_after, 50s);
  clock.advance(50s);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
}

TEST(RateLimiter, EachKeyHasItsOwnBucket) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(1, 60s));

  EXPECT_TRUE(limiter.tryAcquire("192.0.2.1").allowed);
  EXPECT_FALSE(limiter.tryAcquire("192.0.2.1").allowed);
  EXPECT_TRUE(limiter.tryAcquire("192.0.2.2").allowed);
  EXPECT_EQ(limiter.trackedKeys(), 2u);
}

TEST(RateLimiter, RefundGivesBackATokenAndForgetsAKeyWhoseBucketIsFull) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(2, 60s));
  ASSERT_TRUE(limiter.tryAcquire("alice").allowed);
  ASSERT_TRUE(limiter.tryAcquire("alice").allowed);

  limiter.refund("alice");
  EXPECT_TRUE(limiter.tryAcquire("alice").allowed);
  EXPECT_FALSE(limiter.tryAcquire("alice").allowed);

  limiter.refund("alice");
  limiter.refund("alice");
  EXPECT_EQ(limiter.trackedKeys(), 0u);
  limiter.refund("alice");  // nothing to give back: still a full bucket, not more
  EXPECT_TRUE(limiter.tryAcquire("alice").allowed);
  EXPECT_TRUE(limiter.tryAcquire("alice").allowed);
  EXPECT_FALSE(limiter.tryAcquire("alice").allowed);
}

TEST(RateLimiter, BurstZeroDisablesTheLimiterAndKeepsNothing) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(0, 1s));

  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.tryAcquire("a").allowed);

  EXPECT_FALSE(limiter.enabled());
  EXPECT_EQ(limiter.trackedKeys(), 0u);
}

TEST(RateLimiter, SweepsKeysWhoseBucketIsFullAgain) {
  test::FakeClock clock;
  RateLimiterOptions options = limitOf(2, 10s);
  options.sweep_interval = 60s;
  RateLimiter limiter(clock, options);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(limiter.tryAcquire("key" + std::to_string(i)).allowed);
  ASSERT_EQ(limiter.trackedKeys(), 50u);

  clock.advance(30s);  // every bucket is full again, but no sweep is due
  ASSERT_TRUE(limiter.tryAcquire("fresh").allowed);
  EXPECT_EQ(limiter.trackedKeys(), 51u);
  clock.advance(30s);
  ASSERT_TRUE(limiter.tryAcquire("fresh").allowed);

  EXPECT_EQ(limiter.trackedKeys(), 1u);
}

TEST(RateLimiter, AtTheKeyCapNewKeysShareOneOverflowBucketAndTrackedKeysKeepTheirState) {
  test::FakeClock clock;
  RateLimiterOptions options = limitOf(1, 60s);
  options.max_keys = 3;
  RateLimiter limiter(clock, options);
  ASSERT_TRUE(limiter.tryAcquire("victim").allowed);
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);
  ASSERT_TRUE(limiter.tryAcquire("b").allowed);

  // An attacker cycling keys: the first new one takes the overflow token,
  // every later one is refused, and memory does not grow.
  EXPECT_TRUE(limiter.tryAcquire("c").allowed);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_FALSE(limiter.tryAcquire("cycle" + std::to_string(i)).allowed);
  }
  EXPECT_EQ(limiter.trackedKeys(), 3u);
  // The tracked key was not pushed out to get a fresh bucket.
  EXPECT_EQ(limiter.tryAcquire("victim").retry_after, 60s);

  clock.advance(60s);  // everything drains; a sweep makes room again
  EXPECT_TRUE(limiter.tryAcquire("d").allowed);
  EXPECT_EQ(limiter.trackedKeys(), 1u);
}

TEST(RateLimiter, KeysAreCutToMaxKeyBytesSoHugeKeysCostBoundedMemory) {
  test::FakeClock clock;
  RateLimiterOptions options = limitOf(1, 60s);
  options.max_key_bytes = 8;
  RateLimiter limiter(clock, options);

  EXPECT_TRUE(limiter.tryAcquire("12345678" + std::string(100000, 'x')).allowed);
  EXPECT_FALSE(limiter.tryAcquire("12345678" + std::string(5, 'y')).allowed);
  EXPECT_TRUE(limiter.tryAcquire("1234567").allowed);
}

TEST(RateLimiter, AClockThatStepsBackNeverMakesTheWaitLongerThanBurstTimesInterval) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(2, 10s));
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);
  ASSERT_TRUE(limiter.tryAcquire("a").allowed);

  clock.advance(-std::chrono::hours(1));
  const RateDecision refused = limiter.tryAcquire("a");

  EXPECT_FALSE(refused.allowed);
  EXPECT_LE(refused.retry_after, 20s);
  clock.advance(20s);
  EXPECT_TRUE(limiter.tryAcquire("a").allowed);
}

TEST(RateLimiter, ConcurrentCallersGetExactlyTheBurstBetweenThem) {
  test::FakeClock clock;
  RateLimiter limiter(clock, limitOf(50, 60s));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);

  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.tryAcquire("shared").allowed) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(allowed.load(), 50);
}

}  // namespace
}  // namespace mxauth::core
