#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// Single use under concurrency (design §6; checklist C.20, D.26): racers,
// each on its own pooled connection in its own transaction, try the same
// conditional write at once; exactly one wins and every loser is told so
// with an empty optional or false — never an error.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class OAuthConcurrencyConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
    ASSERT_TRUE(racing.has_value()) << racing.error().detail;
    racing_ = std::move(*racing);
  }

  void TearDown() override {
    racing_.reset();
    OAuthConformanceTest::TearDown();
  }

  // Races `step` on kRacers connections (storage/testing/inspection.h).
  std::vector<RaceAttempt> race(const RaceStep& step) {
    return raceTransactions(*racing_, GetParam(), kRacers, step);
  }

  // PostgreSQL only: waits until `pending` is ready or one of this test
  // database's connections waits for a row lock (polling, bounded).
  // Answers whether it saw the lock wait.
  template <class T>
  bool waitUntilDoneOrBlocked(std::future<T>& pending) {
    return test::waitUntilDoneOrBlocked(test_database_->location(), [&] {
      return pending.wait_for(5ms) == std::future_status::ready;
    });
  }

  std::unique_ptr<storage::Database> racing_;
};

TEST_P(OAuthConcurrencyConformanceTest, OfConcurrentExchangesOfOneCodeExactlyOneGetsTheGrant) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  for (int round = 0; round < kRounds; ++round) {
    std::string code_hash = fakeHash("code" + std::to_string(round));
    domain::AuthorizationGrant grant = addFulfilledGrant(client, alice, code_hash);
    std::vector<std::optional<domain::AuthorizationGrant>> won(kRacers);

    auto attempts =
        race([&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          auto exchanged = tx.authorizationGrants().exchange(clock_, code_hash);
          if (!exchanged) return unexpected(exchanged.error());
          won[racer] = *exchanged;
          return exchanged->has_value();
        });

    expectOneWinner(attempts);
    for (int racer = 0; racer < kRacers; ++racer) {
      EXPECT_EQ(attempts[racer].won, won[racer].has_value());
      if (won[racer]) {
        EXPECT_EQ(won[racer]->id, grant.id);
      }
    }
  }
}

TEST_P(OAuthConcurrencyConformanceTest, OfConcurrentRefreshesOfOneTokenExactlyOneRotatesIt) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  for (int round = 0; round < kRounds; ++round) {
    std::string prefix = "r" + std::to_string(round) + "-";
    domain::AccessToken at = addAccessToken(session, fakeHash(prefix + "at"));
    domain::RefreshToken rt = addRefreshToken(session, fakeHash(prefix + "rt"), at);
    std::vector<domain::RefreshTokenId> successors(kRacers);

    // The token endpoint's rotation: issue a new pair, then consume the
    // old refresh token pointing at it, all in one transaction.
    auto attempts =
        race([&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          std::string mine = prefix + std::to_string(racer);
          auto new_at = tx.accessTokens().add(rng_, clock_, session.id, fakeHash(mine + "at"),
                                              clock_.now() + 5min);
          if (!new_at) return unexpected(new_at.error());
          auto new_rt = tx.refreshTokens().add(rng_, clock_, session.id, fakeHash(mine + "rt"),
                                               new_at->id, std::nullopt);
          if (!new_rt) return unexpected(new_rt.error());
          successors[racer] = new_rt->id;
          return tx.refreshTokens().consume(clock_, rt.id, new_rt->id);
        });

    expectOneWinner(attempts);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto consumed = tx->refreshTokens().lookup(rt.id);
    ASSERT_TRUE(consumed && consumed->has_value());
    for (int racer = 0; racer < kRacers; ++racer) {
      auto successor = tx->refreshTokens().lookup(successors[racer]);
      ASSERT_TRUE(successor.has_value());
      // The winner's successor is stored and linked; the losers' rolled back.
      EXPECT_EQ(successor->has_value(), attempts[racer].won);
      if (attempts[racer].won) {
        EXPECT_EQ((*consumed)->next_refresh_token_id, successors[racer]);
      }
    }
  }
}

TEST_P(OAuthConcurrencyConformanceTest, OfConcurrentRetriesOfOneLostResponseExactlyOneWins) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  domain::AccessToken at1 = addAccessToken(session, fakeHash("at1"));
  domain::RefreshToken rt1 = addRefreshToken(session, fakeHash("rt1"), at1);
  domain::AccessToken at2 = addAccessToken(session, fakeHash("at2"));
  domain::RefreshToken rt2 = addRefreshToken(session, fakeHash("rt2"), at2);
  std::vector<domain::RefreshToken> replacements;
  for (int racer = 0; racer < kRacers; ++racer) {
    domain::AccessToken at = addAccessToken(session, fakeHash("at-" + std::to_string(racer)));
    replacements.push_back(addRefreshToken(session, fakeHash("rt-" + std::to_string(racer)), at));
  }
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, rt1.id, rt2.id));
    ASSERT_TRUE(tx->commit());
  }

  auto attempts = race([&](storage::Transaction& tx, int racer) {
    return tx.refreshTokens().replaceSuccessor(rt1.id, rt2.id, replacements[racer].id);
  });

  expectOneWinner(attempts);
}

