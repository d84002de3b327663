#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "core/embedded_file.h"
#include "storage/database.h"
#include "storage/sql/client_cache.h"
#include "storage/sql/connection_pool.h"

namespace mxauth::storage::sql {

struct PoolOptions {
  std::size_t size = 8;
  // Connections kept for read-write transactions only (0: they share the
  // pool). SQLite takes 1: it allows one writer at a time anyway, and a
  // connection that alone writes keeps its page cache, where a write on
  // any pooled connection makes every other one read those pages again.
  std::size_t writers = 0;
  // How long begin() waits for a free connection before Unavailable.
  Duration acquire_timeout = std::chrono::seconds(5);
};

// How a backend that can subscribes to invalidations (Database).
using SubscriptionFactory = std::function<std::unique_ptr<Subscription>(InvalidationHandler)>;

// The Database both backends share: a connection pool, transactions over
// the shared SQL repositories, and the migration runner. A backend provides
// the ConnectionFactory, its embedded migrations and, if it can, a
// SubscriptionFactory.
class SqlDatabase final : public Database {
 public:
  SqlDatabase(std::string backend_name, ConnectionFactory factory, const PoolOptions& pool,
              std::span<const core::EmbeddedFile> migrations,
              SubscriptionFactory subscriptions = {});

  Result<std::unique_ptr<Transaction>, StorageError> begin(TransactionMode mode) override;
  Result<void, StorageError> ping() override;
  // Both pools together.
  PoolStats poolStats() const override;
  std::string_view backendName() const override { return backend_name_; }
  Result<std::vector<Migration>, MigrationError> migrate(const Clock& clock) override;
  Result<std::vector<Migration>, MigrationError> pendingMigrations() override;
  std::unique_ptr<Subscription> subscribeToInvalidations(InvalidationHandler handler) override;

 private:
  // A connection on which BEGIN just worked. Pooled connections found dead
  // (the server restarted since they were last used) are closed and
  // replaced, so that callers see an outage only while it lasts.
  Result<ConnectionPool::Lease, StorageError> acquireWorking(TransactionMode mode);

  const std::string backend_name_;
  ConnectionPool pool_;
  std::unique_ptr<ConnectionPool> writer_pool_;  // when PoolOptions::writers > 0
  const std::span<const core::EmbeddedFile> migration_files_;
  const SubscriptionFactory subscriptions_;
  // Client records, immutable once written (client_cache.h): 10 s each.
  ClientCache clients_{4096, std::chrono::seconds(10)};
};

}  // namespace mxauth::storage::sql
