#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.h"
#include "core/result.h"

namespace mxauth::storage {

// A schema migration compiled into the binary. Files are named
// "<version>_<name>.sql" with a 14-digit UTC timestamp as the version
// ("20261127000000_users.sql"); they are forward-only and never edited once
// released, which the checksum enforces.
struct Migration {
  std::int64_t version = 0;
  std::string name;
  std::string_view sql;
  // SHA-256 of the file contents, lower-case hex.
  std::string checksum;
};

enum class MigrationErrorCode {
  // An embedded file is not named "<14 digits>_<name>.sql" (a build bug).
  BadFileName,
  // An applied migration's checksum differs from the embedded file: the
  // file was edited after release, or the database belongs to another build.
  ChecksumMismatch,
  // The database has a migration this binary does not know: it was migrated
  // by a newer mxauth. Refuse rather than run old code on a new schema.
  UnknownVersion,
  // The database failed (unreachable, SQL error in a migration, ...).
  Storage,
};

std::string_view toString(MigrationErrorCode code);

struct MigrationError {
  MigrationErrorCode code = MigrationErrorCode::Storage;
  std::string detail;
};

// A migration already recorded in schema_migrations.
struct AppliedMigration {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
};

// Parses and sorts embedded migration files by version.
Result<std::vector<Migration>, MigrationError> loadMigrations(
    std::span<const core::EmbeddedFile> files);

// The migrations in `known` that are not in `applied`, in order. Fails when
// an applied migration is unknown or its checksum differs.
Result<std::vector<Migration>, MigrationError> pendingMigrations(
    std::span<const Migration> known, std::span<const AppliedMigration> applied);

// Lower-case hex SHA-256.
std::string sha256Hex(std::string_view data);

}  // namespace mxauth::storage
