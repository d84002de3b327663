#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace mxauth::storage {

// "sqlite://./data/mxauth.db" (relative) or "sqlite:///var/lib/mxauth.db"
// (absolute): `path` is the file path after "sqlite://".
struct SqliteUri {
  std::string path;
  friend bool operator==(const SqliteUri&, const SqliteUri&) = default;
};

// "postgresql://..." or "postgres://...": kept whole, because libpq parses
// the URI itself (user, password, host, port, dbname, sslmode, ...).
struct PostgresUri {
  std::string uri;
  friend bool operator==(const PostgresUri&, const PostgresUri&) = default;
};

using DatabaseUri = std::variant<SqliteUri, PostgresUri>;

// `message` names what is wrong, for a config error naming database.uri.
// It never repeats the URI, which may hold a password.
struct DatabaseUriError {
  std::string message;
};

Result<DatabaseUri, DatabaseUriError> parseDatabaseUri(std::string_view uri);

}  // namespace mxauth::storage
