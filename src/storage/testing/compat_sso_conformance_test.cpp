#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/compat_repositories.h"
#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// CompatSsoLoginRepository (storage/compat_repositories.h, spec-digest
// §4.3): a pending browser login is fulfilled once, found by its login
// token's hash on the unique index, and exchanged once — also when several
// clients race with the same token.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::CompatSsoLoginId kUnknownSsoLogin("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class CompatSsoLoginConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = addUser("alice");
    browser_ = addBrowserSession(alice_);
  }

  domain::CompatSsoLogin addPending(std::string_view redirect_uri = "https://app.example/cb") {
    auto tx = begin();
    auto added = tx->compatSsoLogins().add(rng_, clock_, redirect_uri);
    EXPECT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return added.value_or(domain::CompatSsoLogin{});
  }

  domain::CompatSsoLogin addFulfilled(std::string_view token_hash) {
    domain::CompatSsoLogin login = addPending();
    auto tx = begin();
    auto fulfilled =
        tx->compatSsoLogins().fulfil(clock_, login.id, alice_.id, browser_.id, token_hash);
    EXPECT_TRUE(fulfilled.has_value() && *fulfilled);
    EXPECT_TRUE(tx->commit().has_value());
    return login;
  }

  domain::CompatSessionId addSsoCompatSession(std::string device_id) {
    auto tx = begin();
    storage::NewCompatSession session;
    session.user_id = alice_.id;
    session.device_id = std::move(device_id);
    session.user_agent = "test-agent";
    auto added = tx->compatSessions().add(rng_, clock_, session);
    EXPECT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return added ? added->id : domain::CompatSessionId();
  }

  domain::CompatSsoLogin reload(const domain::CompatSsoLoginId& id) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->compatSsoLogins().lookup(id);
    EXPECT_TRUE(found.has_value() && found->has_value());
    return found && *found ? **found : domain::CompatSsoLogin{};
  }

  domain::User alice_;
  domain::BrowserSession browser_;
};

TEST_P(CompatSsoLoginConformanceTest, AddsAPendingLoginWithIdAndTimeFromRngAndClock) {
  domain::CompatSsoLogin added = addPending("im.example.app:/sso?x=1");

  domain::CompatSsoLogin stored = reload(added.id);
  EXPECT_EQ(stored, added);
  EXPECT_EQ(stored.redirect_uri, "im.example.app:/sso?x=1");
  EXPECT_EQ(stored.created_at, clock_.now());
  EXPECT_TRUE(stored.isPending());
  EXPECT_FALSE(stored.isExchanged());
  EXPECT_FALSE(stored.login_token_hash.has_value());
}

TEST_P(CompatSsoLoginConformanceTest, FulfillingSucceedsOnceAndRecordsUserSessionAndHash) {
  domain::CompatSsoLogin login = addPending();
  clock_.advance(10s);
  auto tx = begin();
  auto first =
      tx->compatSsoLogins().fulfil(clock_, login.id, alice_.id, browser_.id, fakeHash("token"));
  auto second =
      tx->compatSsoLogins().fulfil(clock_, login.id, alice_.id, browser_.id, fakeHash("other"));
  auto unknown = tx->compatSsoLogins().fulfil(clock_, kUnknownSsoLogin, alice_.id, browser_.id,
                                              fakeHash("third"));
  ASSERT_TRUE(tx->commit().has_value());

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  domain::CompatSsoLogin stored = reload(login.id);
  EXPECT_EQ(stored.fulfilled_at, clock_.now());
  EXPECT_EQ(stored.login_token_hash, fakeHash("token"));
  EXPECT_EQ(stored.user_id, alice_.id);
  EXPECT_EQ(stored.browser_session_id, browser_.id);
}

