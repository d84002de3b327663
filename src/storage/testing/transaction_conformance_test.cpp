#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "domain/localpart.h"
#include "storage/testing/conformance.h"

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;
using storage::TransactionMode;

class TransactionConformanceTest : public MigratedDatabaseTest {};

TEST_P(TransactionConformanceTest, DestroyingAnUncommittedTransactionWritesNothing) {
  domain::UserId id;
  {
    auto tx = begin();
    auto user = tx->users().add(rng_, clock_, localpart("alice"), false);
    ASSERT_TRUE(user.has_value());
    ASSERT_TRUE(tx->userPasswords().add(rng_, clock_, user->id, "$argon2id$x", 1, std::nullopt));
    id = user->id;
  }

  auto tx = begin(TransactionMode::ReadOnly);

  EXPECT_FALSE(tx->users().lookup(id)->has_value());
  EXPECT_FALSE(tx->users().findByLocalpart("alice")->has_value());
  EXPECT_TRUE(tx->userPasswords().history(id)->empty());
}

TEST_P(TransactionConformanceTest, CommittedChangesAreVisibleToLaterTransactions) {
  domain::User user = addUser("alice");

  auto tx = begin(TransactionMode::ReadOnly);
  auto found = tx->users().lookup(user.id);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, user);
}

TEST_P(TransactionConformanceTest, UncommittedChangesAreInvisibleToOtherTransactions) {
  auto writer = begin();
  auto user = writer->users().add(rng_, clock_, localpart("alice"), false);
  ASSERT_TRUE(user.has_value());

  auto reader = begin(TransactionMode::ReadOnly);
  auto seen = reader->users().lookup(user->id);

  ASSERT_TRUE(seen.has_value());
  EXPECT_FALSE(seen->has_value());
}

TEST_P(TransactionConformanceTest, AFailedCallSpoilsTheTransactionSoThatNothingIsCommitted) {
  addUser("bob");
  auto tx = begin();
  auto alice = tx->users().add(rng_, clock_, localpart("alice"), false);
  ASSERT_TRUE(alice.has_value());
  auto clash = tx->users().add(rng_, clock_, localpart("bob"), false);
  ASSERT_FALSE(clash.has_value());

  auto later = tx->users().lookup(alice->id);
  auto committed = tx->commit();

  ASSERT_FALSE(later.has_value());
  EXPECT_EQ(later.error().code, StorageErrorCode::Internal);
  ASSERT_FALSE(committed.has_value());
  auto check = begin(TransactionMode::ReadOnly);
  EXPECT_FALSE(check->users().lookup(alice->id)->has_value());
}

// Inserts whose answer is not needed wait for the transaction's next
// statement or its commit on PostgreSQL (postgres_connection.h, held_).
TEST_P(TransactionConformanceTest, InsertsMadeAloneOrTogetherCommitOrRollBackAsAWhole) {
  domain::User alice = addUser("alice");
  domain::BrowserSessionId dropped;
  {
    auto tx = begin();
    auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "agent", "192.0.2.1"});
    ASSERT_TRUE(added.has_value());
    dropped = added->id;
  }
  domain::BrowserSessionId lone;
  {
    auto tx = begin();
    auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "agent", "192.0.2.1"});
    ASSERT_TRUE(added.has_value());
    lone = added->id;
    ASSERT_TRUE(tx->commit().has_value());
  }
  std::vector<domain::BrowserSessionId> pair;
  {
    auto tx = begin();
    for (int i = 0; i < 2; ++i) {
      auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "agent", "192.0.2.1"});
      ASSERT_TRUE(added.has_value());
      pair.push_back(added->id);
    }
    ASSERT_TRUE(tx->commit().has_value());
  }

  auto check = begin(TransactionMode::ReadOnly);
  EXPECT_FALSE(check->browserSessions().lookup(dropped)->has_value());
  EXPECT_TRUE(check->browserSessions().lookup(lone)->has_value());
  EXPECT_TRUE(check->browserSessions().lookup(pair[0])->has_value());
  EXPECT_TRUE(check->browserSessions().lookup(pair[1])->has_value());
}

