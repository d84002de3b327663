#include "accounts/account_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "jobs/homeserver_jobs.h"
#include "storage/testing/oauth_conformance.h"

// accounts::changeAccount and endAllSessions over both backends: what each
// state change ends and what it queues for the homeserver.
namespace mxauth::test {
namespace {

using accounts::AccountChange;

class AccountStateTest : public OAuthConformanceTest {
 protected:
  // A user with one OAuth session, one compat session and two browser
  // sessions.
  struct Fixture {
    domain::User user;
    domain::OAuthSession oauth;
    domain::CompatSession compat;
    domain::BrowserSession browser_one;
    domain::BrowserSession browser_two;
  };

  Fixture fixture(std::string_view name) {
    domain::OAuthClient client = addClient();
    domain::User user = addUser(name);
    domain::OAuthSession oauth = addSession(client, user, "OAUTHDEV01");
    domain::BrowserSession one = addBrowserSession(user);
    domain::BrowserSession two = addBrowserSession(user);
    auto tx = begin();
    auto compat = tx->compatSessions().add(rng_, clock_,
                                           storage::NewCompatSession{.user_id = user.id,
                                                                     .device_id = "COMPATDEV1",
                                                                     .display_name = {},
                                                                     .is_admin = false,
                                                                     .user_agent = "test"});
    EXPECT_TRUE(compat.has_value());
    EXPECT_TRUE(tx->commit().has_value());
    return {user, oauth, *compat, one, two};
  }

  std::optional<accounts::ChangedAccount> change(const domain::User& user, AccountChange what,
                                                 bool erase = false) {
    auto tx = begin();
    auto changed = accounts::changeAccount(*tx, rng_, clock_, user.id, what, erase);
    EXPECT_TRUE(changed.has_value());
    EXPECT_TRUE(tx->commit().has_value());
    return changed.value_or(std::nullopt);
  }

  // Every unfinished job: "kind payload".
  std::vector<std::string> queued() {
    auto tx = begin();
    auto jobs = tx->jobs().claimDue(clock_, "test", std::chrono::minutes(1), 100);
    EXPECT_TRUE(jobs.has_value());
    std::vector<std::string> out;
    for (const auto& job : jobs.value_or(std::vector<domain::Job>{})) {
      out.push_back(job.kind + " " + job.payload);
    }
    // Not committed: the jobs stay queued for the next look.
    std::sort(out.begin(), out.end());
    return out;
  }

  bool oauthActive(const domain::OAuthSession& session) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->oauthSessions().lookup(session.id);
    return found && *found && (*found)->isActive();
  }
  bool compatActive(const domain::CompatSession& session) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->compatSessions().lookup(session.id);
    return found && *found && (*found)->isActive();
  }
  bool browserActive(const domain::BrowserSession& session) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->browserSessions().lookup(session.id);
    return found && *found && (*found)->isActive();
  }

  static std::string userJob(std::string_view kind, const domain::User& user) {
    return std::string(kind) + " {\"user_id\":\"" + user.id.str() + "\"}";
  }
};

TEST_P(AccountStateTest, ALockEndsTheBrowserSessionsKeepsTheOthersAndTellsTheHomeserver) {
  Fixture f = fixture("alice");
  auto locked = change(f.user, AccountChange::Lock);
  ASSERT_TRUE(locked);
  EXPECT_TRUE(locked->changed);
  EXPECT_TRUE(locked->user.isLocked());
  EXPECT_EQ(locked->ended.browser_sessions, 2);
  EXPECT_FALSE(browserActive(f.browser_one));
  EXPECT_FALSE(browserActive(f.browser_two));
  EXPECT_TRUE(oauthActive(f.oauth));
  EXPECT_TRUE(compatActive(f.compat));
  EXPECT_EQ(queued(), std::vector{userJob(jobs::kProvisionUserJob, f.user)});
}

