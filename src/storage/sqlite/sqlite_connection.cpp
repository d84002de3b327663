#include "storage/sqlite/sqlite_connection.h"

#include <filesystem>
#include <system_error>
#include <utility>
#include <variant>

namespace mxauth::storage::sqlite {
namespace {

// The repositories write PostgreSQL-style "$1"; SQLite reads "$1" as a
// *named* parameter, numbered by first appearance, which breaks "$2 ... $1"
// orders and repeats. "?1" is SQLite's explicitly numbered form.
std::string numberedPlaceholders(std::string_view sql) {
  std::string out(sql);
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

StorageErrorCode classify(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return StorageErrorCode::Conflict;
    default:
      break;
  }
  switch (extended_code & 0xff) {
    case SQLITE_CONSTRAINT:
      return StorageErrorCode::Constraint;
    // Another connection holds a lock, or the file/disk is not usable
    // right now: retrying later may work, so the service answers 503.
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return StorageErrorCode::Unavailable;
    default:
      return StorageErrorCode::Internal;
  }
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>, StorageError> SqliteConnection::open(
    const SqliteOptions& options, std::shared_ptr<std::timed_mutex> writer,
    std::shared_ptr<WalSync> wal_sync, std::shared_ptr<Checkpointer> checkpointer) {
  std::filesystem::path path(options.path);
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return unexpected(StorageError{StorageErrorCode::Unavailable,
                                     "cannot create the directory of the SQLite database '" +
                                         options.path + "': " + ec.message()});
    }
  }
  sqlite3* raw = nullptr;
  int opened =
      sqlite3_open_v2(options.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (opened != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(opened);
    sqlite3_close(raw);
    return unexpected(
        StorageError{StorageErrorCode::Unavailable,
                     "cannot open the SQLite database '" + options.path + "': " + message});
  }
  const bool group_commit = wal_sync != nullptr;
  // The group sync is attached once the journal mode is known: before, a
  // statement's wait for it would find no WAL file (a new database has none
  // until its first write) and fail.
  std::unique_ptr<SqliteConnection> connection(
      new SqliteConnection(raw, std::move(writer), nullptr, options.busy_timeout));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  // WAL: readers never block the writer nor each other.
  // An authorization server must not forget a refresh-token rotation or a
  // revocation it already answered for, so every commit is on stable
  // storage before it returns: synchronous = FULL (an fsync per commit, in
  // the writer lock), or NORMAL plus the group sync after each commit
  // (wal_sync.h), which gives the same guarantee with one fsync for many
  // overlapping commits. NORMAL alone could lose the last commits on power
  // loss.
  auto configured = connection->executeScript(
      group_commit
          ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
          : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
  if (!configured) {
    StorageError error = configured.error();
    error.detail = "cannot open the SQLite database '" + options.path + "': " + error.detail;
    return unexpected(std::move(error));
  }
  if (group_commit) {
    // A file system without WAL support (some network file systems) keeps
    // another journal mode: then there is no WAL to sync, and FULL it is.
    auto mode = connection->query("PRAGMA journal_mode", {});
    if (!mode || mode->empty() || mode->front().empty() || mode->front().front() != "wal") {
      if (auto full = connection->executeScript("PRAGMA synchronous = FULL"); !full) {
        return unexpected(full.error());
      }
    } else {
      connection->wal_sync_ = std::move(wal_sync);
    }
  }
  if (checkpointer != nullptr) {
    checkpointer->attach(raw);
    connection->checkpointer_ = std::move(checkpointer);
  }
  return connection;
}

SqliteConnection::~SqliteConnection() {
  statements_.clear();
  sqlite3_close_v2(db_);
  if (holds_writer_) writer_->unlock();
}

Result<sql::Connection::DurabilityWait, StorageError> SqliteConnection::commit() {
  char* message = nullptr;
  const int result = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, &message);
  releaseWriterIfDone();
  if (result != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(result);
    sqlite3_free(message);
    const int extended = sqlite3_extended_errcode(db_);
    return unexpected(
        StorageError{classify((extended & 0xff) == (result & 0xff) ? extended : result), detail});
  }
  if (wal_sync_ == nullptr || unsynced_) return DurabilityWait();
  return DurabilityWait([sync = wal_sync_] { return sync->flush(); });
}

Result<void, StorageError> SqliteConnection::makeDurable() {
  if (wal_sync_ == nullptr) return {};
  return wal_sync_->flush();
}

void SqliteConnection::releaseWriterIfDone() {
  // Autocommit again: COMMIT or ROLLBACK ran, or SQLite rolled back by
  // itself after an error.
  if (holds_writer_ && sqlite3_get_autocommit(db_) != 0) {
    holds_writer_ = false;
    writer_->unlock();
  }
}

StorageError SqliteConnection::error(int code, std::string_view what) {
  int extended = sqlite3_extended_errcode(db_);
  if ((extended & 0xff) != (code & 0xff)) extended = code;
  StorageErrorCode classified = classify(extended);
  return StorageError{classified, std::string(what) + ": " + sqlite3_errmsg(db_)};
}

Result<sqlite3_stmt*, StorageError> SqliteConnection::prepare(std::string_view sql,
                                                              std::span<const sql::Param> params) {
  std::string key(sql);
  auto found = statements_.find(key);
  if (found == statements_.end()) {
    std::string text = numberedPlaceholders(sql);
    sqlite3_stmt* raw = nullptr;
    int prepared = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    if (prepared != SQLITE_OK) return unexpected(error(prepared, "prepare failed"));
    found = statements_.emplace(std::move(key), Statement(raw)).first;
  }
  sqlite3_stmt* statement = found->second.get();
  sqlite3_reset(statement);
  sqlite3_clear_bindings(statement);
  if (static_cast<std::size_t>(sqlite3_bind_parameter_count(statement)) != params.size()) {
    return unexpected(StorageError{StorageErrorCode::Internal,
                                   "statement expects " +
                                       std::to_string(sqlite3_bind_parameter_count(statement)) +
                                       " parameters, got " + std::to_string(params.size())});
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    int bound = std::visit(
        [&](const auto& value) -> int {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return sqlite3_bind_null(statement, index);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            return sqlite3_bind_int64(statement, index, value);
          } else if constexpr (std::is_same_v<T, bool>) {
            return sqlite3_bind_int64(statement, index, value ? 1 : 0);
          } else {
            return sqlite3_bind_text64(statement, index, value.data(), value.size(),
                                       SQLITE_TRANSIENT, SQLITE_UTF8);
          }
        },
        params[i].value());
    if (bound != SQLITE_OK) return unexpected(error(bound, "bind failed"));
  }
  return statement;
}

Result<void, StorageError> SqliteConnection::run(sqlite3_stmt* statement,
                                                 std::vector<sql::Row>* rows) {
  while (true) {
    int stepped = sqlite3_step(statement);
    if (stepped == SQLITE_DONE) break;
    if (stepped != SQLITE_ROW) {
      StorageError failure = error(stepped, "statement failed");
      sqlite3_reset(statement);
      return unexpected(std::move(failure));
    }
    if (rows == nullptr) continue;
    int columns = sqlite3_column_count(statement);
    sql::Row row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(statement, c) == SQLITE_NULL) {
        row.emplace_back(std::nullopt);
        continue;
      }
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
      int length = sqlite3_column_bytes(statement, c);
      row.emplace_back(std::string(text, static_cast<std::size_t>(length)));
    }
    rows->push_back(std::move(row));
  }
  sqlite3_reset(statement);
  return {};
}

