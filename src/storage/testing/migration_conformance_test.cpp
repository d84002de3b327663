#include <gtest/gtest.h>

#include <barrier>
#include <future>
#include <vector>

#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"
#include "storage/testing/conformance.h"

namespace mxauth::test {
namespace {

using storage::MigrationErrorCode;

class MigrationConformanceTest : public EmptyDatabaseTest {
 protected:
  std::span<const core::EmbeddedFile> embedded() const {
    return GetParam() == Backend::Sqlite ? storage::sqlite::embeddedMigrations()
                                         : storage::postgres::embeddedMigrations();
  }

  // The embedded migrations plus `extra`, as a later release would ship.
  std::unique_ptr<storage::Database> openWith(const core::EmbeddedFile& extra) {
    files_.assign(embedded().begin(), embedded().end());
    files_.push_back(extra);
    auto database = test_database_->open({}, std::span<const core::EmbeddedFile>(files_));
    EXPECT_TRUE(database.has_value()) << database.error().detail;
    return database ? std::move(*database) : nullptr;
  }

  std::vector<core::EmbeddedFile> files_;
};

TEST_P(MigrationConformanceTest, AppliesEveryMigrationToAnEmptyDatabase) {
  auto database = open();
  auto before = database->pendingMigrations();
  ASSERT_TRUE(before.has_value()) << before.error().detail;
  ASSERT_EQ(before->size(), embedded().size());

  auto applied = database->migrate(clock_);

  ASSERT_TRUE(applied.has_value()) << applied.error().detail;
  EXPECT_EQ(applied->size(), embedded().size());
  EXPECT_TRUE(database->pendingMigrations()->empty());
  EXPECT_TRUE(test_database_->executeRaw("SELECT id FROM users").has_value());
}

TEST_P(MigrationConformanceTest, MigratingAnUpToDateDatabaseAppliesNothing) {
  auto database = open();
  ASSERT_TRUE(database->migrate(clock_).has_value());

  auto again = database->migrate(clock_);

  ASSERT_TRUE(again.has_value()) << again.error().detail;
  EXPECT_TRUE(again->empty());
}

TEST_P(MigrationConformanceTest, AppliesOnlyTheMigrationsALaterReleaseAdds) {
  ASSERT_TRUE(open()->migrate(clock_).has_value());
  auto later = openWith({"20991231000000_extra.sql", "CREATE TABLE extra (x INTEGER);"});

  auto applied = later->migrate(clock_);

  ASSERT_TRUE(applied.has_value()) << applied.error().detail;
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().name, "extra");
  EXPECT_TRUE(test_database_->executeRaw("SELECT x FROM extra").has_value());
}

TEST_P(MigrationConformanceTest, RefusesToRunWhenAnAppliedMigrationWasEdited) {
  auto database = open();
  ASSERT_TRUE(database->migrate(clock_).has_value());
  ASSERT_TRUE(test_database_->executeRaw("UPDATE schema_migrations SET checksum = 'edited'"));

  auto migrated = database->migrate(clock_);
  auto pending = database->pendingMigrations();

  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code, MigrationErrorCode::ChecksumMismatch);
  ASSERT_FALSE(pending.has_value());
  EXPECT_EQ(pending.error().code, MigrationErrorCode::ChecksumMismatch);
}

TEST_P(MigrationConformanceTest, RefusesADatabaseThatANewerVersionMigrated) {
  auto database = open();
  ASSERT_TRUE(database->migrate(clock_).has_value());
  ASSERT_TRUE(test_database_->executeRaw(
      "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
      "VALUES (20991231000000, 'from_the_future', 'abc', 0)"));

  auto migrated = database->migrate(clock_);

  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code, MigrationErrorCode::UnknownVersion);
  EXPECT_NE(migrated.error().detail.find("from_the_future"), std::string::npos);
}

TEST_P(MigrationConformanceTest, AFailingMigrationLeavesNoTraceAndStaysPending) {
  ASSERT_TRUE(open()->migrate(clock_).has_value());
  auto later = openWith({"20991231000000_broken.sql",
                         "CREATE TABLE half_done (x INTEGER); SELECT * FROM no_such_table;"});

  auto migrated = later->migrate(clock_);

  ASSERT_FALSE(migrated.has_value());
  EXPECT_EQ(migrated.error().code, MigrationErrorCode::Storage);
  EXPECT_NE(migrated.error().detail.find("20991231000000_broken"), std::string::npos);
  EXPECT_FALSE(test_database_->executeRaw("SELECT x FROM half_done").has_value());
  auto pending = later->pendingMigrations();
  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().name, "broken");
}

TEST_P(MigrationConformanceTest, TwoProcessesMigratingAtOnceApplyEachMigrationOnce) {
  constexpr int kMigrators = 4;
  std::vector<std::unique_ptr<storage::Database>> databases;
  for (int i = 0; i < kMigrators; ++i) databases.push_back(open());
  std::barrier start(kMigrators);

  std::vector<std::future<Result<std::vector<storage::Migration>, storage::MigrationError>>> runs;
  for (auto& database : databases) {
    runs.push_back(std::async(std::launch::async, [&, db = database.get()] {
      start.arrive_and_wait();
      return db->migrate(clock_);
    }));
  }

  std::size_t applied = 0;
  for (auto& run : runs) {
    auto result = run.get();
    ASSERT_TRUE(result.has_value()) << result.error().detail;
    applied += result->size();
  }
  EXPECT_EQ(applied, embedded().size());
  EXPECT_TRUE(databases.front()->pendingMigrations()->empty());
}

TEST_P(MigrationConformanceTest,
       AnUnmigratedDatabaseListsEveryMigrationAsPendingWithoutCreatingTables) {
  auto database = open();

  auto pending = database->pendingMigrations();

  ASSERT_TRUE(pending.has_value()) << pending.error().detail;
  EXPECT_EQ(pending->size(), embedded().size());
  EXPECT_FALSE(test_database_->executeRaw("SELECT version FROM schema_migrations").has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MigrationConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, MigrationConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