TEST_P(OAuthConcurrencyConformanceTest, OfConcurrentFinishesOfOneSessionExactlyOneSucceeds) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  for (int round = 0; round < kRounds; ++round) {
    domain::OAuthSession session = addSession(client, alice);
    domain::AccessToken at = addAccessToken(session, fakeHash("at" + std::to_string(round)));
    domain::RefreshToken rt = addRefreshToken(session, fakeHash("rt" + std::to_string(round)), at);

    auto attempts = race([&](storage::Transaction& tx, int) {
      return tx.oauthSessions().finish(clock_, session.id);
    });

    expectOneWinner(attempts);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    EXPECT_TRUE((*tx->accessTokens().lookup(at.id))->revoked_at.has_value());
    EXPECT_TRUE((*tx->refreshTokens().lookup(rt.id))->revoked_at.has_value());
  }
}

TEST_P(OAuthConcurrencyConformanceTest, ARefreshRacingTheSessionsEndLeavesNoLiveToken) {
  // Reuse detection or logout finishes a session while the client is
  // refreshing in it. Whatever the interleaving, the finished session must
  // not keep a live token: the refresh's new pair is either revoked by the
  // finish or refused because the session was already finished.
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  for (int round = 0; round < kRounds; ++round) {
    std::string prefix = "r" + std::to_string(round) + "-";
    domain::OAuthSession session = addSession(client, alice);
    domain::AccessToken at = addAccessToken(session, fakeHash(prefix + "at"));
    domain::RefreshToken rt = addRefreshToken(session, fakeHash(prefix + "rt"), at);
    std::vector<std::optional<domain::AccessTokenId>> new_access(kRacers);
    std::vector<std::optional<domain::RefreshTokenId>> new_refresh(kRacers);

    // Even racers refresh, odd racers finish the session.
    auto attempts =
        race([&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          if (racer % 2 == 1) return tx.oauthSessions().finish(clock_, session.id);
          std::string mine = prefix + std::to_string(racer);
          auto new_at = tx.accessTokens().add(rng_, clock_, session.id, fakeHash(mine + "at"),
                                              clock_.now() + 5min);
          // Refused: the session was finished first. A loss, not a failure.
          if (!new_at && new_at.error().code == storage::StorageErrorCode::Constraint) return false;
          if (!new_at) return unexpected(new_at.error());
          new_access[racer] = new_at->id;
          auto new_rt = tx.refreshTokens().add(rng_, clock_, session.id, fakeHash(mine + "rt"),
                                               new_at->id, std::nullopt);
          if (!new_rt) return unexpected(new_rt.error());
          new_refresh[racer] = new_rt->id;
          return tx.refreshTokens().consume(clock_, rt.id, new_rt->id);
        });

    int finishers = 0;
    int refreshers = 0;
    for (int racer = 0; racer < kRacers; ++racer) {
      EXPECT_FALSE(attempts[racer].error.has_value())
          << "racer " << racer << ": " << attempts[racer].error->detail;
      if (attempts[racer].won) ++(racer % 2 == 1 ? finishers : refreshers);
    }
    EXPECT_EQ(finishers, 1);
    EXPECT_LE(refreshers, 1);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    EXPECT_FALSE((*tx->oauthSessions().lookup(session.id))->isActive());
    EXPECT_TRUE((*tx->accessTokens().lookup(at.id))->revoked_at.has_value());
    EXPECT_TRUE((*tx->refreshTokens().lookup(rt.id))->revoked_at.has_value());
    for (int racer = 0; racer < kRacers; racer += 2) {
      if (!attempts[racer].won) continue;
      auto access = tx->accessTokens().lookup(*new_access[racer]);
      auto refresh = tx->refreshTokens().lookup(*new_refresh[racer]);
      ASSERT_TRUE(access && access->has_value() && refresh && refresh->has_value());
      EXPECT_TRUE((*access)->revoked_at.has_value()) << "a live access token in a dead session";
      EXPECT_TRUE((*refresh)->revoked_at.has_value()) << "a live refresh token in a dead session";
    }
  }
}

