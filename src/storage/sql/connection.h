#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/id.h"
#include "storage/database.h"
#include "storage/storage_error.h"

// The seam between the shared SQL repositories and a database client
// library. Both backends speak the same SQL for the repositories: numbered
// parameters ($1, $2, ...), timestamps as integer Unix milliseconds, ids as
// ULID text, RETURNING, expression and partial indexes. What differs
// (placeholders on the wire, BEGIN variants, errors, the migration lock)
// lives behind Connection.
namespace mxauth::storage::sql {

// A bound parameter. Parameters are always bound, never spliced into SQL.
class Param {
 public:
  using Value = std::variant<std::monostate, std::int64_t, bool, std::string>;

  Param(std::nullptr_t) {}              // NOLINT(google-explicit-constructor): SQL NULL
  Param(bool value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  Param(int value) : value_(std::int64_t{value}) {}  // NOLINT(google-explicit-constructor)
  Param(std::int64_t value) : value_(value) {}       // NOLINT(google-explicit-constructor)
  Param(std::size_t value) : value_(static_cast<std::int64_t>(value)) {}  // NOLINT
  Param(const char* value) : value_(std::string(value)) {}                // NOLINT
  Param(std::string_view value) : value_(std::string(value)) {}           // NOLINT
  Param(const std::string& value) : value_(value) {}                      // NOLINT
  Param(Timestamp value) : value_(toUnixMillis(value)) {}                 // NOLINT
  template <class Tag>
  Param(const domain::Id<Tag>& id) : value_(id.str()) {}  // NOLINT(google-explicit-constructor)
  template <class T>
  Param(const std::optional<T>& value) {  // NOLINT(google-explicit-constructor)
    if (value) value_ = Param(*value).value_;
  }

  const Value& value() const { return value_; }

 private:
  Value value_;
};

// One result row: each column's value as text, or empty for NULL.
// (Integers arrive as decimal text, booleans as "1"/"0" or "t"/"f".)
using Row = std::vector<std::optional<std::string>>;

// Reads a row's columns in order, converting them. The first conversion
// failure is kept and reported by error(); later reads return defaults.
class RowReader {
 public:
  explicit RowReader(const Row& row) : row_(row) {}

  std::string text();
  std::optional<std::string> optionalText();
  std::int64_t integer();
  std::optional<std::int64_t> optionalInteger();
  bool boolean();
  Timestamp timestamp() { return fromUnixMillis(integer()); }
  std::optional<Timestamp> optionalTimestamp();

  // Internal when a column was missing, NULL where a value was required,
  // or not convertible: the schema does not match the code.
  std::optional<StorageError> error() const { return error_; }

 private:
  const std::optional<std::string>* next();
  void fail(std::string detail);

  const Row& row_;
  std::size_t index_ = 0;
  std::optional<StorageError> error_;
};

// One connection to a database, used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement and returns its rows.
  virtual Result<std::vector<Row>, StorageError> query(std::string_view sql,
                                                       std::span<const Param> params) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual Result<std::int64_t, StorageError> execute(std::string_view sql,
                                                     std::span<const Param> params) = 0;
  // Runs one or more statements without parameters (migrations, COMMIT).
  virtual Result<void, StorageError> executeScript(std::string_view sql) = 0;
  // Runs one statement whose answer the caller does not need: a backend
  // may send it with the transaction's next statement or with its COMMIT
  // (PostgreSQL's pipeline mode, one round trip for all of them), and a
  // failure is then reported by that later call, which aborts the
  // transaction as a failure here would. The default runs it at once.
  virtual Result<void, StorageError> executeLater(std::string_view sql,
                                                  std::span<const Param> params) {
    auto changed = execute(sql, params);
    if (!changed) return unexpected(changed.error());
    return {};
  }

  virtual Result<void, StorageError> begin(TransactionMode mode) = 0;

  // What makes a commit durable, when that is a separate wait (SQLite's
  // group commit): callable after the connection has gone back to its
  // pool, so that the next transaction can use the connection meanwhile.
  using DurabilityWait = std::function<Result<void, StorageError>()>;
  // Commits the open transaction. The answer is empty when the commit was
  // already durable when COMMIT returned; otherwise the caller must call it
  // before reporting success.
  virtual Result<DurabilityWait, StorageError> commit() {
    auto committed = executeScript("COMMIT");
    if (!committed) return unexpected(committed.error());
    return DurabilityWait();
  }

  // True once the connection is known to be unusable (lost, failed to
  // roll back); the pool then discards it instead of reusing it.
  virtual bool isBroken() const = 0;

  virtual Result<bool, StorageError> tableExists(std::string_view name) = 0;
  // Serialises migrate() across processes (PostgreSQL: an advisory lock
  // held by this session). A backend whose per-migration transactions are
  // already serialised may do nothing.
  virtual Result<void, StorageError> lockMigrations() = 0;
  virtual Result<void, StorageError> unlockMigrations() = 0;
  // CREATE TABLE IF NOT EXISTS schema_migrations (version, name, checksum,
  // applied_at) in this backend's dialect.
  virtual std::string_view migrationsTableDdl() const = 0;
  // True when SELECT … FOR UPDATE SKIP LOCKED is available (PostgreSQL), so
  // that concurrent job runners skip each other's rows; SQLite has a single
  // writer and needs no row lock.
  virtual bool supportsSkipLocked() const = 0;
  // True when the schema tells other processes of every token revocation
  // itself (PostgreSQL's NOTIFY triggers), and offers
  // mxauth_retire_access_token() for the revocations it need not tell.
  virtual bool notifiesRevocations() const { return false; }
};

// The checks every backend applies to text parameters before binding, so
// both refuse the same input: text must be valid UTF-8 without NUL bytes
// (PostgreSQL text cannot hold either). Fails with Constraint.
Result<void, StorageError> checkParams(std::span<const Param> params);

}  // namespace mxauth::storage::sql
