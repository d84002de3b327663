#pragma once

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "storage/sql/connection.h"
#include "storage/sqlite/checkpointer.h"
#include "storage/sqlite/sqlite_database.h"
#include "storage/sqlite/wal_sync.h"

namespace mxauth::storage::sqlite {

// One sqlite3 handle with its cache of prepared statements (keyed by SQL
// text), configured for the server (WAL, busy timeout, foreign keys,
// synchronous=FULL).
class SqliteConnection final : public sql::Connection {
 public:
  // WRITER, shared by the connections of one pool, queues this process's
  // write transactions in the process (see begin()); nullptr: SQLite's
  // busy handler alone. WAL_SYNC, shared likewise, makes commits durable by
  // group commit (wal_sync.h); nullptr: synchronous = FULL. CHECKPOINTER
  // takes the WAL checkpoints off this connection's commits
  // (checkpointer.h); nullptr: SQLite's automatic checkpoint.
  static Result<std::unique_ptr<SqliteConnection>, StorageError> open(
      const SqliteOptions& options, std::shared_ptr<std::timed_mutex> writer = nullptr,
      std::shared_ptr<WalSync> wal_sync = nullptr,
      std::shared_ptr<Checkpointer> checkpointer = nullptr);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Result<std::vector<sql::Row>, StorageError> query(std::string_view sql,
                                                    std::span<const sql::Param> params) override;
  Result<std::int64_t, StorageError> execute(std::string_view sql,
                                             std::span<const sql::Param> params) override;
  Result<void, StorageError> executeScript(std::string_view sql) override;
  Result<void, StorageError> begin(TransactionMode mode) override;
  bool isBroken() const override { return broken_; }
  Result<bool, StorageError> tableExists(std::string_view name) override;
  Result<void, StorageError> lockMigrations() override { return {}; }
  Result<void, StorageError> unlockMigrations() override { return {}; }
  std::string_view migrationsTableDdl() const override;
  bool supportsSkipLocked() const override { return false; }
  // COMMIT, handing back the group sync to wait for (none without one).
  Result<DurabilityWait, StorageError> commit() override;

 private:
  SqliteConnection(sqlite3* db, std::shared_ptr<std::timed_mutex> writer,
                   std::shared_ptr<WalSync> wal_sync, Duration busy_timeout)
      : db_(db),
        writer_(std::move(writer)),
        wal_sync_(std::move(wal_sync)),
        busy_timeout_(busy_timeout) {}
  // After a write outside BEGIN … COMMIT (autocommit), or a COMMIT: waits
  // for the group sync.
  Result<void, StorageError> makeDurable();
  // Lets the next writer in once this connection's transaction is over.
  void releaseWriterIfDone();

  struct StatementDeleter {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  using Statement = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  Result<sqlite3_stmt*, StorageError> prepare(std::string_view sql,
                                              std::span<const sql::Param> params);
  // Runs the statement to completion, collecting rows when `rows` is set.
  Result<void, StorageError> run(sqlite3_stmt* statement, std::vector<sql::Row>* rows);
  StorageError error(int code, std::string_view what);

  sqlite3* db_;
  std::shared_ptr<std::timed_mutex> writer_;
  std::shared_ptr<WalSync> wal_sync_;
  std::shared_ptr<Checkpointer> checkpointer_;  // outlives the hook on db_
  Duration busy_timeout_;
  bool holds_writer_ = false;
  // This transaction's commit does not wait for the group sync
  // (TransactionMode::ReadWriteUnsynced).
  bool unsynced_ = false;
  std::unordered_map<std::string, Statement> statements_;
  bool broken_ = false;
};

}  // namespace mxauth::storage::sqlite
