#pragma once

// Cross-process invalidations on SQLite (design §8), the counterpart of
// PostgreSQL's LISTEN/NOTIFY (storage/postgres/invalidation_listener.h).
//
// SQLite has no notifications, and only one process serves a SQLite
// database; but `mxauth user lock|deactivate` run beside it write to the
// same file. The 20261214000000 migration adds triggers that append a row to
// `cache_invalidations` when an OAuth or compat session ends ("session:<id>")
// or a user is locked or deactivated ("user:<id>"), in the transaction that
// makes the change, so a rolled-back change leaves nothing. The poller reads
// the rows after the last one it saw every kInvalidationPollInterval, on a
// connection of its own, and hands each to the subscriber: a lock made by
// the command line reaches the server's introspection cache within that
// interval instead of the cache's staleness bound.
//
// Token revocations are not logged on SQLite: only the serving process
// revokes tokens there, and it drops them from its own cache as it does;
// logging them would put a row on every refresh grant's hot path.
//
// Like the PostgreSQL listener it reports Everything once it is reading
// (changes before may have been missed) and again after a failed read.
// It keeps the table short: once more than kInvalidationLogKept rows lie
// behind the last one it read, it deletes the older ones. Destroying the
// subscription stops the thread (within one interval).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

#include "storage/database.h"
#include "storage/sqlite/checkpointer.h"
#include "storage/sqlite/sqlite_database.h"
#include "storage/sqlite/wal_sync.h"

namespace mxauth::storage::sqlite {

inline constexpr std::chrono::milliseconds kInvalidationPollInterval{250};
inline constexpr std::int64_t kInvalidationLogKept = 10000;

// WRITER and WAL_SYNC are the pool's (sqlite_connection.h), so that the
// poller's occasional delete queues behind this process's other writers.
std::unique_ptr<Subscription> pollForInvalidations(const SqliteOptions& options,
                                                   std::shared_ptr<std::timed_mutex> writer,
                                                   std::shared_ptr<WalSync> wal_sync,
                                                   std::shared_ptr<Checkpointer> checkpointer,
                                                   InvalidationHandler handler);

}  // namespace mxauth::storage::sqlite