TEST_P(OAuthConcurrencyConformanceTest, AFinishDuringAnUncommittedRefreshStillRevokesItsNewTokens) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE): a finish cannot begin "
                    "while a refresh is in progress";
  }
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  // The refresh has issued its new pair but not committed yet...
  auto refresh = racing_->begin(storage::TransactionMode::ReadWrite);
  ASSERT_TRUE(refresh.has_value());
  auto new_at = (*refresh)->accessTokens().add(rng_, clock_, session.id, fakeHash("new-at"),
                                               clock_.now() + 5min);
  ASSERT_TRUE(new_at.has_value()) << new_at.error().detail;
  // ...when reuse detection finishes the session on another connection.
  auto finishing = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
    auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
    if (!tx) return unexpected(tx.error());
    auto finished = (*tx)->oauthSessions().finish(clock_, session.id);
    if (!finished || !*finished) return finished;
    if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
    return true;
  });

  EXPECT_TRUE(waitUntilDoneOrBlocked(finishing)) << "the finish did not wait for the refresh";
  ASSERT_TRUE((*refresh)->commit());
  auto finished = finishing.get();

  ASSERT_TRUE(finished.has_value()) << finished.error().detail;
  EXPECT_TRUE(*finished);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_TRUE((*tx->accessTokens().lookup(new_at->id))->revoked_at.has_value())
      << "a token issued during the finish outlived its session";
}

// Every read of a session for update locks it: alone, with its user, and
// with the exchange of the code that made it.
TEST_P(OAuthConcurrencyConformanceTest,
       AFinishWaitsForATransactionThatLookedTheSessionUpForUpdate) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE)";
  }
  const domain::User alice = addUser("alice");
  const domain::OAuthClient client = addClient();
  for (const std::string_view read :
       {"lookupForUpdate", "lookupForUpdateWithUser", "exchangeLockingSession"}) {
    SCOPED_TRACE(read);
    const std::string code_hash = fakeHash(std::string("code of ") + std::string(read));
    domain::OAuthSession session;
    if (read == "exchangeLockingSession") {
      const domain::AuthorizationGrant grant = addFulfilledGrant(client, alice, code_hash);
      session =
          **begin(storage::TransactionMode::ReadOnly)->oauthSessions().lookup(*grant.session_id);
    } else {
      session = addSession(client, alice);
    }
    auto refresh = racing_->begin(storage::TransactionMode::ReadWrite);
    ASSERT_TRUE(refresh.has_value());
    if (read == "lookupForUpdate") {
      auto found = (*refresh)->oauthSessions().lookupForUpdate(session.id);
      ASSERT_TRUE(found && found->has_value());
      EXPECT_TRUE((*found)->isActive());
    } else if (read == "lookupForUpdateWithUser") {
      auto found = (*refresh)->oauthSessions().lookupForUpdateWithUser(session.id);
      ASSERT_TRUE(found && found->has_value());
      EXPECT_TRUE((*found)->session.isActive());
    } else {
      auto found = (*refresh)->authorizationGrants().exchangeLockingSession(clock_, code_hash);
      ASSERT_TRUE(found && found->has_value());
      ASSERT_TRUE((*found)->session.has_value());
      EXPECT_EQ((*found)->session->id, session.id);
      EXPECT_TRUE((*found)->session->isActive());
    }
    // A finish on another connection now waits for this transaction...
    auto finishing = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
      auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
      if (!tx) return unexpected(tx.error());
      auto finished = (*tx)->oauthSessions().finish(clock_, session.id);
      if (!finished || !*finished) return finished;
      if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
      return true;
    });
    EXPECT_TRUE(waitUntilDoneOrBlocked(finishing)) << "the finish did not wait for the lock";
    // ...so the token this transaction adds without a second check is still
    // revoked by it.
    auto new_at = (*refresh)->accessTokens().add(
        rng_, clock_, session.id, fakeHash("at-" + std::string(read)), clock_.now() + 5min);
    ASSERT_TRUE(new_at.has_value()) << new_at.error().detail;
    auto committed = (*refresh)->commit();
    ASSERT_TRUE(committed.has_value()) << committed.error().detail;
    auto finished = finishing.get();

    ASSERT_TRUE(finished.has_value()) << finished.error().detail;
    EXPECT_TRUE(*finished);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    EXPECT_TRUE((*tx->accessTokens().lookup(new_at->id))->revoked_at.has_value());
  }
}

