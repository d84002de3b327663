#pragma once

#include <string>
#include <string_view>

namespace mxauth::storage {

// What went wrong in a storage call. "Not found" is not an error: lookups
// answer an empty optional.
enum class StorageErrorCode {
  // A uniqueness rule was violated (a taken localpart, a duplicate e-mail).
  Conflict,
  // The database cannot be reached or is too busy right now (connection
  // lost, timeout, SQLite busy, pool exhausted). Retrying later may work;
  // HTTP surfaces answer 503.
  Unavailable,
  // Another integrity rule was violated (a foreign key, a check).
  Constraint,
  // Anything else: a bug, a schema mismatch, corrupt data.
  Internal,
};

std::string_view toString(StorageErrorCode code);

// `detail` is for operators' logs (it may quote SQL errors and ids); never
// show it to clients.
struct StorageError {
  StorageErrorCode code = StorageErrorCode::Internal;
  std::string detail;
};

}  // namespace mxauth::storage
