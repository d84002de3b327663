#include "storage/sql/connection_pool.h"

#include <string>
#include <utility>

namespace mxauth::storage::sql {

ConnectionPool::Lease::~Lease() {
  if (connection_) pool_->release(std::move(connection_));
}

ConnectionPool::ConnectionPool(ConnectionFactory factory, std::size_t size,
                               Duration acquire_timeout)
    : factory_(std::move(factory)),
      size_(size == 0 ? 1 : size),
      acquire_timeout_(acquire_timeout) {}

Result<ConnectionPool::Lease, StorageError> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  ++waiting_;
  bool ready =
      available_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < size_; });
  --waiting_;
  if (!ready) {
    return unexpected(StorageError{StorageErrorCode::Unavailable,
                                   "no free database connection within " +
                                       std::to_string(acquire_timeout_.count()) +
                                       " ms (pool size " + std::to_string(size_) + ")"});
  }
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    ++in_use_;
    return Lease(*this, std::move(connection));
  }
  // Reserve the slot, then connect without holding the lock: connecting
  // can take up to the connect timeout.
  ++open_;
  ++in_use_;
  lock.unlock();
  auto connection = factory_();
  if (!connection) {
    lock.lock();
    --open_;
    --in_use_;
    available_.notify_one();
    return unexpected(std::move(connection).error());
  }
  return Lease(*this, std::move(*connection));
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  bool broken = connection->isBroken();
  if (broken) connection.reset();  // close outside the lock
  std::lock_guard lock(mutex_);
  --in_use_;
  if (broken) {
    --open_;
  } else {
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard lock(mutex_);
  return PoolStats{size_, in_use_, waiting_};
}

}  // namespace mxauth::storage::sql
