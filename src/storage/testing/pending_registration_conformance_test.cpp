#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "domain/localpart.h"
#include "storage/pending_registration_repository.h"
#include "storage/testing/conformance.h"
#include "storage/testing/inspection.h"

// PendingRegistrationRepository (storage/pending_registration_repository.h):
// registrations waiting for their e-mail code — stored and found by the
// browser's hash, attempts taken by one conditional write, consumed once
// and only before expiry (racing consumers create exactly one account),
// dead rows swept when a new one shares their username or address, and the
// per-address count of codes sent.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class PendingRegistrationConformanceTest : public MigratedDatabaseTest {
 protected:
  storage::NewPendingRegistration fresh(const std::string& browser, const std::string& localpart,
                                        const std::string& email) {
    storage::NewPendingRegistration pending;
    pending.browser_hash = browser;
    pending.localpart = localpart;
    pending.password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
    pending.password_scheme_version = 1;
    pending.email = email;
    pending.code_hash = "code-" + browser;
    pending.expires_at = clock_.now() + 10min;
    pending.attempts_left = 5;
    return pending;
  }

  storage::PendingRegistration add(const storage::NewPendingRegistration& pending) {
    auto tx = begin();
    auto added = tx->pendingRegistrations().add(rng_, clock_, pending);
    EXPECT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return added.value_or(storage::PendingRegistration{});
  }

  std::optional<storage::PendingRegistration> find(const std::string& browser) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->pendingRegistrations().findByBrowserHash(browser);
    EXPECT_TRUE(found.has_value()) << found.error().detail;
    return found.value_or(std::nullopt);
  }

  bool attempt(const domain::PendingRegistrationId& id) {
    auto tx = begin();
    auto counted = tx->pendingRegistrations().recordAttempt(clock_, id);
    EXPECT_TRUE(counted.has_value()) << counted.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return counted.value_or(false);
  }

  bool consume(const domain::PendingRegistrationId& id) {
    auto tx = begin();
    auto consumed = tx->pendingRegistrations().consume(clock_, id);
    EXPECT_TRUE(consumed.has_value()) << consumed.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return consumed.value_or(false);
  }
};

