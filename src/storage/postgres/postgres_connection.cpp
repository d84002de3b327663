#include "storage/postgres/postgres_connection.h"

#include <charconv>
#include <utility>
#include <variant>

namespace mxauth::storage::postgres {
namespace {

// pg_advisory_lock key held around migrate(), so that processes starting at
// once run migrations one after the other. Any fixed number works as long
// as nothing else in the database uses it; this one spells "mxauth".
constexpr std::int64_t kMigrationLockKey = 0x6d7861757468;

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
  PGconn* raw = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (raw == nullptr) {
    return unexpected(
        StorageError{StorageErrorCode::Unavailable, "cannot connect to PostgreSQL: out of memory"});
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string message = trimmed(PQerrorMessage(raw));
    PQfinish(raw);
    return unexpected(
        StorageError{StorageErrorCode::Unavailable, "cannot connect to PostgreSQL: " + message});
  }
  PQsetNoticeProcessor(raw, &ignoreNotice, nullptr);
  return std::unique_ptr<PostgresConnection>(new PostgresConnection(raw));
}

PostgresConnection::~PostgresConnection() { PQfinish(connection_); }

bool PostgresConnection::isBroken() const {
  return failed_ || PQstatus(connection_) != CONNECTION_OK;
}

StorageError PostgresConnection::failure(const PGresult* result, std::string_view what) {
  if (PQstatus(connection_) != CONNECTION_OK) {
    failed_ = true;
    return StorageError{StorageErrorCode::Unavailable, "lost the connection to PostgreSQL: " +
                                                           trimmed(PQerrorMessage(connection_))};
  }
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result != nullptr ? trimmed(PQresultErrorMessage(result))
                                          : trimmed(PQerrorMessage(connection_));
  StorageErrorCode code = sqlstate != nullptr ? classify(sqlstate) : StorageErrorCode::Unavailable;
  return StorageError{code, std::string(what) + ": " + message};
}

Result<const std::string*, StorageError> PostgresConnection::prepared(std::string_view sql) {
  std::string key(sql);
  auto found = statement_names_.find(key);
  if (found != statement_names_.end()) return &found->second;
  std::string name = "mxauth_" + std::to_string(statement_names_.size() + 1);
  // Parameter types are left to the server to infer from their use.
  ResultPtr result(PQprepare(connection_, name.c_str(), key.c_str(), 0, nullptr));
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return unexpected(failure(result.get(), "prepare failed"));
  }
  return &statement_names_.emplace(std::move(key), std::move(name)).first->second;
}

bool PostgresConnection::reconnect() {
  PQreset(connection_);
  if (PQstatus(connection_) != CONNECTION_OK) return false;
  statement_names_.clear();  // the new session has none of them
  failed_ = false;
  return true;
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
  if (!result && begin && PQstatus(connection_) != CONNECTION_OK && reconnect()) {
    deferred_begin_ = begin;
    return runOnce(sql, params);
  }
  return result;
}

Result<PostgresConnection::ResultPtr, StorageError> PostgresConnection::runOnce(
    std::string_view sql, std::span<const sql::Param> params) {
  auto name = prepared(sql);
  if (!name) return unexpected(name.error());
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const sql::Param::Value& value = params[i].value();
    if (std::holds_alternative<std::monostate>(value)) continue;
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
      texts[i] = std::to_string(*number);
    } else if (const auto* flag = std::get_if<bool>(&value)) {
      texts[i] = *flag ? "true" : "false";
    } else {
      texts[i] = std::get<std::string>(value);
    }
    values[i] = texts[i].c_str();
  }
  if (deferred_begin_) return runAfterBegin(**name, static_cast<int>(params.size()), values.data());
  ResultPtr result(PQexecPrepared(connection_, (*name)->c_str(), static_cast<int>(params.size()),
                                  values.data(), nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return unexpected(failure(result.get(), "statement failed"));
  }
  return result;
}

Result<PostgresConnection::ResultPtr, StorageError> PostgresConnection::runAfterBegin(
    const std::string& name, int count, const char* const* values) {
  const std::string begin = std::move(*deferred_begin_);
  deferred_begin_.reset();
  if (PQenterPipelineMode(connection_) != 1) {
    return unexpected(failure(nullptr, "cannot enter pipeline mode"));
  }
  const bool sent =
      PQsendQueryParams(connection_, begin.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) ==
          1 &&
      PQsendQueryPrepared(connection_, name.c_str(), count, values, nullptr, nullptr, 0) == 1 &&
      PQpipelineSync(connection_) == 1;
  // The answers, in order: BEGIN's, the statement's, then the sync. Every
  // one is read (pipeline mode cannot be left before), keeping the first
  // failure; after a failed BEGIN the statement reports PIPELINE_ABORTED.
  ResultPtr begun;
  ResultPtr statement;
  if (sent) {
    int answers = 0;
    int ends = 0;
    // Each query's results end with a null; more nulls than queries means
    // the connection gave up.
    while (PQstatus(connection_) == CONNECTION_OK && ends <= 2) {
      ResultPtr result(PQgetResult(connection_));
      if (!result) {
        ++ends;
        continue;
      }
      if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
      (answers++ == 0 ? begun : statement) = std::move(result);
    }
  }
  PQexitPipelineMode(connection_);
  if (!sent || !begun || PQresultStatus(begun.get()) != PGRES_COMMAND_OK) {
    return unexpected(failure(begun.get(), "cannot begin a transaction"));
  }
  ExecStatusType status = statement ? PQresultStatus(statement.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return unexpected(failure(statement.get(), "statement failed"));
  }
  return statement;
}

Result<std::vector<sql::Row>, StorageError> PostgresConnection::query(
    std::string_view sql, std::span<const sql::Param> params) {
  auto result = run(sql, params);
  if (!result) return unexpected(result.error());
  PGresult* res = result->get();
  int rows = PQntuples(res);
  int columns = PQnfields(res);
  std::vector<sql::Row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    sql::Row row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(res, r, c) != 0) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(
            std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
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
  std::string_view count = PQcmdTuples(result->get());
  std::int64_t changed = 0;
  std::from_chars(count.data(), count.data() + count.size(), changed);
  return changed;
}

Result<void, StorageError> PostgresConnection::executeScript(std::string_view sql) {
  const std::optional<std::string> begin = deferred_begin_;
  auto done = executeScriptOnce(sql);
  if (!done && begin && PQstatus(connection_) != CONNECTION_OK && reconnect()) {
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
    deferred_begin_.reset();
  }
  text.append(sql);
  ResultPtr result(PQexec(connection_, text.c_str()));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return unexpected(failure(result.get(), "statement failed"));
  }
  return {};
}

Result<void, StorageError> PostgresConnection::begin(TransactionMode mode) {
  switch (mode) {
    case TransactionMode::ReadWrite:
      deferred_begin_ = "BEGIN";
      return {};
    case TransactionMode::ReadOnly:
      deferred_begin_ = "BEGIN READ ONLY";
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
