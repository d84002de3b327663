#include "core/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace mxauth::core {
namespace {

TEST(WorkerPool, RunsSubmittedJobs) {
  WorkerPool pool("test", 2, 16);
  std::promise<int> result;
  ASSERT_TRUE(pool.trySubmit([&] { result.set_value(42); }));
  EXPECT_EQ(result.get_future().get(), 42);
}

TEST(WorkerPool, RefusesWorkBeyondTheQueueLimit) {
  WorkerPool pool("test", 1, 2);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.trySubmit([&] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the only thread is now busy
  EXPECT_TRUE(pool.trySubmit([gate] { gate.wait(); }));
  EXPECT_TRUE(pool.trySubmit([gate] { gate.wait(); }));
  EXPECT_FALSE(pool.trySubmit([] {}));
  EXPECT_EQ(pool.queued(), 2u);
  release.set_value();
}

TEST(WorkerPool, ShutdownDrainsQueuedJobs) {
  std::atomic<int> done{0};
  {
    WorkerPool pool("test", 1, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.trySubmit([&] { ++done; }));
    pool.shutdown();
    EXPECT_FALSE(pool.trySubmit([] {}));
  }
  EXPECT_EQ(done.load(), 50);
}

}  // namespace
}  // namespace mxauth::core
