#pragma once

// The account operations behind `mxauth user …` (interface.md §2). They are
// plain functions over the storage and crypto interfaces, so that the CLI
// stays a thin parser and the admin API of a later issue can reuse them.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/password_hasher.h"
#include "domain/user.h"
#include "storage/database.h"

namespace mxauth::app {

// One line for an operator: what failed and why. Never contains a password.
struct AdminError {
  enum class Kind { InvalidInput, NotFound, Conflict, Unavailable, Internal };
  Kind kind = Kind::Internal;
  std::string message;
};

// The AdminError a storage failure is reported as (shared by the account,
// audit and registration-token commands).
AdminError storageFailure(const storage::StorageError& error);

struct NewUser {
  std::string name;  // the Matrix localpart (case-folded and validated here)
  std::optional<std::string> password;
  std::optional<std::string> email;  // stored as confirmed: the admin vouches for it
  bool admin = false;
};

// Creates a local user. The password is hashed before the transaction
// starts, so the slow hash never holds a database connection; the user, its
// password and its e-mail are then written in one transaction.
Result<domain::User, AdminError> addUser(storage::Database& database,
                                         crypto::PasswordHasher& hasher, Rng& rng,
                                         const Clock& clock, std::string_view server_name,
                                         const NewUser& request);

// Adds a new current password to the user's history.
Result<domain::User, AdminError> setPassword(storage::Database& database,
                                             crypto::PasswordHasher& hasher, Rng& rng,
                                             const Clock& clock, std::string_view name,
                                             std::string_view password);

enum class AccountAction { Lock, Unlock, Deactivate, Reactivate };

// With everything that goes with the change (accounts/account_state.h): a
// lock ends the browser sessions and tells the homeserver; a deactivation
// ends every session and deactivates the user on the homeserver (erasing
// their data there when `erase`); the running server's caches hear of it
// through the database (storage::Invalidation).
Result<domain::User, AdminError> changeAccountState(storage::Database& database, Rng& rng,
                                                    const Clock& clock, std::string_view name,
                                                    AccountAction action, bool erase = false);

// `mxauth audit list [--user NAME] [--limit N]`: the audit log
// (storage/audit_log_repository.h), newest first, one JSON object per line:
// {"id", "time" (RFC 3339, UTC, milliseconds), "user_id" ("@name:server"),
// "action", "ip_address", "user_agent", "details" (an object)}.
Result<std::vector<std::string>, AdminError> listAuditEvents(storage::Database& database,
                                                             std::string_view server_name,
                                                             const std::optional<std::string>& name,
                                                             std::size_t limit);

}  // namespace mxauth::app
