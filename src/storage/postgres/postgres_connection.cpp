#include "storage/postgres/postgres_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mxauth::storage::postgres {
namespace {

// pg_advisory_lock key held around migrate(), so that processes starting at
// once run migrations one after the other. Any fixed number works as long
// as nothing else in the database uses it; this one spells "mxauth".
constexpr std::int64_t kMigrationLockKey = 0x6d7861757468;

// TransactionMode::ReadWriteUnsynced: the commit of the transaction this
// runs in does not wait for its WAL to be flushed (the WAL writer flushes it
// within wal_writer_delay, and any later synchronous commit with it).
constexpr std::string_view kUnsyncedCommit = "SELECT set_config('synchronous_commit', 'off', true)";

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); logs and the start-up error want one line.
std::string trimmed(const char* message) {
  std::string text;
  for (const char* c = message != nullptr ? message : ""; *c != '\0'; ++c) {
    bool space = *c == '\n' || *c == '\t';
    if (space && (text.empty() || text.back() == ' ')) continue;
    text.push_back(space ? ' ' : *c);
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// SQLSTATE classes, PostgreSQL manual appendix A.
StorageErrorCode classify(std::string_view sqlstate) {
  if (sqlstate == "23505") return StorageErrorCode::Conflict;  // unique_violation
  if (sqlstate.starts_with("23")) return StorageErrorCode::Constraint;
  if (sqlstate.starts_with("22")) return StorageErrorCode::Constraint;  // data exception
  // Connection exceptions, operator intervention (shutdown, cancel),
  // insufficient resources, and serialization failure or deadlock: the
  // database is there but cannot serve this right now.
  if (sqlstate.starts_with("08") || sqlstate.starts_with("57") || sqlstate.starts_with("53") ||
      sqlstate == "40001" || sqlstate == "40P01") {
    return StorageErrorCode::Unavailable;
  }
  return StorageErrorCode::Internal;
}

// The server's notices ("relation already exists, skipping") are not ours
// to print on stderr.
void ignoreNotice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

Result<std::unique_ptr<PostgresConnection>, StorageError> PostgresConnection::connect(
    const PostgresOptions& options) {
  std::string timeout = std::to_string(options.connect_timeout.count());
  // Later entries win, and the URI is expanded where "dbname" stands: our
  // defaults come first so that the URI can override them.
  const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), "mxauth", options.uri.c_str(), nullptr};
  if (auto loaded = loadLibpq(); !loaded) {
    return unexpected(StorageError{StorageErrorCode::Unavailable,
                                   "cannot connect to PostgreSQL: " + loaded.error()});
  }
  PGconn* raw = libpq().PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) {
    return unexpected(
        StorageError{StorageErrorCode::Unavailable, "cannot connect to PostgreSQL: out of memory"});
  }
  if (libpq().PQstatus(raw) != CONNECTION_OK) {
    std::string message = trimmed(libpq().PQerrorMessage(raw));
    libpq().PQfinish(raw);
    return unexpected(
        StorageError{StorageErrorCode::Unavailable, "cannot connect to PostgreSQL: " + message});
  }
  libpq().PQsetNoticeProcessor(raw, &ignoreNotice, nullptr);
  return std::unique_ptr<PostgresConnection>(new PostgresConnection(raw));
}

PostgresConnection::~PostgresConnection() { libpq().PQfinish(connection_); }

bool PostgresConnection::isBroken() const {
  return failed_ || libpq().PQstatus(connection_) != CONNECTION_OK;
}

StorageError PostgresConnection::failure(const PGresult* result, std::string_view what) {
  if (libpq().PQstatus(connection_) != CONNECTION_OK) {
    failed_ = true;
    return StorageError{
        StorageErrorCode::Unavailable,
        "lost the connection to PostgreSQL: " + trimmed(libpq().PQerrorMessage(connection_))};
  }
  const char* sqlstate =
      result != nullptr ? libpq().PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result != nullptr ? trimmed(libpq().PQresultErrorMessage(result))
                                          : trimmed(libpq().PQerrorMessage(connection_));
  StorageErrorCode code = sqlstate != nullptr ? classify(sqlstate) : StorageErrorCode::Unavailable;
  return StorageError{code, std::string(what) + ": " + message};
}

