#include "accounts/login_throttle.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/testing/fakes.h"

namespace mxauth::accounts {
namespace {

using namespace std::chrono_literals;

LoginThrottleOptions smallLimits() {
  return LoginThrottleOptions{core::RateLimit{2, 3s}, core::RateLimit{1, 60s}};
}

TEST(LoginThrottleTest, EachLimitHasItsOwnBucketsAndReportsItsRefusals) {
  test::FakeClock clock;
  std::vector<LoginLimit> refused;
  LoginThrottle throttle(clock, smallLimits(), [&](LoginLimit limit) { refused.push_back(limit); });

  EXPECT_TRUE(throttle.admitAddress("192.0.2.1").allowed);
  EXPECT_TRUE(throttle.admitAddress("192.0.2.1").allowed);
  EXPECT_EQ(throttle.admitAddress("192.0.2.1").retry_after, 3s);
  EXPECT_TRUE(throttle.admitAccount("alice").allowed);
  EXPECT_EQ(throttle.admitAccount("alice").retry_after, 60s);
  EXPECT_TRUE(throttle.admitAccount("bob").allowed);

  EXPECT_EQ(refused, (std::vector<LoginLimit>{LoginLimit::PerAddress, LoginLimit::PerAccount}));
}

TEST(LoginThrottleTest, AForgivenAttemptGivesTheAccountItsTokenBack) {
  test::FakeClock clock;
  LoginThrottle throttle(clock, smallLimits());

  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(throttle.admitAccount("alice").allowed);
    throttle.forgiveAccount("alice");
  }
  EXPECT_TRUE(throttle.admitAccount("alice").allowed);
  EXPECT_FALSE(throttle.admitAccount("alice").allowed);
}

TEST(LoginThrottleTest, BurstZeroTurnsALimitOff) {
  test::FakeClock clock;
  LoginThrottle throttle(clock, LoginThrottleOptions{core::RateLimit{0, 1s}, core::RateLimit{}});

  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(throttle.admitAddress("192.0.2.1").allowed);
    ASSERT_TRUE(throttle.admitAccount("alice").allowed);
  }
}

TEST(LoginThrottleTest, MetricLabelsNameEachLimit) {
  EXPECT_EQ(metricLabel(LoginLimit::PerAddress), "login_ip");
  EXPECT_EQ(metricLabel(LoginLimit::PerAccount), "login_account");
}

TEST(AccountKeyTest, AKnownAccountIsKeyedByItsLocalpartWhateverTheUsernameSaid) {
  domain::User alice;
  alice.localpart = "alice";

  EXPECT_EQ(accountKey(&alice, "alice@example.org", "example.com"), "alice");
  EXPECT_EQ(accountKey(&alice, "@Alice:example.com", "example.com"), "alice");
  EXPECT_EQ(accountKey(&alice, "ALICE", "example.com"), "alice");
}

TEST(AccountKeyTest, AnUnknownUsernameIsNormalisedAsLookupsAreSoProbingVariantsAddUp) {
  EXPECT_EQ(accountKey(nullptr, "Nobody", "example.com"), "nobody");
  EXPECT_EQ(accountKey(nullptr, "@NoBody:example.com", "example.com"), "nobody");
  EXPECT_EQ(accountKey(nullptr, "@nobody:elsewhere.example", "example.com"),
            "@nobody:elsewhere.example");
  EXPECT_EQ(accountKey(nullptr, "No.Body@Example.ORG", "example.com"), "no.body@example.org");
}

}  // namespace
}  // namespace mxauth::accounts
