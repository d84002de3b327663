#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "storage/sql/connection.h"
#include "storage/storage_error.h"

namespace mxauth::storage::sql {

// A transaction's view of its connection. After the first failed statement
// the session is spoiled and refuses further statements, so that SQLite
// behaves like PostgreSQL's aborted transaction (see storage/transaction.h).
// A read-only session refuses every statement but a SELECT that locks no
// rows, on both backends (PostgreSQL's read-only transactions send no
// BEGIN READ ONLY: postgres_connection.cpp, begin()).
class Session {
 public:
  explicit Session(Connection& connection, bool read_only = false)
      : connection_(connection), read_only_(read_only) {}

  Result<std::vector<Row>, StorageError> query(std::string_view sql,
                                               std::initializer_list<Param> params);
  // The first row, or empty when there is none.
  Result<std::optional<Row>, StorageError> queryOptional(std::string_view sql,
                                                         std::initializer_list<Param> params);
  Result<std::int64_t, StorageError> execute(std::string_view sql,
                                             std::initializer_list<Param> params);
  // A write whose answer is not needed (Connection::executeLater): its
  // failure may surface at the next statement or at commit instead.
  Result<void, StorageError> executeLater(std::string_view sql,
                                          std::initializer_list<Param> params);

  bool spoiled() const { return spoiled_; }
  // True when SELECT … FOR UPDATE locks rows (PostgreSQL). SQLite has one
  // writer at a time, so a write transaction's plain SELECT already sees
  // the state no other writer can change before it commits.
  bool supportsRowLocks() const { return connection_.supportsSkipLocked(); }
  // Connection::notifiesRevocations.
  bool notifiesRevocations() const { return connection_.notifiesRevocations(); }

  // Rows this transaction has locked and found in the state it needs (the
  // repositories' "is this session still active" check, named like
  // "oauth_sessions:<id>"): nobody else can change them before it ends, so
  // a second check in the same transaction would find the same, and costs a
  // round trip on PostgreSQL. A repository that changes such a row itself
  // forgets it.
  bool holdsCheckedLock(std::string_view key) const {
    return std::find(checked_locks_.begin(), checked_locks_.end(), key) != checked_locks_.end();
  }
  void rememberCheckedLock(std::string key) { checked_locks_.push_back(std::move(key)); }
  void forgetCheckedLock(std::string_view key) { std::erase(checked_locks_, key); }
  // The transaction committed or rolled back and its connection went back
  // to the pool: every later statement is refused.
  void finish() { finished_ = true; }
  // For a repository that refuses a call after its statements ran (a rule
  // the schema cannot state): spoils the session as a failed statement
  // would, and returns the error to pass on.
  StorageError spoil(StorageError error) {
    spoiled_ = true;
    return error;
  }

 private:
  Result<void, StorageError> checkUsable() const;
  // Refuses (and spoils the session) what a read-only session may not run:
  // `sql` unless it only reads, or anything when the caller `writes`.
  Result<void, StorageError> checkReadOnly(std::string_view sql, bool writes);
  // The statement's parameters, once the session is usable and they pass
  // checkParams (a failure spoils the session). The span views `params`.
  Result<std::span<const Param>, StorageError> usableParams(std::initializer_list<Param> params);

  Connection& connection_;
  bool read_only_;
  bool spoiled_ = false;
  bool finished_ = false;
  std::vector<std::string> checked_locks_;
};

}  // namespace mxauth::storage::sql