namespace {

// Parameters as libpq wants them: text, or a null pointer for NULL.
class TextParams {
 public:
  explicit TextParams(std::span<const sql::Param> params)
      : texts_(params.size()), values_(params.size(), nullptr) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const sql::Param::Value& value = params[i].value();
      if (std::holds_alternative<std::monostate>(value)) continue;
      if (const auto* number = std::get_if<std::int64_t>(&value)) {
        texts_[i] = std::to_string(*number);
      } else if (const auto* flag = std::get_if<bool>(&value)) {
        texts_[i] = *flag ? "true" : "false";
      } else {
        texts_[i] = std::get<std::string>(value);
      }
      values_[i] = texts_[i].c_str();
    }
  }

  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> texts_;
  std::vector<const char*> values_;
};

}  // namespace

Result<const std::string*, StorageError> PostgresConnection::prepared(std::string_view sql) {
  std::string key(sql);
  auto found = statement_names_.find(key);
  if (found != statement_names_.end()) return &found->second;
  std::string name = "mxauth_" + std::to_string(++statements_named_);
  // Parameter types are left to the server to infer from their use.
  ResultPtr result(libpq().PQprepare(connection_, name.c_str(), key.c_str(), 0, nullptr));
  if (!result || libpq().PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return unexpected(failure(result.get(), "prepare failed"));
  }
  return &statement_names_.emplace(std::move(key), std::move(name)).first->second;
}

bool PostgresConnection::reconnect() {
  libpq().PQreset(connection_);
  queued_.clear();
  preparing_.clear();
  unread_ = 0;
  if (libpq().PQstatus(connection_) != CONNECTION_OK) return false;
  statement_names_.clear();  // the new session has none of them
  failed_ = false;
  return true;
}

void PostgresConnection::settle() {
  for (; unread_ > 0; --unread_) {
    while (PGresult* result = libpq().PQgetResult(connection_)) libpq().PQclear(result);
  }
}

Result<void, StorageError> PostgresConnection::sendWithoutWaiting(const char* command) {
  settle();
  if (libpq().PQsendQuery(connection_, command) != 1) {
    failed_ = true;
    return unexpected(failure(nullptr, "cannot send " + std::string(command)));
  }
  ++unread_;
  return {};
}