Result<std::vector<sql::Row>, StorageError> SqliteConnection::query(
    std::string_view sql, std::span<const sql::Param> params) {
  auto statement = prepare(sql, params);
  if (!statement) return unexpected(statement.error());
  std::vector<sql::Row> rows;
  if (auto ran = run(*statement, &rows); !ran) return unexpected(ran.error());
  if (sqlite3_get_autocommit(db_) != 0 && sqlite3_stmt_readonly(*statement) == 0) {
    if (auto durable = makeDurable(); !durable) return unexpected(durable.error());
  }
  return rows;
}

Result<std::int64_t, StorageError> SqliteConnection::execute(std::string_view sql,
                                                             std::span<const sql::Param> params) {
  auto statement = prepare(sql, params);
  if (!statement) return unexpected(statement.error());
  if (auto ran = run(*statement, nullptr); !ran) return unexpected(ran.error());
  const auto changed = static_cast<std::int64_t>(sqlite3_changes64(db_));
  if (sqlite3_get_autocommit(db_) != 0 && sqlite3_stmt_readonly(*statement) == 0) {
    if (auto durable = makeDurable(); !durable) return unexpected(durable.error());
  }
  return changed;
}

Result<void, StorageError> SqliteConnection::executeScript(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  const sqlite3_int64 changes_before = sqlite3_total_changes64(db_);
  int result = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  releaseWriterIfDone();
  if (result == SQLITE_OK) {
    // A COMMIT, or writes outside a transaction. The writer lock is already
    // released: the next transaction runs while this one waits for the disk.
    const bool wrote_in_autocommit =
        sqlite3_get_autocommit(db_) != 0 && sqlite3_total_changes64(db_) != changes_before;
    if (sql == "COMMIT" || wrote_in_autocommit) return makeDurable();
    return {};
  }
  std::string detail = message != nullptr ? message : sqlite3_errstr(result);
  sqlite3_free(message);
  int extended = sqlite3_extended_errcode(db_);
  return unexpected(
      StorageError{classify((extended & 0xff) == (result & 0xff) ? extended : result), detail});
}

