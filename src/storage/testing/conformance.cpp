#include "storage/testing/conformance.h"

namespace mxauth::test {

domain::Localpart localpart(std::string_view name) {
  return *domain::Localpart::parse(name, "example.org");
}

void EmptyDatabaseTest::SetUp() {
  if (GetParam() == Backend::Postgres && !postgresTestUri()) {
    if (postgresRequired()) {
      FAIL() << kRequirePostgresVariable << "=1 but " << kPostgresUriVariable
             << " is not set: start a cluster with tools/pg-test-cluster.sh and export its URI";
    }
    GTEST_SKIP() << "PostgreSQL tests skipped: " << kPostgresUriVariable
                 << " is not set (tools/pg-test-cluster.sh start DIR prints one)";
  }
  auto created = TestDatabase::create(GetParam());
  ASSERT_TRUE(created.has_value()) << created.error();
  test_database_ = std::move(*created);
}

std::unique_ptr<storage::Database> EmptyDatabaseTest::open(const TestPoolOptions& pool) {
  auto database = test_database_->open(pool);
  EXPECT_TRUE(database.has_value()) << database.error().detail;
  if (!database) return nullptr;
  return std::move(*database);
}

void MigratedDatabaseTest::SetUp() {
  EmptyDatabaseTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  auto database = test_database_->openMigrated();
  ASSERT_TRUE(database.has_value()) << database.error();
  database_ = std::move(*database);
}

std::unique_ptr<storage::Transaction> MigratedDatabaseTest::begin(storage::TransactionMode mode) {
  auto transaction = database_->begin(mode);
  EXPECT_TRUE(transaction.has_value()) << transaction.error().detail;
  if (!transaction) return nullptr;
  return std::move(*transaction);
}

domain::User MigratedDatabaseTest::addUser(std::string_view localpart, bool is_admin) {
  auto tx = begin();
  auto parsed = domain::Localpart::parse(localpart, "example.org");
  EXPECT_TRUE(parsed.has_value()) << localpart;
  auto user = tx->users().add(rng_, clock_, *parsed, is_admin);
  EXPECT_TRUE(user.has_value()) << user.error().detail;
  auto committed = tx->commit();
  EXPECT_TRUE(committed.has_value()) << committed.error().detail;
  return *user;
}

}  // namespace mxauth::test
