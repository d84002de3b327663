#include "storage/postgres/postgres_database.h"

#include "storage/postgres/embedded_migrations.h"
#include "storage/postgres/invalidation_listener.h"
#include "storage/postgres/postgres_connection.h"
#include "storage/sql/sql_database.h"

namespace mxauth::storage::postgres {

std::span<const core::EmbeddedFile> embeddedMigrations() { return migrationFiles(); }

Result<std::unique_ptr<Database>, StorageError> openDatabaseForTesting(
    const PostgresOptions& options, std::span<const core::EmbeddedFile> migrations) {
  sql::ConnectionFactory factory =
      [options]() -> Result<std::unique_ptr<sql::Connection>, StorageError> {
    auto connection = PostgresConnection::connect(options);
    if (!connection) return unexpected(connection.error());
    return std::unique_ptr<sql::Connection>(std::move(*connection));
  };
  sql::SubscriptionFactory subscriptions = [options](InvalidationHandler handler) {
    return listenForInvalidations(options, std::move(handler));
  };
  auto database = std::make_unique<sql::SqlDatabase>(
      "postgres", std::move(factory),
      sql::PoolOptions{
          .size = options.pool_size, .writers = 0, .acquire_timeout = options.acquire_timeout},
      migrations, std::move(subscriptions));
  if (auto answered = database->ping(); !answered) return unexpected(answered.error());
  return std::unique_ptr<Database>(std::move(database));
}

Result<std::unique_ptr<Database>, StorageError> openDatabase(const PostgresOptions& options) {
  return openDatabaseForTesting(options, embeddedMigrations());
}

}  // namespace mxauth::storage::postgres