Result<void, StorageError> SqliteConnection::begin(TransactionMode mode) {
  unsynced_ = mode == TransactionMode::ReadWriteUnsynced;
  switch (mode) {
    case TransactionMode::ReadWrite:
    case TransactionMode::ReadWriteUnsynced: {
      // Writers of this process queue on a mutex, handed over the moment a
      // transaction ends. Left to SQLite's busy handler they would poll
      // with sleeps of 1 to 100 ms: under concurrent refreshes that cost
      // half the throughput and put p99 at a second. Other processes (the
      // CLI) still meet the busy handler.
      if (writer_ != nullptr && !holds_writer_) {
        if (!writer_->try_lock_for(busy_timeout_)) {
          return unexpected(StorageError{StorageErrorCode::Unavailable,
                                         "timed out waiting for the database's writer"});
        }
        holds_writer_ = true;
      }
      // Take the write lock now: a deferred transaction that reads first
      // and writes later can fail with SQLITE_BUSY half-way, whereas this
      // waits (busy_timeout) for the current writer instead.
      auto begun = executeScript("BEGIN IMMEDIATE");
      releaseWriterIfDone();
      return begun;
    }
    case TransactionMode::ReadOnly:
      return executeScript("BEGIN");
  }
  return unexpected(StorageError{StorageErrorCode::Internal, "unknown transaction mode"});
}

Result<bool, StorageError> SqliteConnection::tableExists(std::string_view name) {
  const sql::Param params[] = {name};
  auto rows = query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", params);
  if (!rows) return unexpected(rows.error());
  return !rows->empty();
}

std::string_view SqliteConnection::migrationsTableDdl() const {
  return "CREATE TABLE IF NOT EXISTS schema_migrations ("
         " version INTEGER NOT NULL PRIMARY KEY,"
         " name TEXT NOT NULL,"
         " checksum TEXT NOT NULL,"
         " applied_at INTEGER NOT NULL"
         ") STRICT";
}

}  // namespace mxauth::storage::sqlite