// TransactionMode::ReadWriteUnsynced commits and rolls back as ReadWrite
// does; only the wait for the disk differs. On PostgreSQL a trigger shows
// what each transaction's commit ran with: synchronous_commit off in an
// unsynced transaction, whether its insert went alone (one implicit
// transaction, no BEGIN) or after a read (BEGIN), and on again in the
// durable transactions after it on the same pooled connections. (SQLite:
// sqlite/sqlite_connection_test.cpp.)
TEST_P(TransactionConformanceTest, AnUnsyncedTransactionCommitsAndRollsBackAsAnyOther) {
  const bool postgres = GetParam() == Backend::Postgres;
  if (postgres) {
    ASSERT_TRUE(test_database_->executeRaw(
        "CREATE FUNCTION probe_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "NEW.user_agent := current_setting('synchronous_commit'); RETURN NEW; END $$; "
        "CREATE TRIGGER probe_commit BEFORE INSERT ON browser_sessions "
        "FOR EACH ROW EXECUTE FUNCTION probe_commit()"));
  }
  domain::User alice = addUser("alice");
  const auto add = [&](TransactionMode mode, bool read_first, bool commit) {
    auto tx = begin(mode);
    if (read_first) {
      EXPECT_TRUE(tx->users().lookup(alice.id).has_value());
    }
    auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "agent", "192.0.2.1"});
    EXPECT_TRUE(added.has_value());
    if (commit) {
      EXPECT_TRUE(tx->commit().has_value());
    }
    return added ? added->id : domain::BrowserSessionId();
  };
  const domain::BrowserSessionId dropped = add(TransactionMode::ReadWriteUnsynced, false, false);
  const domain::BrowserSessionId lone = add(TransactionMode::ReadWriteUnsynced, false, true);
  const domain::BrowserSessionId after_read = add(TransactionMode::ReadWriteUnsynced, true, true);
  std::vector<domain::BrowserSessionId> durable;
  for (int i = 0; i < 4; ++i) durable.push_back(add(TransactionMode::ReadWrite, i % 2 == 1, true));

  auto check = begin(TransactionMode::ReadOnly);
  const auto agent = [&](const domain::BrowserSessionId& id) -> std::string {
    auto found = check->browserSessions().lookup(id);
    if (!found || !*found) return "(missing)";
    return (*found)->user_agent;
  };
  EXPECT_EQ(agent(dropped), "(missing)");
  EXPECT_EQ(agent(lone), postgres ? "off" : "agent");
  EXPECT_EQ(agent(after_read), postgres ? "off" : "agent");
  for (const auto& id : durable) EXPECT_EQ(agent(id), postgres ? "on" : "agent");
}

TEST_P(TransactionConformanceTest, AReadOnlyTransactionRefusesWritesAndKeepsNone) {
  auto tx = begin(TransactionMode::ReadOnly);

  auto written = tx->users().add(rng_, clock_, localpart("alice"), false);
  auto later = tx->users().findByLocalpart("alice");
  auto committed = tx->commit();

  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, StorageErrorCode::Internal);
  EXPECT_FALSE(later.has_value());
  EXPECT_FALSE(committed.has_value());
  auto check = begin(TransactionMode::ReadOnly);
  auto found = check->users().findByLocalpart("alice");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(TransactionConformanceTest, ATransactionCannotBeCommittedTwice) {
  auto tx = begin();
  ASSERT_TRUE(tx->users().add(rng_, clock_, localpart("alice"), false));
  ASSERT_TRUE(tx->commit());

  auto again = tx->commit();

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, StorageErrorCode::Internal);
}

TEST_P(TransactionConformanceTest, RefusesTextThatIsNotValidUtf8OrHoldsNulAsConstraint) {
  domain::User alice = addUser("alice");
  for (std::string_view address :
       {std::string_view("\xff\xfe@example.org"), std::string_view("a\0b@example.org", 15)}) {
    auto tx = begin();

    auto added = tx->userEmails().add(rng_, clock_, alice.id, address);

    ASSERT_FALSE(added.has_value());
    EXPECT_EQ(added.error().code, StorageErrorCode::Constraint);
  }
}

TEST_P(TransactionConformanceTest, StoresNonAsciiTextUnchanged) {
  domain::User alice = addUser("alice");
  auto tx = begin();

  auto added =
      tx->userEmails().add(rng_, clock_, alice.id, "j\xC3\xBCrgen@b\xC3\xBC\x63her.example");
  auto found = tx->userEmails().lookup(added->id);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->address, "j\xC3\xBCrgen@b\xC3\xBC\x63her.example");
}

TEST_P(TransactionConformanceTest, PingAnswersAndTheBackendIsNamed) {
  EXPECT_TRUE(database_->ping().has_value());
  EXPECT_EQ(database_->backendName(), GetParam() == Backend::Sqlite ? "sqlite" : "postgres");
}

TEST_P(TransactionConformanceTest, PoolStatsCountTransactionsInProgress) {
  auto first = begin(TransactionMode::ReadOnly);
  auto second = begin(TransactionMode::ReadOnly);

  storage::PoolStats stats = database_->poolStats();

  EXPECT_EQ(stats.in_use, 2u);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_GE(stats.size, 2u);
}

TEST_P(TransactionConformanceTest, BeginAnswersUnavailableWhenThePoolStaysExhausted) {
  database_.reset();
  auto database = open({1, 50ms});
  auto held = database->begin(TransactionMode::ReadOnly);
  ASSERT_TRUE(held.has_value());

  auto second = database->begin(TransactionMode::ReadOnly);

  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, StorageErrorCode::Unavailable);
}

