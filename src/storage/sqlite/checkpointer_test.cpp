#include "storage/sqlite/checkpointer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/sqlite/sqlite_connection.h"

namespace mxauth::storage::sqlite {
namespace {

constexpr int kThresholdPages = 16;

class CheckpointerTest : public ::testing::Test {
 protected:
  CheckpointerTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("mxauth-checkpointer-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    options_.path = (dir_ / "test.db").string();
    checkpointer_ = std::make_shared<Checkpointer>(options_.path, kThresholdPages);
    auto opened = SqliteConnection::open(options_, nullptr, std::make_shared<WalSync>(walPath()),
                                         checkpointer_);
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().detail);
    if (opened) connection_ = std::move(*opened);
  }
  ~CheckpointerTest() override {
    connection_.reset();
    checkpointer_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string walPath() const { return options_.path + "-wal"; }
  std::uintmax_t databaseBytes() const { return std::filesystem::file_size(options_.path); }

  // One commit of about `pages` pages of new rows.
  void commitPages(int pages) {
    ASSERT_TRUE(connection_->executeScript(
        "CREATE TABLE IF NOT EXISTS filler (body BLOB NOT NULL); BEGIN; "
        "INSERT INTO filler (body) SELECT randomblob(3500) FROM "
        "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
        std::to_string(pages) + ") SELECT i FROM n); COMMIT;"));
  }

  std::filesystem::path dir_;
  SqliteOptions options_;
  std::shared_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<SqliteConnection> connection_;
};

TEST_F(CheckpointerTest, TheThreadCopiesTheWalIntoTheDatabaseOnceItPassesTheThreshold) {
  ASSERT_TRUE(connection_);
  const std::uintmax_t before = databaseBytes();

  commitPages(2 * kThresholdPages);

  ASSERT_TRUE(checkpointer_->waitForCompleted(1, std::chrono::seconds(10)));
  // The rows now live in the database file itself, not only in the WAL.
  EXPECT_GE(databaseBytes(), before + 2 * kThresholdPages * 3500);
  auto rows = connection_->query("SELECT COUNT(*) FROM filler", {});
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->front().front(), std::to_string(2 * kThresholdPages));
}

TEST_F(CheckpointerTest, BelowTheThresholdTheCommitsStayInTheWal) {
  ASSERT_TRUE(connection_);
  const std::uintmax_t before = databaseBytes();

  commitPages(kThresholdPages / 4);

  // No checkpoint was asked for: neither the thread nor SQLite's automatic
  // one (which the hook replaces) copied anything.
  EXPECT_EQ(checkpointer_->completed(), 0u);
  EXPECT_EQ(databaseBytes(), before);
  EXPECT_GT(std::filesystem::file_size(walPath()), 0u);
}

TEST_F(CheckpointerTest, ACommitFarPastTheThresholdCheckpointsItselfWhenTheThreadIsBehind) {
  ASSERT_TRUE(connection_);
  const std::uintmax_t before = databaseBytes();

  // One commit four times past the threshold: the committing connection
  // copies the pages itself before the commit returns, as SQLite would.
  commitPages(5 * kThresholdPages);

  EXPECT_GE(databaseBytes(), before + 5 * kThresholdPages * 3500);
}

}  // namespace
}  // namespace mxauth::storage::sqlite
