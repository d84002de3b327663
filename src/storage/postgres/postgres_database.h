#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/embedded_file.h"
#include "core/result.h"
#include "storage/database.h"
#include "storage/storage_error.h"

namespace mxauth::storage::postgres {

struct PostgresOptions {
  // A libpq URI ("postgresql://user:pass@host:port/dbname?sslmode=...") or
  // key=value connection string.
  std::string uri;
  std::size_t pool_size = 10;
  // How long begin() waits for a free pooled connection.
  Duration acquire_timeout = std::chrono::seconds(5);
  // libpq connect_timeout, unless the URI sets its own.
  std::chrono::seconds connect_timeout = std::chrono::seconds(5);
};

// Connects once to check that the server answers, then returns the pooled
// database. Fails with Unavailable and libpq's message (which names host
// and port, never the password) when it cannot connect. Does not migrate.
Result<std::unique_ptr<Database>, StorageError> openDatabase(const PostgresOptions& options);

// The migrations compiled into the binary (src/storage/postgres/migrations).
std::span<const core::EmbeddedFile> embeddedMigrations();

// As openDatabase, with another migration set (tests of the runner).
Result<std::unique_ptr<Database>, StorageError> openDatabaseForTesting(
    const PostgresOptions& options, std::span<const core::EmbeddedFile> migrations);

}  // namespace mxauth::storage::postgres
