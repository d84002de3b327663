#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "storage/sql/connection.h"
#include "storage/sqlite/sqlite_database.h"

namespace mxauth::storage::sqlite {

// One sqlite3 handle with its cache of prepared statements (keyed by SQL
// text), configured for the server (WAL, busy timeout, foreign keys,
// synchronous=FULL).
class SqliteConnection final : public sql::Connection {
 public:
  static Result<std::unique_ptr<SqliteConnection>, StorageError> open(const SqliteOptions& options);
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

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}

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
  std::unordered_map<std::string, Statement> statements_;
  bool broken_ = false;
};

}  // namespace mxauth::storage::sqlite