// A finished transaction gives its connection back when it finishes, not
// when it is destroyed: with a pool of one (SQLite keeps one connection for
// all writes) a caller still holding a committed transaction can begin the
// next one, and a call on the finished one is refused, not run elsewhere.
TEST_P(TransactionConformanceTest, AFinishedTransactionGivesItsConnectionBackAtOnce) {
  database_.reset();
  auto database = open({1, 50ms});
  auto first = database->begin(TransactionMode::ReadWrite);
  ASSERT_TRUE(first.has_value());
  auto alice = (*first)->users().add(rng_, clock_, localpart("alice"), false);
  ASSERT_TRUE(alice.has_value());
  ASSERT_TRUE((*first)->commit().has_value());

  auto second = database->begin(TransactionMode::ReadWrite);
  ASSERT_TRUE(second.has_value()) << second.error().detail;
  auto late = (*first)->users().lookup(alice->id);
  ASSERT_TRUE((*second)->users().add(rng_, clock_, localpart("bob"), false).has_value());
  ASSERT_TRUE((*second)->commit().has_value());
  auto third = database->begin(TransactionMode::ReadOnly);

  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, StorageErrorCode::Internal);
  ASSERT_TRUE(third.has_value()) << third.error().detail;
  EXPECT_TRUE((*third)->users().lookup(alice->id)->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, TransactionConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, TransactionConformanceTest,
                         ::testing::Values(Backend::Postgres));

// PostgreSQL only: SQLite has no server connection to lose.
class ConnectionLossConformanceTest : public MigratedDatabaseTest {};

// The server restarts (or an operator kills our sessions): calls on the lost
// connection answer Unavailable, and the next begin() reconnects.
TEST_P(ConnectionLossConformanceTest, AnswersUnavailableWhenTheServerDropsUsAndThenRecovers) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  // A transaction under way (PostgreSQL sends BEGIN with the first
  // statement: a transaction that loses its connection before any is
  // started again on a new one, IdleConnectionsLostMeanwhile… below).
  ASSERT_TRUE(tx->users().lookup(alice.id).has_value());
  ASSERT_TRUE(test_database_->terminateConnections());

  auto lost = tx->users().lookup(alice.id);
  tx.reset();

  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().code, StorageErrorCode::Unavailable);
  EXPECT_TRUE(database_->ping().has_value());
  auto again = begin();
  auto found = again->users().lookup(alice.id);
  ASSERT_TRUE(found && found->has_value());
}

TEST_P(ConnectionLossConformanceTest, IdleConnectionsLostMeanwhileAreReplacedTransparently) {
  domain::User alice = addUser("alice");
  {
    // Leave several idle connections in the pool.
    auto first = begin(TransactionMode::ReadOnly);
    auto second = begin(TransactionMode::ReadOnly);
    auto third = begin(TransactionMode::ReadOnly);
  }
  ASSERT_TRUE(test_database_->terminateConnections());

  auto tx = database_->begin(TransactionMode::ReadOnly);

  ASSERT_TRUE(tx.has_value()) << tx.error().detail;
  auto found = (*tx)->users().lookup(alice.id);
  ASSERT_TRUE(found && found->has_value());
}

// A transaction of one insert sends it alone at its commit: on a pooled
// connection the server closed meanwhile, it goes out on a new one.
TEST_P(ConnectionLossConformanceTest, ALoneInsertCommitsAfterIdleConnectionsWereLost) {
  domain::User alice = addUser("alice");
  {
    auto first = begin(TransactionMode::ReadOnly);
    auto second = begin(TransactionMode::ReadOnly);
  }
  ASSERT_TRUE(test_database_->terminateConnections());
  auto tx = begin();
  auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "agent", "192.0.2.1"});
  ASSERT_TRUE(added.has_value());

  auto committed = tx->commit();

  ASSERT_TRUE(committed.has_value()) << committed.error().detail;
  auto check = begin(TransactionMode::ReadOnly);
  EXPECT_TRUE(check->browserSessions().lookup(added->id)->has_value());
}

// A read-only transaction's reads run one by one (no BEGIN READ ONLY), so
// one that finds its connection gone is sent again on a new one.
TEST_P(ConnectionLossConformanceTest, AReadOnlyTransactionReadsOnAfterLosingItsConnection) {
  domain::User alice = addUser("alice");
  auto tx = begin(TransactionMode::ReadOnly);
  ASSERT_TRUE(tx->users().lookup(alice.id).has_value());
  ASSERT_TRUE(test_database_->terminateConnections());

  auto again = tx->users().lookup(alice.id);

  ASSERT_TRUE(again.has_value()) << again.error().detail;
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->localpart, alice.localpart);
  EXPECT_TRUE(tx->commit().has_value());
}

INSTANTIATE_TEST_SUITE_P(Postgres, ConnectionLossConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
