#include "accounts/login_throttle.h"

#include <gtest/gtest.h>

#include <future>
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
  throttle.settleAccount("alice");  // a wrong password
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
  throttle.settleAccount("alice");
  EXPECT_FALSE(throttle.admitAccount("alice").allowed);
}

LoginThrottleOptions oneAccountToken(std::chrono::milliseconds settle_wait) {
  return LoginThrottleOptions{core::RateLimit{}, core::RateLimit{1, 60s}, settle_wait};
}

TEST(LoginThrottleTest, AnAttemptOnAnAccountWithItsTokenInFlightGoesAheadWhenTheTokenComesBack) {
  test::FakeClock clock;
  LoginThrottle throttle(clock, oneAccountToken(10s));
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);

  auto second = std::async(std::launch::async, [&] { return throttle.admitAccount("alice"); });
  ASSERT_EQ(second.wait_for(50ms), std::future_status::timeout) << "waits for the first to settle";
  throttle.forgiveAccount("alice");  // the first one's password was right

  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(second.get().allowed);
}

TEST(LoginThrottleTest, AWrongPasswordInFlightKeepsItsTokenAndTheWaiterIsRefusedAtOnce) {
  test::FakeClock clock;
  std::vector<LoginLimit> refused;
  LoginThrottle throttle(clock, oneAccountToken(10s),
                         [&](LoginLimit limit) { refused.push_back(limit); });
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);

  auto second = std::async(std::launch::async, [&] { return throttle.admitAccount("alice"); });
  ASSERT_EQ(second.wait_for(50ms), std::future_status::timeout);
  throttle.settleAccount("alice");  // a wrong password: the token stays spent

  ASSERT_EQ(second.wait_for(5s), std::future_status::ready) << "well before the 10 s settle wait";
  EXPECT_FALSE(second.get().allowed);
  EXPECT_EQ(refused, std::vector<LoginLimit>{LoginLimit::PerAccount});
}

TEST(LoginThrottleTest, AWaiterIsRefusedAfterTheSettleWait) {
  test::FakeClock clock;
  LoginThrottle throttle(clock, oneAccountToken(50ms));
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);  // never settles

  EXPECT_FALSE(throttle.admitAccount("alice").allowed);
  EXPECT_TRUE(throttle.admitAccount("bob").allowed) << "other accounts are not held up";
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