TEST_P(AccountStateTest, LockingALockedAccountChangesAndQueuesNothing) {
  Fixture f = fixture("bob");
  ASSERT_TRUE(change(f.user, AccountChange::Lock));
  {
    auto tx = begin();
    auto jobs = tx->jobs().claimDue(clock_, "test", std::chrono::minutes(1), 100);
    ASSERT_TRUE(jobs.has_value());
    for (const auto& job : *jobs) ASSERT_TRUE(tx->jobs().complete(clock_, job.id, "test"));
    ASSERT_TRUE(tx->commit().has_value());
  }
  auto again = change(f.user, AccountChange::Lock);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);
  EXPECT_TRUE(queued().empty());
  auto unlocked = change(f.user, AccountChange::Unlock);
  ASSERT_TRUE(unlocked);
  EXPECT_TRUE(unlocked->changed);
  EXPECT_FALSE(unlocked->user.isLocked());
  EXPECT_EQ(queued(), std::vector{userJob(jobs::kProvisionUserJob, f.user)});
}

TEST_P(AccountStateTest, ADeactivationEndsEverySessionAndDeletesTheUserOnTheHomeserver) {
  Fixture f = fixture("carol");
  auto deactivated = change(f.user, AccountChange::Deactivate, /*erase=*/true);
  ASSERT_TRUE(deactivated);
  EXPECT_TRUE(deactivated->changed);
  EXPECT_FALSE(deactivated->user.isActive());
  EXPECT_EQ(deactivated->ended.browser_sessions, 2);
  std::vector<std::string> ended = deactivated->ended.token_sessions;
  std::sort(ended.begin(), ended.end());
  std::vector<std::string> expected{f.oauth.id.str(), f.compat.id.str()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ended, expected);
  EXPECT_FALSE(oauthActive(f.oauth));
  EXPECT_FALSE(compatActive(f.compat));
  EXPECT_FALSE(browserActive(f.browser_one));
  // The homeserver removes the devices with the user: no device sync.
  EXPECT_EQ(queued(),
            std::vector<std::string>{std::string(jobs::kDeleteUserJob) + " {\"user_id\":\"" +
                                     f.user.id.str() + "\",\"erase\":true}"});
}

TEST_P(AccountStateTest, AReactivationReactivatesOnTheHomeserverButRevivesNoSession) {
  Fixture f = fixture("dave");
  ASSERT_TRUE(change(f.user, AccountChange::Deactivate));
  static_cast<void>(queued());
  {
    auto tx = begin();
    auto jobs = tx->jobs().claimDue(clock_, "test", std::chrono::minutes(1), 100);
    ASSERT_TRUE(jobs.has_value());
    for (const auto& job : *jobs) ASSERT_TRUE(tx->jobs().complete(clock_, job.id, "test"));
    ASSERT_TRUE(tx->commit().has_value());
  }
  auto reactivated = change(f.user, AccountChange::Reactivate);
  ASSERT_TRUE(reactivated);
  EXPECT_TRUE(reactivated->changed);
  EXPECT_TRUE(reactivated->user.isActive());
  EXPECT_FALSE(oauthActive(f.oauth));
  EXPECT_EQ(queued(), std::vector{userJob(jobs::kReactivateUserJob, f.user)});
}

TEST_P(AccountStateTest, AnUnknownUserIsEmpty) {
  auto tx = begin();
  auto changed = accounts::changeAccount(
      *tx, rng_, clock_, domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), AccountChange::Lock);
  ASSERT_TRUE(changed.has_value());
  EXPECT_FALSE(changed->has_value());
}

TEST_P(AccountStateTest, EndingAllSessionsKeepsTheNamedBrowserSessionAndQueuesADeviceSync) {
  Fixture f = fixture("erin");
  auto tx = begin();
  auto ended = accounts::endAllSessions(*tx, rng_, clock_, f.user.id, f.browser_two.id,
                                        accounts::DeviceSync::Queue);
  ASSERT_TRUE(ended.has_value());
  ASSERT_TRUE(tx->commit().has_value());
  EXPECT_EQ(ended->token_sessions.size(), 2U);
  EXPECT_EQ(ended->browser_sessions, 1);
  EXPECT_FALSE(browserActive(f.browser_one));
  EXPECT_TRUE(browserActive(f.browser_two));
  EXPECT_EQ(queued(), std::vector{userJob(jobs::kSyncDevicesJob, f.user)});
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AccountStateTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AccountStateTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