TEST_P(CompatSsoLoginConformanceTest, FindsAFulfilledLoginByItsTokenHashOnly) {
  domain::CompatSsoLogin login = addFulfilled(fakeHash("token"));
  addPending();

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->compatSsoLogins().findByTokenHash(fakeHash("token"));
  auto missing = tx->compatSsoLogins().findByTokenHash(fakeHash("nope"));
  ASSERT_TRUE(found && missing);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, login.id);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(CompatSsoLoginConformanceTest, ATakenTokenHashIsAConflict) {
  addFulfilled(fakeHash("token"));
  domain::CompatSsoLogin other = addPending();

  auto tx = begin();
  auto fulfilled =
      tx->compatSsoLogins().fulfil(clock_, other.id, alice_.id, browser_.id, fakeHash("token"));

  ASSERT_FALSE(fulfilled.has_value());
  EXPECT_EQ(fulfilled.error().code, StorageErrorCode::Conflict);
}

TEST_P(CompatSsoLoginConformanceTest, ExchangingNeedsAFulfilledLoginAndSucceedsOnce) {
  domain::CompatSsoLogin pending = addPending();
  domain::CompatSsoLogin fulfilled = addFulfilled(fakeHash("token"));
  domain::CompatSessionId session = addSsoCompatSession("DEVICE");
  clock_.advance(5s);

  auto tx = begin();
  auto of_pending = tx->compatSsoLogins().exchange(clock_, pending.id, session);
  auto first = tx->compatSsoLogins().exchange(clock_, fulfilled.id, session);
  auto again = tx->compatSsoLogins().exchange(clock_, fulfilled.id, session);
  ASSERT_TRUE(tx->commit().has_value());

  ASSERT_TRUE(of_pending && first && again);
  EXPECT_FALSE(*of_pending);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  domain::CompatSsoLogin stored = reload(fulfilled.id);
  EXPECT_TRUE(stored.isExchanged());
  EXPECT_EQ(stored.exchanged_at, clock_.now());
  EXPECT_EQ(stored.compat_session_id, session);
  EXPECT_FALSE(reload(pending.id).isExchanged());
}

TEST_P(CompatSsoLoginConformanceTest, FindingByTokenHashUsesTheUniqueIndex) {
  addFulfilled(fakeHash("token"));
  std::string plan = queryPlan(
      GetParam(), test_database_->location(),
      "SELECT id FROM compat_sso_logins WHERE login_token_hash = '" + fakeHash("token") + "'");

  EXPECT_NE(plan.find("compat_sso_logins_login_token_hash_key"), std::string::npos) << plan;
}

TEST_P(CompatSsoLoginConformanceTest, DeletingTheUserDeletesItsLogins) {
  domain::CompatSsoLogin login = addFulfilled(fakeHash("token"));
  // No repository deletes users; an operator might, behind our back.
  std::string pragma = GetParam() == Backend::Sqlite ? "PRAGMA foreign_keys = ON; " : "";
  auto deleted =
      test_database_->executeRaw(pragma + "DELETE FROM users WHERE id = '" + alice_.id.str() + "'");
  ASSERT_TRUE(deleted.has_value()) << deleted.error();

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->compatSsoLogins().lookup(login.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(CompatSsoLoginConformanceTest, OfConcurrentExchangesOfOneLoginExactlyOneSucceeds) {
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  for (int round = 0; round < kRounds; ++round) {
    domain::CompatSsoLogin login = addFulfilled(fakeHash("token" + std::to_string(round)));
    std::vector<domain::CompatSessionId> sessions;
    for (int racer = 0; racer < kRacers; ++racer) {
      sessions.push_back(
          addSsoCompatSession("D" + std::to_string(round) + "-" + std::to_string(racer)));
    }

    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers, [&](storage::Transaction& tx, int racer) {
          return tx.compatSsoLogins().exchange(clock_, login.id,
                                               sessions[static_cast<std::size_t>(racer)]);
        });

    expectOneWinner(attempts);
    domain::CompatSsoLogin stored = reload(login.id);
    ASSERT_TRUE(stored.compat_session_id.has_value());
    for (int racer = 0; racer < kRacers; ++racer) {
      if (attempts[static_cast<std::size_t>(racer)].won) {
        EXPECT_EQ(*stored.compat_session_id, sessions[static_cast<std::size_t>(racer)]);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CompatSsoLoginConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatSsoLoginConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