// The consent form's answer reads the grant for update: another answer
// waits for it, and then finds the grant answered.
TEST_P(OAuthConcurrencyConformanceTest, AnotherAnswerWaitsForTheGrantReadForConsent) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE)";
  }
  const domain::User alice = addUser("alice");
  const domain::OAuthClient client = addClient();
  const domain::AuthorizationGrant grant = addGrant(client);
  const domain::BrowserSession browser = addBrowserSession(alice);
  const domain::OAuthSession first_session = addSession(client, alice);
  const domain::OAuthSession second_session = addSession(client, alice);
  auto answering = racing_->begin(storage::TransactionMode::ReadWrite);
  ASSERT_TRUE(answering.has_value());
  auto found = (*answering)->authorizationGrants().lookupForConsentForUpdate(grant.id, browser.id);
  ASSERT_TRUE(found && found->has_value());
  ASSERT_TRUE((*found)->grant.isPending());

  auto second = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
    auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
    if (!tx) return unexpected(tx.error());
    auto fulfilled = (*tx)->authorizationGrants().fulfill(clock_, grant.id, fakeHash("second"),
                                                          second_session.id, browser.id, alice.id);
    if (!fulfilled) return unexpected(fulfilled.error());
    if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
    return fulfilled->has_value();
  });
  EXPECT_TRUE(waitUntilDoneOrBlocked(second)) << "the second answer did not wait for the lock";
  ASSERT_TRUE((*answering)
                  ->authorizationGrants()
                  .fulfillLocked(clock_, grant.id, fakeHash("first"), first_session.id, browser.id,
                                 alice.id));
  ASSERT_TRUE((*answering)->commit());
  auto second_won = second.get();

  ASSERT_TRUE(second_won.has_value()) << second_won.error().detail;
  EXPECT_FALSE(*second_won) << "the grant was answered twice";
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ((*tx->authorizationGrants().lookup(grant.id))->code_hash, fakeHash("first"));
}

TEST_P(OAuthConcurrencyConformanceTest, ALookupForUpdateOfAFinishedSessionLeavesTokensRefused) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, session.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin();
  auto found = tx->oauthSessions().lookupForUpdate(session.id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE((*found)->isActive());

  auto access =
      tx->accessTokens().add(rng_, clock_, session.id, fakeHash("late"), clock_.now() + 5min);

  ASSERT_FALSE(access.has_value());
  EXPECT_EQ(access.error().code, storage::StorageErrorCode::Constraint);
}

TEST_P(OAuthConcurrencyConformanceTest, ATokenIssuedDuringAnUncommittedFinishIsRefused) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE): a refresh cannot begin "
                    "while a finish is in progress";
  }
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  auto finishing = racing_->begin(storage::TransactionMode::ReadWrite);
  ASSERT_TRUE(finishing.has_value());
  ASSERT_TRUE(*(*finishing)->oauthSessions().finish(clock_, session.id));
  auto issuing = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
    auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
    if (!tx) return unexpected(tx.error());
    auto added = (*tx)->accessTokens().add(rng_, clock_, session.id, fakeHash("late-at"),
                                           clock_.now() + 5min);
    if (!added) return unexpected(added.error());
    if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
    return true;
  });

  EXPECT_TRUE(waitUntilDoneOrBlocked(issuing)) << "the token insert did not wait for the finish";
  ASSERT_TRUE((*finishing)->commit());
  auto issued = issuing.get();

  ASSERT_FALSE(issued.has_value()) << "a token was issued into a finished session";
  EXPECT_EQ(issued.error().code, storage::StorageErrorCode::Constraint);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE(tx->accessTokens().findByHash(fakeHash("late-at"))->has_value());
}

TEST_P(OAuthConcurrencyConformanceTest, TokensCannotBeAddedToAFinishedSession) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  domain::AccessToken at = addAccessToken(session, fakeHash("at"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, session.id));
    ASSERT_TRUE(tx->commit());
  }
  {
    auto tx = begin();
    auto access =
        tx->accessTokens().add(rng_, clock_, session.id, fakeHash("at2"), clock_.now() + 5min);
    ASSERT_FALSE(access.has_value());
    EXPECT_EQ(access.error().code, storage::StorageErrorCode::Constraint);
    // Like any failed call, the refusal spoils the transaction.
    EXPECT_FALSE(tx->commit().has_value());
  }
  auto tx = begin();
  auto refresh =
      tx->refreshTokens().add(rng_, clock_, session.id, fakeHash("rt"), at.id, std::nullopt);
  ASSERT_FALSE(refresh.has_value());
  EXPECT_EQ(refresh.error().code, storage::StorageErrorCode::Constraint);
}

TEST_P(OAuthConcurrencyConformanceTest, AFinishInTheSameTransactionRefusesLaterTokens) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  auto tx = begin();
  // The first add checks (and on PostgreSQL locks) the active session; the
  // transaction's own finish() must not leave that check standing.
  auto first =
      tx->accessTokens().add(rng_, clock_, session.id, fakeHash("at1"), clock_.now() + 5min);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(*tx->oauthSessions().finish(clock_, session.id));

  auto second =
      tx->accessTokens().add(rng_, clock_, session.id, fakeHash("at2"), clock_.now() + 5min);

  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, storage::StorageErrorCode::Constraint);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OAuthConcurrencyConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, OAuthConcurrencyConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
