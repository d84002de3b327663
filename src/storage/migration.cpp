#include "storage/migration.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>

#include "core/encoding.h"

namespace mxauth::storage {
namespace {

constexpr std::size_t kVersionDigits = 14;
constexpr std::string_view kSuffix = ".sql";

Result<Migration, MigrationError> parseFile(const core::EmbeddedFile& file) {
  std::string_view name = file.name;
  auto bad = [&] {
    return unexpected(MigrationError{
        MigrationErrorCode::BadFileName,
        "migration file '" + std::string(name) + "' is not named <14 digits>_<name>.sql"});
  };
  if (name.size() <= kVersionDigits + 1 + kSuffix.size() || !name.ends_with(kSuffix) ||
      name[kVersionDigits] != '_') {
    return bad();
  }
  std::string_view digits = name.substr(0, kVersionDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad();
  }
  Migration migration;
  std::from_chars(digits.data(), digits.data() + digits.size(), migration.version);
  migration.name = std::string(
      name.substr(kVersionDigits + 1, name.size() - kVersionDigits - 1 - kSuffix.size()));
  migration.sql = file.contents;
  migration.checksum = sha256Hex(file.contents);
  return migration;
}

}  // namespace

std::string_view toString(MigrationErrorCode code) {
  switch (code) {
    case MigrationErrorCode::BadFileName:
      return "bad migration file name";
    case MigrationErrorCode::ChecksumMismatch:
      return "migration checksum mismatch";
    case MigrationErrorCode::UnknownVersion:
      return "unknown migration in database";
    case MigrationErrorCode::Storage:
      return "storage error";
  }
  return "unknown";
}

std::string sha256Hex(std::string_view data) {
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  // EVP_Digest only fails on allocation failure or a missing algorithm,
  // neither of which input can cause.
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
  return core::hexEncode(std::span<const std::uint8_t>(digest.data(), length));
}

Result<std::vector<Migration>, MigrationError> loadMigrations(
    std::span<const core::EmbeddedFile> files) {
  std::vector<Migration> migrations;
  migrations.reserve(files.size());
  for (const core::EmbeddedFile& file : files) {
    auto migration = parseFile(file);
    if (!migration) return unexpected(migration.error());
    migrations.push_back(std::move(*migration));
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  auto duplicate = std::adjacent_find(
      migrations.begin(), migrations.end(),
      [](const Migration& a, const Migration& b) { return a.version == b.version; });
  if (duplicate != migrations.end()) {
    return unexpected(
        MigrationError{MigrationErrorCode::BadFileName,
                       "two migration files share version " + std::to_string(duplicate->version)});
  }
  return migrations;
}

Result<std::vector<Migration>, MigrationError> pendingMigrations(
    std::span<const Migration> known, std::span<const AppliedMigration> applied) {
  std::map<std::int64_t, const Migration*> by_version;
  for (const Migration& migration : known) by_version[migration.version] = &migration;

  std::map<std::int64_t, const AppliedMigration*> applied_by_version;
  for (const AppliedMigration& row : applied) {
    auto found = by_version.find(row.version);
    if (found == by_version.end()) {
      return unexpected(MigrationError{
          MigrationErrorCode::UnknownVersion,
          "the database has migration " + std::to_string(row.version) + "_" + row.name +
              ", which this mxauth does not know; it was migrated by a newer version"});
    }
    if (found->second->checksum != row.checksum) {
      return unexpected(MigrationError{MigrationErrorCode::ChecksumMismatch,
                                       "migration " + std::to_string(row.version) + "_" + row.name +
                                           " was applied with checksum " + row.checksum +
                                           " but this mxauth embeds " + found->second->checksum +
                                           "; applied migrations must never be edited"});
    }
    applied_by_version[row.version] = &row;
  }

  std::vector<Migration> pending;
  for (const Migration& migration : known) {
    if (!applied_by_version.contains(migration.version)) pending.push_back(migration);
  }
  return pending;
}

}  // namespace mxauth::storage
