#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/migration.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::storage {

enum class TransactionMode {
  // May write. On SQLite this takes the single write lock at the start
  // (BEGIN IMMEDIATE), so two writers queue instead of failing mid-way.
  ReadWrite,
  // Reads only; on SQLite runs in parallel with a writer (WAL).
  ReadOnly,
  // May write, as ReadWrite, but the commit does not wait for the change to
  // reach stable storage: it is committed (visible, and ordered before
  // every later commit, which makes it durable too) when commit() returns,
  // and a crash of the database server or of the machine (not of mxauth)
  // may lose it. Only for new state whose loss costs a user a retry and
  // weakens nothing: a pending authorization request, the browser session
  // of a login. PostgreSQL: synchronous_commit off for the transaction.
  // SQLite: no wait for the group sync of the WAL (wal_sync.h; with
  // synchronous = FULL, where there is no WAL, the commit stays durable).
  ReadWriteUnsynced,
};

// Connection-pool gauges for /metrics.
struct PoolStats {
  // The configured maximum number of connections.
  std::size_t size = 0;
  // Connections lent to transactions right now.
  std::size_t in_use = 0;
  // Callers waiting in begin() for a free connection.
  std::size_t waiting = 0;
};

// A change, possibly made by another process on the same database, after
// which answers cached in memory must be dropped (design §8: the
// introspection cache).
struct Invalidation {
  enum class Kind {
    Token,    // an access token was revoked; `id` is its SHA-256 hex
    Session,  // an OAuth or compat session ended; `id` is its id
    User,     // a user was locked or deactivated; `id` is its id
    // The feed was interrupted (the connection dropped) and changes may
    // have been missed: drop everything.
    Everything,
  };
  Kind kind = Kind::Everything;
  std::string id;

  bool operator==(const Invalidation&) const = default;
};

// The text form both backends carry invalidations in ("token:<hash>",
// "session:<id>", "user:<id>"; PostgreSQL's NOTIFY payloads, SQLite's
// cache_invalidations rows) → the Invalidation; empty for anything else.
std::optional<Invalidation> parseInvalidation(std::string_view payload);

using InvalidationHandler = std::function<void(const Invalidation&)>;

// Keeps a subscription alive; destroying it stops the deliveries (and
// waits for one in progress to finish).
class Subscription {
 public:
  virtual ~Subscription() = default;
};

// A database with a pool of connections: SQLite or PostgreSQL, chosen by the
// composition root (sqlite::openDatabase, postgres::openDatabase).
//
// Synchronous by design: the application calls it only from a bounded
// blocking worker pool, never from an I/O thread. Thread-safe.
//
// Failures are values. When the database goes away, calls answer
// Unavailable and the pool reconnects on a later begin() once it is back.
class Database {
 public:
  virtual ~Database() = default;

  // Begins a transaction. Waits a bounded time (the pool's acquire timeout)
  // for a free connection, then fails with Unavailable.
  virtual Result<std::unique_ptr<Transaction>, StorageError> begin(
      TransactionMode mode = TransactionMode::ReadWrite) = 0;

  // Succeeds when the database answers a trivial query (for /health).
  virtual Result<void, StorageError> ping() = 0;

  virtual PoolStats poolStats() const = 0;

  // "sqlite" or "postgres".
  virtual std::string_view backendName() const = 0;

  // Applies the pending embedded migrations in version order, each in its
  // own transaction together with its schema_migrations row; returns the
  // ones applied (empty when up to date). Safe when several processes
  // migrate the same database at once. Refuses, changing nothing, when the
  // database has an unknown migration or an applied one was edited.
  virtual Result<std::vector<Migration>, MigrationError> migrate(const Clock& clock) = 0;

  // The migrations migrate() would apply, without applying them (for
  // `serve --no-migrate`). Fails like migrate() on an inconsistent schema.
  virtual Result<std::vector<Migration>, MigrationError> pendingMigrations() = 0;

  // Delivers an Invalidation for every committed change of the kinds
  // above, whichever process made it, to `handler` on a thread of the
  // subscription's own, within about a second; after a lost connection it
  // reconnects and delivers Everything. Null when the backend cannot (the
  // SQLite backend: several processes on one SQLite file rely on the
  // cache's staleness bound instead).
  virtual std::unique_ptr<Subscription> subscribeToInvalidations(InvalidationHandler handler) = 0;
};

}  // namespace mxauth::storage
