#include "storage/migration.h"

#include <gtest/gtest.h>

#include <array>

namespace mxauth::storage {
namespace {

using core::EmbeddedFile;

TEST(MigrationTest, LoadsFilesInVersionOrderWithNameAndChecksum) {
  std::array files{EmbeddedFile{"20270101000000_second.sql", "B"},
                   EmbeddedFile{"20261127000000_users.sql", "A"}};

  auto migrations = loadMigrations(files);

  ASSERT_TRUE(migrations.has_value());
  ASSERT_EQ(migrations->size(), 2u);
  EXPECT_EQ((*migrations)[0].version, 20261127000000);
  EXPECT_EQ((*migrations)[0].name, "users");
  EXPECT_EQ((*migrations)[0].sql, "A");
  EXPECT_EQ((*migrations)[1].name, "second");
  // SHA-256("A")
  EXPECT_EQ((*migrations)[0].checksum,
            "559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd");
}

TEST(MigrationTest, RejectsBadlyNamedFiles) {
  for (std::string_view name :
       {"users.sql", "2026112700000_users.sql", "20261127000000-users.sql", "20261127000000_.sql",
        "20261127000000_users.txt", "2026112700000x_users.sql"}) {
    std::array files{EmbeddedFile{name, "x"}};

    auto migrations = loadMigrations(files);

    ASSERT_FALSE(migrations.has_value()) << name;
    EXPECT_EQ(migrations.error().code, MigrationErrorCode::BadFileName);
  }
}

TEST(MigrationTest, RejectsTwoFilesWithTheSameVersion) {
  std::array files{EmbeddedFile{"20261127000000_a.sql", "A"},
                   EmbeddedFile{"20261127000000_b.sql", "B"}};

  EXPECT_FALSE(loadMigrations(files).has_value());
}

class PendingMigrationsTest : public ::testing::Test {
 protected:
  std::array<EmbeddedFile, 2> files_{EmbeddedFile{"20261127000000_users.sql", "A"},
                                     EmbeddedFile{"20270101000000_second.sql", "B"}};
  std::vector<Migration> known_ = *loadMigrations(files_);
};

TEST_F(PendingMigrationsTest, ListsEverythingForAnEmptyDatabase) {
  auto pending = pendingMigrations(known_, {});

  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->size(), 2u);
}

TEST_F(PendingMigrationsTest, ListsOnlyTheUnappliedOnes) {
  std::vector<AppliedMigration> applied{{known_[0].version, "users", known_[0].checksum}};

  auto pending = pendingMigrations(known_, applied);

  ASSERT_TRUE(pending.has_value());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().name, "second");
}

TEST_F(PendingMigrationsTest, RefusesAnEditedMigration) {
  std::vector<AppliedMigration> applied{{known_[0].version, "users", std::string(64, '0')}};

  auto pending = pendingMigrations(known_, applied);

  ASSERT_FALSE(pending.has_value());
  EXPECT_EQ(pending.error().code, MigrationErrorCode::ChecksumMismatch);
  EXPECT_NE(pending.error().detail.find("20261127000000_users"), std::string::npos);
}

TEST_F(PendingMigrationsTest, RefusesADatabaseFromANewerVersion) {
  std::vector<AppliedMigration> applied{{known_[0].version, "users", known_[0].checksum},
                                        {20990101000000, "future", "abc"}};

  auto pending = pendingMigrations(known_, applied);

  ASSERT_FALSE(pending.has_value());
  EXPECT_EQ(pending.error().code, MigrationErrorCode::UnknownVersion);
  EXPECT_NE(pending.error().detail.find("20990101000000_future"), std::string::npos);
}

TEST(Sha256Test, MatchesTheKnownDigestOfTheEmptyString) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace mxauth::storage
