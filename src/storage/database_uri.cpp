#include "storage/database_uri.h"

#include <algorithm>

namespace mxauth::storage {
namespace {

constexpr std::string_view kSqliteScheme = "sqlite://";
constexpr std::string_view kPostgresSchemes[] = {"postgresql://", "postgres://"};

bool hasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Result<DatabaseUri, DatabaseUriError> parseDatabaseUri(std::string_view uri) {
  if (hasControlCharacter(uri)) {
    return unexpected(DatabaseUriError{"the database URI contains control characters"});
  }
  if (uri.starts_with(kSqliteScheme)) {
    std::string_view path = uri.substr(kSqliteScheme.size());
    if (path.empty()) {
      return unexpected(DatabaseUriError{"the sqlite:// URI has no file path"});
    }
    if (path.find_first_of("?#") != std::string_view::npos) {
      return unexpected(
          DatabaseUriError{"the sqlite:// URI takes a file path only, without ? or # parts"});
    }
    if (path.back() == '/') {
      return unexpected(DatabaseUriError{"the sqlite:// URI names a directory, not a file"});
    }
    return DatabaseUri(SqliteUri{std::string(path)});
  }
  for (std::string_view scheme : kPostgresSchemes) {
    if (!uri.starts_with(scheme)) continue;
    if (uri.size() == scheme.size()) {
      return unexpected(DatabaseUriError{"the PostgreSQL URI has no host or database"});
    }
    return DatabaseUri(PostgresUri{std::string(uri)});
  }
  return unexpected(DatabaseUriError{
      "unsupported database URI: use sqlite://PATH or postgresql://USER@HOST:PORT/DBNAME"});
}

}  // namespace mxauth::storage
