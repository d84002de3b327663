#include "storage/sql/session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxauth::storage::sql {
namespace {

// Records the statements that reach it and answers each with nothing.
class RecordingConnection final : public Connection {
 public:
  Result<std::vector<Row>, StorageError> query(std::string_view sql,
                                               std::span<const Param>) override {
    sent.emplace_back(sql);
    return std::vector<Row>{};
  }
  Result<std::int64_t, StorageError> execute(std::string_view sql,
                                             std::span<const Param>) override {
    sent.emplace_back(sql);
    return 0;
  }
  Result<void, StorageError> executeLater(std::string_view sql, std::span<const Param>) override {
    sent.emplace_back(sql);
    return {};
  }
  Result<void, StorageError> executeScript(std::string_view) override { return {}; }
  Result<void, StorageError> begin(TransactionMode) override { return {}; }
  bool isBroken() const override { return false; }
  Result<bool, StorageError> tableExists(std::string_view) override { return false; }
  Result<void, StorageError> lockMigrations() override { return {}; }
  Result<void, StorageError> unlockMigrations() override { return {}; }
  std::string_view migrationsTableDdl() const override { return ""; }
  bool supportsSkipLocked() const override { return false; }

  std::vector<std::string> sent;
};

TEST(ReadOnlySessionTest, RunsSelectsThatLockNothing) {
  RecordingConnection connection;
  Session session(connection, /*read_only=*/true);

  EXPECT_TRUE(session.query("SELECT id FROM users WHERE id = $1", {"u"}).has_value());
  EXPECT_TRUE(session.query("  select 1 FROM t WHERE note = 'before update'", {}).has_value());
  EXPECT_TRUE(session.query("\nSELECT id FROM t WHERE kind = 'for' ORDER BY id", {}).has_value());

  EXPECT_EQ(connection.sent.size(), 3U);
  EXPECT_FALSE(session.spoiled());
}

TEST(ReadOnlySessionTest, RefusesWritesAndLockingReadsBeforeTheyReachTheConnection) {
  const std::vector<std::string> refused = {
      "INSERT INTO users (id) VALUES ($1)",
      "UPDATE users SET locked_at = $2 WHERE id = $1",
      "DELETE FROM users WHERE id = $1",
      "WITH gone AS (DELETE FROM t RETURNING id) SELECT id FROM gone",
      "SELECT 1 FROM oauth_sessions WHERE id = $1 FOR UPDATE",
      "SELECT id FROM jobs\nFOR UPDATE SKIP LOCKED",
      "select 1 from t where id = $1 for no key update",
      "SELECT 1 FROM t FOR SHARE",
      "SELECT 1 FROM t FOR  KEY SHARE",
  };
  for (const std::string& sql : refused) {
    RecordingConnection connection;
    Session session(connection, /*read_only=*/true);

    auto answered = session.query(sql, {});

    ASSERT_FALSE(answered.has_value()) << sql;
    EXPECT_EQ(answered.error().code, StorageErrorCode::Internal) << sql;
    EXPECT_TRUE(connection.sent.empty()) << sql;
    EXPECT_TRUE(session.spoiled()) << sql;
  }
  RecordingConnection connection;
  Session session(connection, /*read_only=*/true);
  EXPECT_FALSE(session.execute("DELETE FROM users", {}).has_value());
  Session later(connection, /*read_only=*/true);
  EXPECT_FALSE(later.executeLater("INSERT INTO t (id) VALUES ($1)", {"x"}).has_value());
  // executeLater() is for writes, whatever the statement looks like.
  Session function(connection, /*read_only=*/true);
  EXPECT_FALSE(function.executeLater("SELECT mxauth_retire_access_token($1, $2)", {"x", 1}));
  EXPECT_TRUE(connection.sent.empty());
}

TEST(ReadOnlySessionTest, AReadWriteSessionSendsEverything) {
  RecordingConnection connection;
  Session session(connection);

  EXPECT_TRUE(session.execute("UPDATE users SET locked_at = $2 WHERE id = $1", {"u", 1}));
  EXPECT_TRUE(session.query("SELECT 1 FROM t WHERE id = $1 FOR UPDATE", {"u"}));
  EXPECT_TRUE(session.executeLater("INSERT INTO t (id) VALUES ($1)", {"x"}));

  EXPECT_EQ(connection.sent.size(), 3U);
}

}  // namespace
}  // namespace mxauth::storage::sql