void PostgresConnection::reviveIfClosed() {
  settle();
  if (inPipeline()) return;
  char byte = 0;
  const ssize_t peeked = ::recv(libpq().PQsocket(connection_), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
  // The end of the stream, or something no command asked for: most likely
  // the server's goodbye (pg_terminate_backend sends a FATAL error, then
  // closes). A fresh session is cheaper than finding out.
  (void)reconnect();
}

Result<void, StorageError> PostgresConnection::queueHeld() {
  for (const HeldWrite& write : held_) {
    if (auto queued = queue(write.sql, write.params); !queued) return queued;
  }
  return {};
}

Result<void, StorageError> PostgresConnection::pipelineHeld() {
  reviveIfClosed();
  auto queued = enterPipeline();
  if (queued) queued = queueBegin();
  if (queued) queued = queueHeld();
  held_.clear();
  if (!queued) {
    (void)syncPipeline();
    return unexpected(queued.error());
  }
  return {};
}

Result<void, StorageError> PostgresConnection::commitHeld() {
  if (held_.size() == 1) {
    reviveIfClosed();
    const HeldWrite write = std::move(held_.front());
    held_.clear();
    deferred_begin_.reset();
    if (unsynced_) {
      // Without a BEGIN, the commands up to the pipeline's sync are one
      // implicit transaction, committed at the sync: the setting holds for
      // that commit, and ends with it.
      if (auto entered = enterPipeline(); !entered) return entered;
      auto queued = queue(kUnsyncedCommit, {});
      if (queued) queued = queue(write.sql, write.params);
      auto answer = syncPipeline();
      if (!queued) return unexpected(queued.error());
      if (!answer) return unexpected(answer.error());
      return {};
    }
    auto ran = runOnce(write.sql, write.params);
    if (!ran) return unexpected(ran.error());
    return {};
  }
  if (auto queued = pipelineHeld(); !queued) return queued;
  return executeScript("COMMIT");  // in the pipeline now: one round trip
}

Result<void, StorageError> PostgresConnection::enterPipeline() {
  if (inPipeline()) return {};
  settle();
  if (libpq().PQenterPipelineMode(connection_) != 1) {
    return unexpected(failure(nullptr, "cannot enter pipeline mode"));
  }
  return {};
}

Result<void, StorageError> PostgresConnection::queueBegin() {
  if (!deferred_begin_) return {};
  const std::string begin = std::move(*deferred_begin_);
  deferred_begin_.reset();
  if (libpq().PQsendQueryParams(connection_, begin.c_str(), 0, nullptr, nullptr, nullptr, nullptr,
                                0) != 1) {
    return unexpected(failure(nullptr, "cannot begin a transaction"));
  }
  queued_.push_back("cannot begin a transaction");
  if (unsynced_) return queue(kUnsyncedCommit, {});
  return {};
}

Result<void, StorageError> PostgresConnection::queue(std::string_view sql,
                                                     std::span<const sql::Param> params) {
  std::string key(sql);
  auto found = statement_names_.find(key);
  if (found == statement_names_.end()) {
    std::string name = "mxauth_" + std::to_string(++statements_named_);
    if (libpq().PQsendPrepare(connection_, name.c_str(), key.c_str(), 0, nullptr) != 1) {
      return unexpected(failure(nullptr, "prepare failed"));
    }
    queued_.push_back("prepare failed");
    preparing_.push_back(key);
    found = statement_names_.emplace(std::move(key), std::move(name)).first;
  }
  TextParams values(params);
  if (libpq().PQsendQueryPrepared(connection_, found->second.c_str(), values.count(),
                                  values.values(), nullptr, nullptr, /*resultFormat=*/0) != 1) {
    return unexpected(failure(nullptr, "statement failed"));
  }
  queued_.push_back("statement failed");
  return {};
}

Result<PostgresConnection::ResultPtr, StorageError> PostgresConnection::syncPipeline() {
  const std::vector<const char*> queued = std::move(queued_);
  queued_.clear();
  const std::vector<std::string> preparing = std::move(preparing_);
  preparing_.clear();
  std::optional<StorageError> error;
  ResultPtr last;
  bool synced = false;
  if (libpq().PQpipelineSync(connection_) == 1) {
    // Each command's answers end with a null; more nulls than commands
    // means the connection gave up.
    std::size_t index = 0;
    while (libpq().PQstatus(connection_) == CONNECTION_OK) {
      ResultPtr result(libpq().PQgetResult(connection_));
      if (!result) {
        if (++index > queued.size()) break;
        continue;
      }
      ExecStatusType status = libpq().PQresultStatus(result.get());
      if (status == PGRES_PIPELINE_SYNC) {
        synced = true;
        break;
      }
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        if (index + 1 == queued.size()) last = std::move(result);
      } else if (!error) {
        // The first failure; the commands after it report PIPELINE_ABORTED.
        error = failure(result.get(), index < queued.size() ? queued[index] : "statement failed");
      }
    }
  }
  if (!synced) {
    if (!error) error = failure(nullptr, "lost the pipeline");
    failed_ = true;  // its answers are out of step: the pool closes it
  }
  libpq().PQexitPipelineMode(connection_);
  if (error) {
    for (const std::string& sql : preparing) statement_names_.erase(sql);
    return unexpected(std::move(*error));
  }
  return last;
}

// A transaction's first statement that finds the connection gone (the
// server restarted, or ended it while it sat in the pool) is retried once
// on a new connection: BEGIN went out with it, so nothing of the
// transaction reached the server, and the caller sees no failure, as when
// a BEGIN of its own used to fail and the pool replaced the connection.
Result<PostgresConnection::ResultPtr, StorageError> PostgresConnection::run(
    std::string_view sql, std::span<const sql::Param> params) {
  const std::optional<std::string> begin = deferred_begin_;
  auto result = runOnce(sql, params);
  // A read of a read-only transaction runs on its own, so it can always be
  // sent again.
  const bool resendable = begin || autocommit_reads_;
  if (!result && resendable && libpq().PQstatus(connection_) != CONNECTION_OK && reconnect()) {
    deferred_begin_ = begin;
    result = runOnce(sql, params);
  }
  held_.clear();  // sent with the BEGIN, or lost with the transaction
  return result;
}

