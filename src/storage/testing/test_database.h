#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "core/embedded_file.h"
#include "core/result.h"
#include "storage/database.h"
#include "storage/storage_error.h"

// Throw-away databases for tests, on either backend.
namespace mxauth::test {

enum class Backend { Sqlite, Postgres };

std::string_view backendName(Backend backend);
// For GoogleTest's parameter names.
void PrintTo(Backend backend, std::ostream* out);  // NOLINT(readability-identifier-naming)

// Environment variables that select PostgreSQL for tests:
//  - MXAUTH_TEST_POSTGRES_URI: a postgresql:// URI of a role allowed to
//    CREATE DATABASE (tools/pg-test-cluster.sh prints one);
//  - MXAUTH_REQUIRE_POSTGRES=1: a missing URI fails the tests instead of
//    skipping them (make test and CI set it), so PostgreSQL never goes
//    untested silently.
inline constexpr const char* kPostgresUriVariable = "MXAUTH_TEST_POSTGRES_URI";
inline constexpr const char* kRequirePostgresVariable = "MXAUTH_REQUIRE_POSTGRES";

std::optional<std::string> postgresTestUri();
bool postgresRequired();

// Connection-pool settings for TestDatabase::open().
struct TestPoolOptions {
  std::size_t size = 4;
  Duration acquire_timeout = std::chrono::seconds(5);
};

// A fresh, empty database that is removed when this object goes away:
// SQLite, a file in a new temporary directory; PostgreSQL, a uniquely named
// schema (in a database "mxauth_test" created on first use through
// MXAUTH_TEST_POSTGRES_URI) that every connection is confined to through
// search_path, dropped afterwards.
// Databases opened on it must be destroyed first.
class TestDatabase {
 public:
  // Fails with a message when the backend is not available (PostgreSQL
  // without MXAUTH_TEST_POSTGRES_URI, or the server refusing).
  static Result<std::unique_ptr<TestDatabase>, std::string> create(Backend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  Backend backend() const { return backend_; }
  // The SQLite file path or the PostgreSQL URI of this database.
  const std::string& location() const { return location_; }

  // Opens a Database on it, with the embedded migrations unless others are
  // given (not applied: call migrate()).
  Result<std::unique_ptr<storage::Database>, storage::StorageError> open(
      const TestPoolOptions& pool = {},
      std::optional<std::span<const core::EmbeddedFile>> migrations = std::nullopt) const;

  // Opens and applies the embedded migrations; the usual start of a test.
  Result<std::unique_ptr<storage::Database>, std::string> openMigrated(
      const TestPoolOptions& pool = {}) const;

  // Runs SQL outside the storage layer, on its own connection: for tests
  // that tamper with the schema or inspect it behind the repositories' back.
  Result<void, std::string> executeRaw(std::string_view sql) const;

  // PostgreSQL only: closes every server connection to this database, as a
  // server restart would. SQLite: does nothing and succeeds.
  Result<void, std::string> terminateConnections() const;

 private:
  TestDatabase(Backend backend, std::string location, std::string cleanup)
      : backend_(backend), location_(std::move(location)), cleanup_(std::move(cleanup)) {}

  Backend backend_;
  std::string location_;
  // SQLite: the temporary directory; PostgreSQL: the schema name.
  std::string cleanup_;
};

// Replaces the database name in a postgresql:// URI.
std::string withDatabaseName(std::string_view uri, std::string_view database);

}  // namespace mxauth::test
