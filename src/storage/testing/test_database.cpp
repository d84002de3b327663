#include "storage/testing/test_database.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "core/testing/fakes.h"
#include "storage/postgres/postgres_database.h"
#include "storage/sqlite/sqlite_database.h"

namespace mxauth::test {
namespace {

struct PgConnectionDeleter {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
using PgConnection = std::unique_ptr<PGconn, PgConnectionDeleter>;

void ignoreNotice(void* /*arg*/, const char* /*message*/) {}

Result<PgConnection, std::string> connectPostgres(const std::string& uri) {
  PgConnection connection(PQconnectdb(uri.c_str()));
  if (!connection || PQstatus(connection.get()) != CONNECTION_OK) {
    return unexpected(std::string("cannot connect to ") + kPostgresUriVariable + ": " +
                      (connection ? PQerrorMessage(connection.get()) : "out of memory"));
  }
  PQsetNoticeProcessor(connection.get(), &ignoreNotice, nullptr);
  return connection;
}

Result<void, std::string> execPostgres(PGconn* connection, const std::string& sql) {
  PGresult* result = PQexec(connection, sql.c_str());
  ExecStatusType status = PQresultStatus(result);
  std::string message = PQresultErrorMessage(result);
  PQclear(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return unexpected(message);
  return {};
}

// Tests get a schema each in one shared database: creating a schema takes
// milliseconds, creating a database about a second.
constexpr std::string_view kSharedDatabase = "mxauth_test";

// Unique among concurrently running test processes (pid) and within one.
std::string uniqueSchemaName() {
  static std::atomic<int> counter{0};
  return "mxauth_t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

std::string withParameter(std::string_view uri, std::string_view key, std::string_view value) {
  std::string out(uri);
  out.append(uri.find('?') == std::string_view::npos ? "?" : "&");
  out.append(key).append("=").append(value);
  return out;
}

// The URI of the shared test database, created on first use. Parallel test
// processes may race to create it; losing that race is fine.
Result<std::string, std::string> sharedTestDatabase(const std::string& uri) {
  auto admin = connectPostgres(uri);
  if (!admin) return unexpected(admin.error());
  auto exists = [&] {
    PGresult* result =
        PQexec(admin->get(), "SELECT 1 FROM pg_database WHERE datname = 'mxauth_test'");
    bool found = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
    PQclear(result);
    return found;
  };
  if (!exists()) {
    auto created = execPostgres(admin->get(), "CREATE DATABASE " + std::string(kSharedDatabase));
    if (!created && !exists()) return unexpected("CREATE DATABASE failed: " + created.error());
  }
  return withDatabaseName(uri, kSharedDatabase);
}

}  // namespace

std::string_view backendName(Backend backend) {
  switch (backend) {
    case Backend::Sqlite:
      return "Sqlite";
    case Backend::Postgres:
      return "Postgres";
  }
  return "Unknown";
}

void PrintTo(Backend backend, std::ostream* out) { *out << backendName(backend); }

std::optional<std::string> postgresTestUri() {
  const char* uri = std::getenv(kPostgresUriVariable);  // NOLINT(concurrency-mt-unsafe): no setenv
  if (uri == nullptr || *uri == '\0') return std::nullopt;
  return std::string(uri);
}

bool postgresRequired() {
  const char* required =
      std::getenv(kRequirePostgresVariable);  // NOLINT(concurrency-mt-unsafe): no setenv
  return required != nullptr && std::string_view(required) == "1";
}

std::string withDatabaseName(std::string_view uri, std::string_view database) {
  std::size_t authority = uri.find("://");
  std::size_t start = authority == std::string_view::npos ? 0 : authority + 3;
  std::size_t query = uri.find('?', start);
  std::size_t slash = uri.find('/', start);
  if (slash != std::string_view::npos && (query == std::string_view::npos || slash < query)) {
    std::string out(uri.substr(0, slash + 1));
    out.append(database);
    if (query != std::string_view::npos) out.append(uri.substr(query));
    return out;
  }
  std::string out(uri.substr(0, query));
  out.append("/").append(database);
  if (query != std::string_view::npos) out.append(uri.substr(query));
  return out;
}

Result<std::unique_ptr<TestDatabase>, std::string> TestDatabase::create(Backend backend) {
  switch (backend) {
    case Backend::Sqlite: {
      std::string pattern = (std::filesystem::temp_directory_path() / "mxauth-test-XXXXXX");
      if (::mkdtemp(pattern.data()) == nullptr) {
        return unexpected(std::string("cannot create a temporary directory"));
      }
      return std::unique_ptr<TestDatabase>(
          new TestDatabase(backend, pattern + "/mxauth.db", pattern));
    }
    case Backend::Postgres: {
      auto uri = postgresTestUri();
      if (!uri) return unexpected(std::string(kPostgresUriVariable) + " is not set");
      auto shared = sharedTestDatabase(*uri);
      if (!shared) return unexpected(shared.error());
      auto admin = connectPostgres(*shared);
      if (!admin) return unexpected(admin.error());
      std::string schema = uniqueSchemaName();
      // The name is ours (letters, digits, '_'), so it can be spliced into
      // this DDL; CREATE SCHEMA takes no parameters.
      if (auto created = execPostgres(admin->get(), "CREATE SCHEMA " + schema); !created) {
        return unexpected("CREATE SCHEMA failed: " + created.error());
      }
      // search_path confines every connection to the schema; the
      // application_name lets terminateConnections() find them. Commits are
      // synchronous, as on a server left at its defaults, whatever the test
      // cluster says (tools/pg-test-cluster.sh turns it off for speed):
      // tests of what mxauth relaxes per transaction see the difference.
      std::string location = withParameter(
          *shared, "options", "-csearch_path%3D" + schema + "%20-csynchronous_commit%3Don");
      location = withParameter(location, "application_name", schema);
      return std::unique_ptr<TestDatabase>(new TestDatabase(backend, location, schema));
    }
  }
  return unexpected(std::string("unknown backend"));
}

TestDatabase::~TestDatabase() {
  switch (backend_) {
    case Backend::Sqlite: {
      std::error_code ec;
      std::filesystem::remove_all(cleanup_, ec);
      return;
    }
    case Backend::Postgres: {
      auto uri = postgresTestUri();
      if (!uri) return;
      auto admin = connectPostgres(withDatabaseName(*uri, kSharedDatabase));
      if (!admin) return;
      (void)execPostgres(admin->get(), "DROP SCHEMA IF EXISTS " + cleanup_ + " CASCADE");
      return;
    }
  }
}

Result<std::unique_ptr<storage::Database>, storage::StorageError> TestDatabase::open(
    const TestPoolOptions& pool,
    std::optional<std::span<const core::EmbeddedFile>> migrations) const {
  switch (backend_) {
    case Backend::Sqlite: {
      storage::sqlite::SqliteOptions options;
      options.path = location_;
      options.pool_size = pool.size;
      options.acquire_timeout = pool.acquire_timeout;
      return storage::sqlite::openDatabaseForTesting(
          options, migrations.value_or(storage::sqlite::embeddedMigrations()));
    }
    case Backend::Postgres: {
      storage::postgres::PostgresOptions options;
      options.uri = location_;
      options.pool_size = pool.size;
      options.acquire_timeout = pool.acquire_timeout;
      return storage::postgres::openDatabaseForTesting(
          options, migrations.value_or(storage::postgres::embeddedMigrations()));
    }
  }
  return unexpected(storage::StorageError{storage::StorageErrorCode::Internal, "unknown backend"});
}

Result<std::unique_ptr<storage::Database>, std::string> TestDatabase::openMigrated(
    const TestPoolOptions& pool) const {
  auto database = open(pool);
  if (!database) return unexpected("open failed: " + database.error().detail);
  FakeClock clock;
  auto migrated = (*database)->migrate(clock);
  if (!migrated) return unexpected("migrate failed: " + migrated.error().detail);
  return std::move(*database);
}

Result<void, std::string> TestDatabase::executeRaw(std::string_view sql) const {
  std::string text(sql);
  switch (backend_) {
    case Backend::Sqlite: {
      sqlite3* db = nullptr;
      if (sqlite3_open_v2(location_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::string message = sqlite3_errmsg(db);
        sqlite3_close(db);
        return unexpected(message);
      }
      sqlite3_busy_timeout(db, 5000);
      char* error = nullptr;
      int result = sqlite3_exec(db, text.c_str(), nullptr, nullptr, &error);
      std::string message = error != nullptr ? error : "";
      sqlite3_free(error);
      sqlite3_close(db);
      if (result != SQLITE_OK) return unexpected(message);
      return {};
    }
    case Backend::Postgres: {
      auto connection = connectPostgres(location_);
      if (!connection) return unexpected(connection.error());
      return execPostgres(connection->get(), text);
    }
  }
  return unexpected(std::string("unknown backend"));
}

Result<void, std::string> TestDatabase::terminateConnections() const {
  switch (backend_) {
    case Backend::Sqlite:
      return {};
    case Backend::Postgres: {
      auto uri = postgresTestUri();
      if (!uri) return unexpected(std::string(kPostgresUriVariable) + " is not set");
      auto admin = connectPostgres(*uri);
      if (!admin) return unexpected(admin.error());
      return execPostgres(admin->get(),
                          "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                          "WHERE application_name = '" +
                              cleanup_ + "' AND pid <> pg_backend_pid()");
    }
  }
  return unexpected(std::string("unknown backend"));
}

}  // namespace mxauth::test
