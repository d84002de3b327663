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

namespace mxauth::storage::sqlite {

struct SqliteOptions {
  // The database file; its parent directory is created when missing.
  std::string path;
  // Connections in the pool. SQLite allows one writer at a time (ReadWrite
  // transactions queue on BEGIN IMMEDIATE) and any number of readers.
  std::size_t pool_size = 8;
  // How long begin() waits for a free pooled connection.
  Duration acquire_timeout = std::chrono::seconds(5);
  // How long a statement waits for another connection's lock (busy_timeout)
  // before failing with Unavailable.
  Duration busy_timeout = std::chrono::seconds(5);
};

// Opens (creating if needed) the database file and checks that it answers.
// Fails with Unavailable, naming the path, when the file or its directory
// cannot be created or opened. Does not migrate: call migrate().
Result<std::unique_ptr<Database>, StorageError> openDatabase(const SqliteOptions& options);

// The migrations compiled into the binary (src/storage/sqlite/migrations).
std::span<const core::EmbeddedFile> embeddedMigrations();

// As openDatabase, with another migration set: lets tests exercise the
// migration runner's refusals without touching the real schema.
Result<std::unique_ptr<Database>, StorageError> openDatabaseForTesting(
    const SqliteOptions& options, std::span<const core::EmbeddedFile> migrations);

}  // namespace mxauth::storage::sqlite
