#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "core/testing/fakes.h"
#include "domain/user.h"
#include "storage/database.h"
#include "storage/testing/test_database.h"

// The storage contract, as value-parameterized GoogleTest fixtures that every
// repository test instantiates once per backend:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, MyConformanceTest, ::testing::Values(test::Backend::Sqlite));
//   INSTANTIATE_TEST_SUITE_P(Postgres, MyConformanceTest,
//                            ::testing::Values(test::Backend::Postgres));
//
// PostgreSQL cases skip with a visible reason when MXAUTH_TEST_POSTGRES_URI is
// unset, and fail instead when MXAUTH_REQUIRE_POSTGRES=1.
namespace mxauth::test {

// A valid localpart on example.org (the test server name).
domain::Localpart localpart(std::string_view name);

// A fresh, empty (unmigrated) database per test.
class EmptyDatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;

  // Opens a Database on the test database; fails the test if it cannot.
  std::unique_ptr<storage::Database> open(const TestPoolOptions& pool = {});

  FakeClock clock_{at("2026-01-01T00:00:00Z")};
  SeededRng rng_{42};
  std::unique_ptr<TestDatabase> test_database_;
};

// A fresh, migrated database per test, opened as database_.
class MigratedDatabaseTest : public EmptyDatabaseTest {
 protected:
  void SetUp() override;
  void TearDown() override { database_.reset(); }

  // Begins a transaction; fails the test if it cannot.
  std::unique_ptr<storage::Transaction> begin(
      storage::TransactionMode mode = storage::TransactionMode::ReadWrite);
  // Adds and commits a user.
  domain::User addUser(std::string_view localpart, bool is_admin = false);

  std::unique_ptr<storage::Database> database_;
};

}  // namespace mxauth::test