TEST_P(PendingRegistrationConformanceTest, StoresEverythingAndIsConsumedOnce) {
  storage::NewPendingRegistration pending = fresh("b1", "alice", "alice@example.org");
  pending.next = "/authorize/continue?id=01J00000000000000000000000";
  pending.terms_uri = "https://example.org/tos";
  pending.registration_token_hash = "token-hash";
  const storage::PendingRegistration added = add(pending);
  EXPECT_EQ(added.created_at, clock_.now());

  const auto found = find("b1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, added);
  EXPECT_EQ(found->localpart, "alice");
  EXPECT_EQ(found->email, "alice@example.org");
  EXPECT_EQ(found->password_hash, pending.password_hash);
  EXPECT_EQ(found->password_scheme_version, 1);
  EXPECT_EQ(found->code_hash, "code-b1");
  EXPECT_EQ(found->attempts_left, 5);
  EXPECT_EQ(found->next, pending.next);
  EXPECT_EQ(found->terms_uri, pending.terms_uri);
  EXPECT_EQ(found->registration_token_hash, "token-hash");
  EXPECT_FALSE(find("other").has_value());

  EXPECT_TRUE(consume(added.id));
  EXPECT_FALSE(consume(added.id));
  EXPECT_FALSE(find("b1").has_value());
}

TEST_P(PendingRegistrationConformanceTest, ABrowserHashIsStoredOnce) {
  add(fresh("same", "alice", "alice@example.org"));
  auto tx = begin();
  auto again = tx->pendingRegistrations().add(rng_, clock_, fresh("same", "bob", "b@example.org"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, storage::StorageErrorCode::Conflict);
}

TEST_P(PendingRegistrationConformanceTest, AnExpiredRegistrationCannotBeConsumedOrGuessed) {
  const storage::PendingRegistration added = add(fresh("b1", "alice", "alice@example.org"));
  clock_.advance(10min);
  EXPECT_FALSE(attempt(added.id));
  EXPECT_FALSE(consume(added.id));
  // Still there (the caller removes it and tells the user), unchanged.
  const auto found = find("b1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->attempts_left, 5);

  // A new code revives it, with fresh attempts.
  {
    auto tx = begin();
    EXPECT_TRUE(tx->pendingRegistrations()
                    .replaceCode(added.id, "new-code", clock_.now() + 10min, 5)
                    .value_or(false));
    EXPECT_TRUE(tx->commit().has_value());
  }
  EXPECT_EQ(find("b1")->code_hash, "new-code");
  EXPECT_TRUE(attempt(added.id));
  EXPECT_TRUE(consume(added.id));
  auto tx = begin();
  EXPECT_FALSE(
      tx->pendingRegistrations().replaceCode(added.id, "x", clock_.now(), 5).value_or(true));
  EXPECT_FALSE(tx->pendingRegistrations().remove(added.id).value_or(true));
}

TEST_P(PendingRegistrationConformanceTest, AttemptsRunOut) {
  const storage::PendingRegistration added = add(fresh("b1", "alice", "alice@example.org"));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(attempt(added.id)) << i;
  EXPECT_FALSE(attempt(added.id));
  EXPECT_EQ(find("b1")->attempts_left, 0);
}

TEST_P(PendingRegistrationConformanceTest, RacingGuessesTakeNoMoreThanTheAttemptsLeft) {
  storage::NewPendingRegistration pending = fresh("b1", "alice", "alice@example.org");
  pending.attempts_left = 1;
  const storage::PendingRegistration added = add(pending);
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  auto attempts =
      raceTransactions(**racing, GetParam(), kRacers, [&](storage::Transaction& tx, int) {
        return tx.pendingRegistrations().recordAttempt(clock_, added.id);
      });
  expectOneWinner(attempts);
  EXPECT_EQ(find("b1")->attempts_left, 0);
}

TEST_P(PendingRegistrationConformanceTest, NewRowsSweepDeadOnesOfTheSameUsernameOrAddress) {
  add(fresh("expired", "alice", "a@example.org"));
  const auto spent = add(fresh("spent", "bob", "b@example.org"));
  const auto live = add(fresh("live", "alice", "c@example.org"));
  add(fresh("unrelated", "dave", "d@example.org"));
  for (int i = 0; i < 5; ++i) attempt(spent.id);
  clock_.advance(6min);
  // Two people may be pending for one username.
  add(fresh("also-live", "alice", "e@example.org"));
  clock_.advance(5min);  // expired, live and unrelated have expired now
  {
    auto tx = begin();
    EXPECT_TRUE(tx->pendingRegistrations()
                    .replaceCode(live.id, "renewed", clock_.now() + 10min, 5)
                    .value_or(false));
    EXPECT_TRUE(tx->commit().has_value());
  }
  add(fresh("newcomer", "alice", "b@example.org"));
  EXPECT_FALSE(find("expired").has_value());  // same username, expired
  EXPECT_FALSE(find("spent").has_value());    // same address, no attempts left
  EXPECT_TRUE(find("live").has_value());      // same username, renewed
  EXPECT_TRUE(find("also-live").has_value());
  EXPECT_TRUE(find("unrelated").has_value());  // expired, but nothing in common
  EXPECT_TRUE(find("newcomer").has_value());
}

TEST_P(PendingRegistrationConformanceTest, RacingConsumersCreateExactlyOneAccount) {
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "racer" + std::to_string(round);
    const auto pending = add(fresh(name, name, name + "@example.org"));
    const auto localpart = domain::Localpart::parse(name, "example.org");
    ASSERT_TRUE(localpart.has_value());
    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers,
                         [&](storage::Transaction& tx, int) -> Result<bool, storage::StorageError> {
                           auto consumed = tx.pendingRegistrations().consume(clock_, pending.id);
                           if (!consumed || !*consumed) return consumed;
                           auto user = tx.users().add(rng_, clock_, *localpart, false);
                           if (!user) return unexpected(user.error());
                           return true;
                         });
    expectOneWinner(attempts);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto user = tx->users().findByLocalpart(name);
    ASSERT_TRUE(user.has_value());
    EXPECT_TRUE(user->has_value());
  }
}

TEST_P(PendingRegistrationConformanceTest, CodesSentAreCountedPerAddress) {
  const Timestamp start = clock_.now();
  for (int i = 0; i < 3; ++i) {
    auto tx = begin();
    EXPECT_TRUE(tx->pendingRegistrations()
                    .recordCodeSent(clock_, "a@example.org", clock_.now() - 1h)
                    .has_value());
    EXPECT_TRUE(tx->commit().has_value());
    clock_.advance(20min);
  }
  {
    auto tx = begin();
    EXPECT_TRUE(tx->pendingRegistrations()
                    .recordCodeSent(clock_, "b@example.org", clock_.now() - 1h)
                    .has_value());
    EXPECT_TRUE(tx->commit().has_value());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ(tx->pendingRegistrations().countCodesSince("a@example.org", start).value_or(-1), 3);
  EXPECT_EQ(tx->pendingRegistrations().countCodesSince("a@example.org", start + 20min).value_or(-1),
            2);
  EXPECT_EQ(tx->pendingRegistrations().countCodesSince("b@example.org", start).value_or(-1), 1);
  EXPECT_EQ(tx->pendingRegistrations().countCodesSince("c@example.org", start).value_or(-1), 0);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, PendingRegistrationConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, PendingRegistrationConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
