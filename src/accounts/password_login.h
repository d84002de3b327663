#pragma once

// Checking a username and password, the same way for the browser login page
// (web/) and the legacy Matrix login API (compat/): find the account the
// username names, verify the password, and say why not in a way that leaks
// nothing (security checklist G.46).
//
// The username is a bare localpart, "@localpart:server" (this server only)
// or a confirmed e-mail address. An unknown account costs a dummy
// verification, so it takes as long as a wrong password. Deactivation and
// lock are named only after the right password. A matching hash stored with
// weaker parameters is replaced (best effort).
//
// With a LoginThrottle, the attempt must first pass the per-address limit
// (before the account is even looked up) and then the per-account limit,
// both before any hashing; a refusal is RateLimited with the time to wait
// (login_throttle.h says what counts).

#include <string_view>

#include "accounts/login_throttle.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/password_hasher.h"
#include "domain/user.h"
#include "storage/database.h"

namespace mxauth::accounts {

// The scheme version stored with every password hash (user_passwords).
inline constexpr int kPasswordSchemeVersion = 1;

enum class PasswordLoginError {
  WrongCredentials,  // unknown account, no password, wrong password
  Deactivated,       // right password, deactivated account
  Locked,            // right password, locked account
  Overloaded,        // the hasher's slots and waiting room are full: 503
  Unavailable,       // the database cannot be reached: 503
  Internal,          // the hash could not be checked: 500
  RateLimited,       // too many attempts from this address or on this account: 429
};

struct PasswordLoginFailure {
  PasswordLoginError code = PasswordLoginError::Internal;
  Duration retry_after{0};  // RateLimited: try again after this long
};

struct PasswordLoginContext {
  storage::Database& database;
  crypto::PasswordHasher& hasher;
  Rng& rng;
  const Clock& clock;
  std::string_view homeserver;  // matrix.homeserver, for "@localpart:server"
  // Limits attempts before any hashing; null: no limits.
  LoginThrottle* throttle = nullptr;
  // The per-address limit's key: http::addressKey(request.remote_address).
  std::string_view client_key;
};

Result<domain::User, PasswordLoginFailure> checkPassword(const PasswordLoginContext& context,
                                                         std::string_view username,
                                                         std::string_view password);

}  // namespace mxauth::accounts