Result<PostgresConnection::ResultPtr, StorageError> PostgresConnection::runOnce(
    std::string_view sql, std::span<const sql::Param> params) {
  if (deferred_begin_ || inPipeline()) {
    // BEGIN, or writes queued by executeLater(), go in the same round trip.
    if (auto entered = enterPipeline(); !entered) return unexpected(entered.error());
    auto queued = queueBegin();
    if (queued) queued = queueHeld();
    if (queued) queued = queue(sql, params);
    auto answer = syncPipeline();
    if (!queued) return unexpected(queued.error());
    return answer;
  }
  settle();
  auto name = prepared(sql);
  if (!name) return unexpected(name.error());
  TextParams values(params);
  ResultPtr result(libpq().PQexecPrepared(connection_, (*name)->c_str(), values.count(),
                                          values.values(), nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType status = result ? libpq().PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return unexpected(failure(result.get(), "statement failed"));
  }
  return result;
}

Result<std::vector<sql::Row>, StorageError> PostgresConnection::query(
    std::string_view sql, std::span<const sql::Param> params) {
  auto result = run(sql, params);
  if (!result) return unexpected(result.error());
  PGresult* res = result->get();
  int rows = libpq().PQntuples(res);
  int columns = libpq().PQnfields(res);
  std::vector<sql::Row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    sql::Row row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (libpq().PQgetisnull(res, r, c) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(libpq().PQgetvalue(res, r, c),
                                     static_cast<std::size_t>(libpq().PQgetlength(res, r, c))));
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::int64_t, StorageError> PostgresConnection::execute(std::string_view sql,
                                                               std::span<const sql::Param> params) {
  auto result = run(sql, params);
  if (!result) return unexpected(result.error());
  std::string_view count = libpq().PQcmdTuples(result->get());
  std::int64_t changed = 0;
  std::from_chars(count.data(), count.data() + count.size(), changed);
  return changed;
}

Result<void, StorageError> PostgresConnection::executeLater(std::string_view sql,
                                                            std::span<const sql::Param> params) {
  if (autocommit_reads_) {
    return unexpected(
        StorageError{StorageErrorCode::Internal, "a read-only transaction may only read"});
  }
  // Before the BEGIN goes out, writes wait for it (held_).
  if (deferred_begin_) {
    held_.push_back(HeldWrite{std::string(sql), {params.begin(), params.end()}});
    return {};
  }
  if (auto entered = enterPipeline(); !entered) return unexpected(entered.error());
  if (auto queued = queue(sql, params); !queued) {
    (void)syncPipeline();
    return unexpected(queued.error());
  }
  return {};
}

Result<void, StorageError> PostgresConnection::executeScript(std::string_view sql) {
  if (autocommit_reads_) {
    // Nothing of a read-only transaction waits on the server.
    if (sql != "COMMIT" && sql != "ROLLBACK") {
      return unexpected(
          StorageError{StorageErrorCode::Internal, "a read-only transaction may only read"});
    }
    autocommit_reads_ = false;
    return {};
  }
  if (!held_.empty()) {
    if (sql == "COMMIT") return commitHeld();
    if (sql == "ROLLBACK") {
      // Nothing reached the server.
      held_.clear();
      deferred_begin_.reset();
      return {};
    }
    // Another script runs after the held writes (the pipeline's answers
    // are read below, before it).
    if (auto queued = pipelineHeld(); !queued) return queued;
  }
  if (inPipeline()) {
    if (sql == "COMMIT") {
      // The queued writes and the COMMIT in one round trip; after a failed
      // write the server skips the COMMIT.
      if (libpq().PQsendQueryParams(connection_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr,
                                    0) != 1) {
        auto lost = failure(nullptr, "commit failed");
        (void)syncPipeline();
        return unexpected(std::move(lost));
      }
      queued_.push_back("commit failed");
      auto committed = syncPipeline();
      if (!committed) return unexpected(committed.error());
      return {};
    }
    // Anything else waits for the queued writes' answers. A failure among
    // them is what a ROLLBACK is for; before any other script it is the
    // answer.
    auto answered = syncPipeline();
    if (!answered && sql != "ROLLBACK") return unexpected(answered.error());
  }
  const std::optional<std::string> begin = deferred_begin_;
  auto done = executeScriptOnce(sql);
  if (!done && begin && libpq().PQstatus(connection_) != CONNECTION_OK && reconnect()) {
    deferred_begin_ = begin;  // as in run()
    return executeScriptOnce(sql);
  }
  return done;
}

Result<void, StorageError> PostgresConnection::executeScriptOnce(std::string_view sql) {
  std::string text;
  if (deferred_begin_) {
    // A transaction that ends before its first statement: nothing was sent.
    if (sql == "COMMIT" || sql == "ROLLBACK") {
      deferred_begin_.reset();
      return {};
    }
    // The simple protocol runs both in one round trip.
    text = *deferred_begin_ + "; ";
    if (unsynced_) text.append(kUnsyncedCommit).append("; ");
    deferred_begin_.reset();
  } else if (sql == "ROLLBACK") {
    // Nobody waits for a rollback's answer: a connection that cannot roll
    // back is broken, which its next use finds out.
    return sendWithoutWaiting("ROLLBACK");
  }
  settle();
  text.append(sql);
  ResultPtr result(libpq().PQexec(connection_, text.c_str()));
  ExecStatusType status = result ? libpq().PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return unexpected(failure(result.get(), "statement failed"));
  }
  return {};
}

Result<sql::Connection::DurabilityWait, StorageError> PostgresConnection::commit() {
  if (autocommit_reads_) {
    autocommit_reads_ = false;
    return DurabilityWait();
  }
  auto committed = executeScript("COMMIT");
  if (!committed) return unexpected(committed.error());
  return DurabilityWait();
}

Result<void, StorageError> PostgresConnection::begin(TransactionMode mode) {
  unsynced_ = mode == TransactionMode::ReadWriteUnsynced;
  switch (mode) {
    case TransactionMode::ReadWrite:
    case TransactionMode::ReadWriteUnsynced:
      held_.clear();
      deferred_begin_ = "BEGIN";
      autocommit_reads_ = false;
      return {};
    case TransactionMode::ReadOnly:
      // At READ COMMITTED each statement of a transaction reads a snapshot
      // of its own, so a transaction of reads sees exactly what the same
      // reads would see one by one: its BEGIN READ ONLY and ROLLBACK would
      // buy nothing but the server's refusal of writes, which sql::Session
      // makes instead (and executeLater() here).
      deferred_begin_.reset();
      autocommit_reads_ = true;
      return {};
  }
  return unexpected(StorageError{StorageErrorCode::Internal, "unknown transaction mode"});
}

Result<bool, StorageError> PostgresConnection::tableExists(std::string_view name) {
  const sql::Param params[] = {name};
  auto rows = query("SELECT to_regclass(CAST($1 AS TEXT)) IS NOT NULL", params);
  if (!rows) return unexpected(rows.error());
  return !rows->empty() && rows->front().front() == "t";
}

Result<void, StorageError> PostgresConnection::lockMigrations() {
  const sql::Param params[] = {kMigrationLockKey};
  auto locked = query("SELECT pg_advisory_lock(CAST($1 AS BIGINT))", params);
  if (!locked) return unexpected(locked.error());
  return {};
}

Result<void, StorageError> PostgresConnection::unlockMigrations() {
  const sql::Param params[] = {kMigrationLockKey};
  auto unlocked = query("SELECT pg_advisory_unlock(CAST($1 AS BIGINT))", params);
  if (!unlocked) return unexpected(unlocked.error());
  return {};
}

std::string_view PostgresConnection::migrationsTableDdl() const {
  return "CREATE TABLE IF NOT EXISTS schema_migrations ("
         " version BIGINT NOT NULL PRIMARY KEY,"
         " name TEXT NOT NULL,"
         " checksum TEXT NOT NULL,"
         " applied_at BIGINT NOT NULL"
         ")";
}

}  // namespace mxauth::storage::postgres
