#include "storage/sql/connection_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>

namespace mxauth::storage::sql {
namespace {

using namespace std::chrono_literals;

// A connection that does nothing; `broken` makes the pool discard it.
class InertConnection final : public Connection {
 public:
  explicit InertConnection(std::atomic<int>& closed) : closed_(closed) {}
  ~InertConnection() override { ++closed_; }
  Result<std::vector<Row>, StorageError> query(std::string_view, std::span<const Param>) override {
    return std::vector<Row>();
  }
  Result<std::int64_t, StorageError> execute(std::string_view, std::span<const Param>) override {
    return std::int64_t{0};
  }
  Result<void, StorageError> executeScript(std::string_view) override { return {}; }
  Result<void, StorageError> begin(TransactionMode) override { return {}; }
  bool isBroken() const override { return broken; }
  Result<bool, StorageError> tableExists(std::string_view) override { return false; }
  Result<void, StorageError> lockMigrations() override { return {}; }
  Result<void, StorageError> unlockMigrations() override { return {}; }
  std::string_view migrationsTableDdl() const override { return ""; }
  bool supportsSkipLocked() const override { return false; }

  bool broken = false;

 private:
  std::atomic<int>& closed_;
};

class ConnectionPoolTest : public ::testing::Test {
 protected:
  ConnectionFactory factory() {
    return [this]() -> Result<std::unique_ptr<Connection>, StorageError> {
      if (refuse_) return unexpected(StorageError{StorageErrorCode::Unavailable, "refused"});
      ++opened_;
      return std::unique_ptr<Connection>(std::make_unique<InertConnection>(closed_));
    };
  }

  std::atomic<int> opened_{0};
  std::atomic<int> closed_{0};
  std::atomic<bool> refuse_{false};
};

TEST_F(ConnectionPoolTest, ReusesAReturnedConnection) {
  ConnectionPool pool(factory(), 2, 1s);

  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.has_value());
  }
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.has_value());
  }

  EXPECT_EQ(opened_, 1);
}

TEST_F(ConnectionPoolTest, ReportsSizeAndConnectionsInUse) {
  ConnectionPool pool(factory(), 3, 1s);
  auto first = pool.acquire();
  auto second = pool.acquire();

  PoolStats stats = pool.stats();

  EXPECT_EQ(stats.size, 3u);
  EXPECT_EQ(stats.in_use, 2u);
  EXPECT_EQ(stats.waiting, 0u);
}

TEST_F(ConnectionPoolTest, AnswersUnavailableWhenNoConnectionFreesUpInTime) {
  ConnectionPool pool(factory(), 1, 20ms);
  auto held = pool.acquire();
  ASSERT_TRUE(held.has_value());

  auto second = pool.acquire();

  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, StorageErrorCode::Unavailable);
  EXPECT_NE(second.error().detail.find("pool size 1"), std::string::npos);
}

TEST_F(ConnectionPoolTest, HandsAReturnedConnectionToAWaitingCaller) {
  ConnectionPool pool(factory(), 1, 10s);
  std::optional<ConnectionPool::Lease> held;
  held.emplace(*pool.acquire());

  auto waiter = std::async(std::launch::async, [&] { return pool.acquire().has_value(); });
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (pool.stats().waiting == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(pool.stats().waiting, 1u);
  held.reset();

  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(opened_, 1);
}

TEST_F(ConnectionPoolTest, ClosesABrokenConnectionAndOpensAFreshOneNextTime) {
  ConnectionPool pool(factory(), 1, 1s);
  {
    auto lease = pool.acquire();
    ASSERT_TRUE(lease.has_value());
    static_cast<InertConnection&>(**lease).broken = true;
  }

  auto lease = pool.acquire();

  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(opened_, 2);
}

TEST_F(ConnectionPoolTest, AFailedConnectAttemptDoesNotUseUpASlot) {
  ConnectionPool pool(factory(), 1, 1s);
  refuse_ = true;
  auto failed = pool.acquire();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, StorageErrorCode::Unavailable);
  refuse_ = false;

  auto lease = pool.acquire();

  EXPECT_TRUE(lease.has_value());
  EXPECT_EQ(pool.stats().in_use, 1u);
}

}  // namespace
}  // namespace mxauth::storage::sql
