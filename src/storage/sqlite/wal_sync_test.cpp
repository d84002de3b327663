#include "storage/sqlite/wal_sync.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace mxauth::storage::sqlite {
namespace {

class WalSyncTest : public ::testing::Test {
 protected:
  WalSyncTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("mxauth-wal-sync-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "db-wal").string();
  }
  ~WalSyncTest() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& text) {
    std::ofstream out(path_, std::ios::app);
    out << text;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(WalSyncTest, FlushSyncsTheFile) {
  write("frames");
  WalSync sync(path_);
  ASSERT_TRUE(sync.flush());
  EXPECT_EQ(sync.syncs(), 1u);
  ASSERT_TRUE(sync.flush());
  EXPECT_EQ(sync.syncs(), 2u) << "a flush never trusts a sync that began before it";
}

TEST_F(WalSyncTest, AMissingWalIsAnErrorNotASilentSuccess) {
  WalSync sync(path_);
  auto flushed = sync.flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().code, StorageErrorCode::Unavailable);
  EXPECT_NE(flushed.error().detail.find("db-wal"), std::string::npos);
  EXPECT_EQ(sync.syncs(), 0u);
}

TEST_F(WalSyncTest, AReplacedWalIsReopened) {
  write("first");
  WalSync sync(path_);
  ASSERT_TRUE(sync.flush());
  std::filesystem::remove(path_);
  // Deleted and not yet recreated: the old descriptor must not be synced
  // as if it were the WAL.
  ASSERT_FALSE(sync.flush());
  write("second");
  ASSERT_TRUE(sync.flush());
  EXPECT_EQ(sync.syncs(), 2u);
}

TEST_F(WalSyncTest, ConcurrentFlushesAllReturnDurableAndShareSyncs) {
  write("frames");
  WalSync sync(path_);
  constexpr int kThreads = 8;
  constexpr int kFlushes = 50;
  std::atomic<int> succeeded{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kFlushes; ++i) {
        if (sync.flush()) ++succeeded;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), kThreads * kFlushes);
  EXPECT_GE(sync.syncs(), 1u);
  EXPECT_LE(sync.syncs(), static_cast<std::uint64_t>(kThreads * kFlushes));
}

}  // namespace
}  // namespace mxauth::storage::sqlite
