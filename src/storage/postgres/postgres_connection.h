#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "storage/postgres/postgres_database.h"
#include "storage/sql/connection.h"

namespace mxauth::storage::postgres {

// One libpq connection with its prepared statements (PQprepare once per
// connection, named by SQL text). Parameters are sent as text and always
// bound. A connection whose socket failed reports isBroken(), and the pool
// replaces it: that is how the service recovers after a database restart.
class PostgresConnection final : public sql::Connection {
 public:
  static Result<std::unique_ptr<PostgresConnection>, StorageError> connect(
      const PostgresOptions& options);
  ~PostgresConnection() override;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  Result<std::vector<sql::Row>, StorageError> query(std::string_view sql,
                                                    std::span<const sql::Param> params) override;
  Result<std::int64_t, StorageError> execute(std::string_view sql,
                                             std::span<const sql::Param> params) override;
  Result<void, StorageError> executeScript(std::string_view sql) override;
  Result<void, StorageError> begin(TransactionMode mode) override;
  bool isBroken() const override;
  Result<bool, StorageError> tableExists(std::string_view name) override;
  Result<void, StorageError> lockMigrations() override;
  Result<void, StorageError> unlockMigrations() override;
  std::string_view migrationsTableDdl() const override;
  bool supportsSkipLocked() const override { return true; }

 private:
  explicit PostgresConnection(PGconn* connection) : connection_(connection) {}

  struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
  };
  using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

  Result<ResultPtr, StorageError> run(std::string_view sql, std::span<const sql::Param> params);
  Result<ResultPtr, StorageError> runOnce(std::string_view sql, std::span<const sql::Param> params);
  Result<void, StorageError> executeScriptOnce(std::string_view sql);
  // A new session on the same parameters (PQreset); false when the server
  // cannot be reached.
  bool reconnect();
  // The deferred BEGIN and the first statement of a transaction in one
  // round trip (libpq pipeline mode).
  Result<ResultPtr, StorageError> runAfterBegin(const std::string& name, int count,
                                                const char* const* values);
  Result<const std::string*, StorageError> prepared(std::string_view sql);
  StorageError failure(const PGresult* result, std::string_view what);

  PGconn* connection_;
  std::unordered_map<std::string, std::string> statement_names_;
  bool failed_ = false;
  // begin() sends nothing: its BEGIN goes out with the transaction's first
  // statement, saving a round trip per transaction; a transaction that ends
  // before any statement never reaches the server.
  std::optional<std::string> deferred_begin_;
};

}  // namespace mxauth::storage::postgres
