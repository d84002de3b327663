#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "storage/database.h"
#include "storage/sql/connection.h"
#include "storage/storage_error.h"

namespace mxauth::storage::sql {

using ConnectionFactory = std::function<Result<std::unique_ptr<Connection>, StorageError>()>;

// A bounded pool of connections, opened lazily by `factory` up to `size`.
//
// acquire() hands out an idle connection, opens a new one while below
// `size`, or waits up to `acquire_timeout` for one to come back and then
// fails with Unavailable. A connection that reports isBroken() when it comes
// back is closed, so the next acquire() opens a fresh one: this is how the
// pool recovers after the database restarts. Thread-safe. Leases must not
// outlive the pool.
class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ConnectionPool(ConnectionFactory factory, std::size_t size, Duration acquire_timeout);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  Result<Lease, StorageError> acquire();
  PoolStats stats() const;

 private:
  void release(std::unique_ptr<Connection> connection);

  const ConnectionFactory factory_;
  const std::size_t size_;
  const Duration acquire_timeout_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + lent + being opened
  std::size_t in_use_ = 0;
  std::size_t waiting_ = 0;
};

}  // namespace mxauth::storage::sql
