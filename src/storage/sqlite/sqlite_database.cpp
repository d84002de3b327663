#include "storage/sqlite/sqlite_database.h"

#include "storage/sql/sql_database.h"
#include "storage/sqlite/embedded_migrations.h"
#include "storage/sqlite/sqlite_connection.h"

namespace mxauth::storage::sqlite {

std::span<const core::EmbeddedFile> embeddedMigrations() { return migrationFiles(); }

Result<std::unique_ptr<Database>, StorageError> openDatabaseForTesting(
    const SqliteOptions& options, std::span<const core::EmbeddedFile> migrations) {
  sql::ConnectionFactory factory =
      [options]() -> Result<std::unique_ptr<sql::Connection>, StorageError> {
    auto connection = SqliteConnection::open(options);
    if (!connection) return unexpected(connection.error());
    return std::unique_ptr<sql::Connection>(std::move(*connection));
  };
  auto database = std::make_unique<sql::SqlDatabase>(
      "sqlite", std::move(factory), sql::PoolOptions{options.pool_size, options.acquire_timeout},
      migrations);
  if (auto answered = database->ping(); !answered) return unexpected(answered.error());
  return std::unique_ptr<Database>(std::move(database));
}

Result<std::unique_ptr<Database>, StorageError> openDatabase(const SqliteOptions& options) {
  return openDatabaseForTesting(options, embeddedMigrations());
}

}  // namespace mxauth::storage::sqlite
