#include "storage/sqlite/sqlite_database.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include "storage/sql/sql_database.h"
#include "storage/sqlite/checkpointer.h"
#include "storage/sqlite/embedded_migrations.h"
#include "storage/sqlite/invalidation_poller.h"
#include "storage/sqlite/sqlite_connection.h"
#include "storage/sqlite/wal_sync.h"

namespace mxauth::storage::sqlite {

std::span<const core::EmbeddedFile> embeddedMigrations() { return migrationFiles(); }

Result<std::unique_ptr<Database>, StorageError> openDatabaseForTesting(
    const SqliteOptions& options, std::span<const core::EmbeddedFile> migrations) {
  // One writer at a time per database (SQLite's rule), queued in-process,
  // and commits made durable together (wal_sync.h).
  auto writer = std::make_shared<std::timed_mutex>();
  auto wal_sync = std::make_shared<WalSync>(options.path + "-wal");
  // WAL checkpoints on a thread of their own, not in the commits.
  auto checkpointer = std::make_shared<Checkpointer>(options.path);
  sql::ConnectionFactory factory =
      [options, writer, wal_sync,
       checkpointer]() -> Result<std::unique_ptr<sql::Connection>, StorageError> {
    auto connection = SqliteConnection::open(options, writer, wal_sync, checkpointer);
    if (!connection) return unexpected(connection.error());
    return std::unique_ptr<sql::Connection>(std::move(*connection));
  };
  auto database = std::make_unique<sql::SqlDatabase>(
      "sqlite", std::move(factory),
      // One of the connections is kept for writes (sql::PoolOptions::writers).
      sql::PoolOptions{.size = std::max<std::size_t>(1, options.pool_size - 1),
                       .writers = 1,
                       .acquire_timeout = options.acquire_timeout},
      migrations,
      // What `mxauth` commands lock, deactivate or end beside a running
      // server reaches its caches through the invalidation log.
      [options, writer, wal_sync, checkpointer](InvalidationHandler handler) {
        return pollForInvalidations(options, writer, wal_sync, checkpointer, std::move(handler));
      });
  if (auto answered = database->ping(); !answered) return unexpected(answered.error());
  return std::unique_ptr<Database>(std::move(database));
}

Result<std::unique_ptr<Database>, StorageError> openDatabase(const SqliteOptions& options) {
  return openDatabaseForTesting(options, embeddedMigrations());
}

}  // namespace mxauth::storage::sqlite
