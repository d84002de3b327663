#include "storage/sqlite/sqlite_connection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

namespace mxauth::storage::sqlite {
namespace {

// A connection with group commit (wal_sync.h), as the server opens them.
class SqliteDurabilityTest : public ::testing::Test {
 protected:
  SqliteDurabilityTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("mxauth-sqlite-durability-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    options_.path = (dir_ / "test.db").string();
    wal_sync_ = std::make_shared<WalSync>(options_.path + "-wal");
    auto opened = SqliteConnection::open(options_, nullptr, wal_sync_);
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().detail);
    if (opened) connection_ = std::move(*opened);
    if (connection_) {
      EXPECT_TRUE(connection_->executeScript("CREATE TABLE notes (text TEXT NOT NULL)"));
    }
  }
  ~SqliteDurabilityTest() override {
    connection_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Inserts a note in a transaction of `mode` and commits it; answers
  // whether the commit handed back a wait for the disk.
  bool commitNote(TransactionMode mode, const std::string& text) {
    EXPECT_TRUE(connection_->begin(mode));
    const sql::Param params[] = {text};
    EXPECT_TRUE(connection_->execute("INSERT INTO notes (text) VALUES ($1)", params));
    auto committed = connection_->commit();
    EXPECT_TRUE(committed) << (committed ? "" : committed.error().detail);
    if (!committed || !*committed) return false;
    EXPECT_TRUE((*committed)());
    return true;
  }

  std::size_t notes() {
    auto rows = connection_->query("SELECT text FROM notes", {});
    return rows ? rows->size() : 0;
  }

  std::filesystem::path dir_;
  SqliteOptions options_;
  std::shared_ptr<WalSync> wal_sync_;
  std::unique_ptr<SqliteConnection> connection_;
};

// A durable commit waits for the group sync of the WAL; an unsynced one
// (TransactionMode::ReadWriteUnsynced) is committed without that wait, and
// the next durable commit syncs it with its own. The database is new, so
// this is also the first connection to a database with no WAL file yet,
// which once fell back to synchronous = FULL (no group sync at all).
TEST_F(SqliteDurabilityTest, AnUnsyncedCommitDoesNotWaitForTheGroupSync) {
  ASSERT_NE(connection_, nullptr);
  const std::uint64_t at_start = wal_sync_->syncs();

  EXPECT_TRUE(commitNote(TransactionMode::ReadWrite, "durable"));
  const std::uint64_t after_durable = wal_sync_->syncs();
  EXPECT_EQ(after_durable, at_start + 1);

  EXPECT_FALSE(commitNote(TransactionMode::ReadWriteUnsynced, "unsynced"));
  EXPECT_EQ(wal_sync_->syncs(), after_durable);
  EXPECT_EQ(notes(), 2u) << "the unsynced commit is committed all the same";

  // The mode is the transaction's, not the connection's.
  EXPECT_TRUE(commitNote(TransactionMode::ReadWrite, "durable again"));
  EXPECT_EQ(wal_sync_->syncs(), after_durable + 1);
  EXPECT_EQ(notes(), 3u);
}

}  // namespace
}  // namespace mxauth::storage::sqlite
