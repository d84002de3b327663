#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/id.h"

namespace mxauth::domain {

// A local account. The Matrix user id is "@localpart:server_name".
//
// State: an account is active until deactivated; a locked account still
// exists and keeps its data but cannot log in. Locking and deactivation are
// independent, so unlocking a deactivated account does not reactivate it.
struct User {
  UserId id;
  // Lower-case, validated by Localpart::parse when the account was created.
  std::string localpart;
  Timestamp created_at;
  std::optional<Timestamp> locked_at;
  std::optional<Timestamp> deactivated_at;
  bool is_admin = false;
  // Chosen on the profile page; sent to the homeserver by provision_user.
  std::optional<std::string> display_name;

  bool isLocked() const { return locked_at.has_value(); }
  bool isActive() const { return !deactivated_at.has_value(); }
  // Only an active, unlocked account may start new sessions.
  bool canLogIn() const { return isActive() && !isLocked(); }

  friend bool operator==(const User&, const User&) = default;
};

// An e-mail address attached to a user. Only a confirmed address can be used
// to log in or to recover the account.
struct UserEmail {
  UserEmailId id;
  UserId user_id;
  std::string address;
  Timestamp created_at;
  std::optional<Timestamp> confirmed_at;
  // The address the account pages mark as the main one; at most one per
  // user, and only a confirmed one.
  bool is_primary = false;

  bool isConfirmed() const { return confirmed_at.has_value(); }

  friend bool operator==(const UserEmail&, const UserEmail&) = default;
};

// One entry of a user's password history. Setting a password adds an entry;
// the newest entry is the current password, older ones stay so that reuse
// can be refused and upgrades traced.
struct UserPassword {
  UserPasswordId id;
  UserId user_id;
  // A PHC string ("$argon2id$v=19$m=19456,t=2,p=1$...") or an imported
  // bcrypt/PBKDF2 hash; the crypto module parses it, storage only keeps it.
  std::string hash;
  // The password-hashing scheme version from the server's configuration
  // that produced `hash`, so that a later scheme can re-hash on login.
  int version = 0;
  Timestamp created_at;
  // Set when this entry re-hashes the previous password with a newer
  // scheme after a successful login, rather than the user choosing a new one.
  std::optional<UserPasswordId> upgraded_from;

  friend bool operator==(const UserPassword&, const UserPassword&) = default;
};

}  // namespace mxauth::domain
