#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/postgres/libpq.h"
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
  Result<void, StorageError> executeLater(std::string_view sql,
                                          std::span<const sql::Param> params) override;
  Result<void, StorageError> begin(TransactionMode mode) override;
  Result<DurabilityWait, StorageError> commit() override;
  bool isBroken() const override;
  Result<bool, StorageError> tableExists(std::string_view name) override;
  Result<void, StorageError> lockMigrations() override;
  Result<void, StorageError> unlockMigrations() override;
  std::string_view migrationsTableDdl() const override;
  bool supportsSkipLocked() const override { return true; }
  bool notifiesRevocations() const override { return true; }

 private:
  explicit PostgresConnection(PGconn* connection) : connection_(connection) {}

  struct ResultDeleter {
    void operator()(PGresult* result) const { libpq().PQclear(result); }
  };
  using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

  Result<ResultPtr, StorageError> run(std::string_view sql, std::span<const sql::Param> params);
  Result<ResultPtr, StorageError> runOnce(std::string_view sql, std::span<const sql::Param> params);
  Result<void, StorageError> executeScriptOnce(std::string_view sql);
  // A new session on the same parameters (PQreset); false when the server
  // cannot be reached.
  bool reconnect();
  Result<const std::string*, StorageError> prepared(std::string_view sql);
  StorageError failure(const PGresult* result, std::string_view what);

  // Pipeline mode (libpq): commands are queued without waiting for their
  // answers, and syncPipeline() sends them in one round trip and reads
  // every answer, in order. After a failed command the server skips the
  // rest up to the sync, so a COMMIT queued behind a failed write never
  // commits it.
  Result<void, StorageError> enterPipeline();
  bool inPipeline() const { return libpq().PQpipelineStatus(connection_) != PQ_PIPELINE_OFF; }
  // Queues BEGIN when the transaction has not reached the server yet.
  Result<void, StorageError> queueBegin();
  // Queues a statement, and its preparation when this connection has not
  // prepared it yet.
  Result<void, StorageError> queue(std::string_view sql, std::span<const sql::Param> params);
  // Sends what is queued and reads every answer; leaves pipeline mode. The
  // answer is the last command's result, or the first failure.
  Result<ResultPtr, StorageError> syncPipeline();
  // Reads and drops the answers of commands sent without waiting (a
  // read-only COMMIT, a ROLLBACK): the connection's next use must not
  // mistake them for its own.
  void settle();
  // Sends a command whose answer nobody needs; settle() reads it.
  Result<void, StorageError> sendWithoutWaiting(const char* command);
  // Queues the held writes (held_), in order.
  Result<void, StorageError> queueHeld();
  // Queues BEGIN and the held writes in pipeline mode, on a connection
  // checked first (reviveIfClosed()), and forgets them: they are the
  // pipeline's now.
  Result<void, StorageError> pipelineHeld();
  // COMMIT of a transaction nothing of which has reached the server but
  // held writes: a lone one runs on its own (one statement is a
  // transaction by itself, as atomic and durable as with BEGIN and
  // COMMIT), several go between BEGIN and COMMIT, in one round trip.
  Result<void, StorageError> commitHeld();
  // Before a transaction's first message: a connection the server closed
  // while it sat in the pool (a restart, pg_terminate_backend) is replaced
  // now, while nothing of the transaction has been sent. Never waits.
  void reviveIfClosed();

  PGconn* connection_;
  std::unordered_map<std::string, std::string> statement_names_;
  std::size_t statements_named_ = 0;
  bool failed_ = false;
  // begin() sends nothing: its BEGIN goes out with the transaction's first
  // statement, saving a round trip per transaction; a transaction that ends
  // before any statement never reaches the server.
  std::optional<std::string> deferred_begin_;
  // Writes of executeLater() made while the BEGIN is deferred: sent with the
  // transaction's first statement that needs an answer, or at COMMIT
  // (commitHeld()). A transaction of one insert is one statement in one
  // round trip.
  struct HeldWrite {
    std::string sql;
    std::vector<sql::Param> params;
  };
  std::vector<HeldWrite> held_;
  // A read-only transaction sends no BEGIN: its reads run one by one
  // (begin() says why), and its COMMIT or ROLLBACK sends nothing.
  bool autocommit_reads_ = false;
  // TransactionMode::ReadWriteUnsynced: synchronous_commit is off for this
  // transaction (set_config(..., true), sent right after its BEGIN, or
  // before a lone write in the same implicit transaction).
  bool unsynced_ = false;
  // In pipeline mode: what each queued command is, for its error message.
  std::vector<const char*> queued_;
  // Statements whose preparation is queued: forgotten when the batch fails,
  // since the server may have skipped the preparation.
  std::vector<std::string> preparing_;
  // Commands sent without waiting whose answers are not read yet.
  int unread_ = 0;
};

}  // namespace mxauth::storage::postgres
