#include "accounts/password_login.h"

#include <optional>
#include <utility>

namespace mxauth::accounts {
namespace {

struct Credentials {
  std::optional<domain::User> user;
  std::optional<domain::UserPassword> password;
};

Result<Credentials, storage::StorageError> findCredentials(storage::Transaction& tx,
                                                           std::string_view username,
                                                           std::string_view homeserver) {
  // A localpart (bare or in a Matrix ID of this server): the user and the
  // password in one read.
  std::optional<std::string_view> localpart;
  if (username.starts_with('@')) {
    const std::size_t colon = username.find(':');
    if (colon == std::string_view::npos || username.substr(colon + 1) != homeserver) {
      return Credentials{};
    }
    localpart = username.substr(1, colon - 1);
  } else if (username.find('@') == std::string_view::npos) {
    localpart = username;
  }
  Credentials credentials;
  if (localpart) {
    auto found = tx.users().findByLocalpartWithPassword(*localpart);
    if (!found) return unexpected(found.error());
    if (*found) {
      credentials.user = std::move((*found)->user);
      credentials.password = std::move((*found)->password);
    }
    return credentials;
  }
  auto user = tx.users().findByEmail(username);
  if (!user) return unexpected(user.error());
  if (!*user) return credentials;
  auto password = tx.userPasswords().current((*user)->id);
  if (!password) return unexpected(password.error());
  credentials.user = std::move(**user);
  credentials.password = std::move(*password);
  return credentials;
}

PasswordLoginError fromStorage(const storage::StorageError& error) {
  return error.code == storage::StorageErrorCode::Unavailable ? PasswordLoginError::Unavailable
                                                              : PasswordLoginError::Internal;
}

// Verifies `password` against what was found: the slow part.
Result<domain::User, PasswordLoginError> verifyCredentials(const PasswordLoginContext& context,
                                                           Credentials credentials,
                                                           std::string_view password) {
  if (!credentials.user || !credentials.password) {
    const auto dummy = context.hasher.verifyDummy(password);
    if (!dummy && dummy.error() == crypto::PasswordError::Overloaded) {
      return unexpected(PasswordLoginError::Overloaded);
    }
    return unexpected(PasswordLoginError::WrongCredentials);
  }
  const auto outcome = context.hasher.verify(password, credentials.password->hash);
  if (!outcome) {
    switch (outcome.error()) {
      case crypto::PasswordError::Overloaded:
        return unexpected(PasswordLoginError::Overloaded);
      case crypto::PasswordError::Internal:
        return unexpected(PasswordLoginError::Internal);
      case crypto::PasswordError::PasswordTooLong:
      case crypto::PasswordError::MalformedHash:
      case crypto::PasswordError::UnsupportedScheme:
        return unexpected(PasswordLoginError::WrongCredentials);
    }
  }
  if (!outcome->matched) return unexpected(PasswordLoginError::WrongCredentials);

  domain::User user = std::move(*credentials.user);
  if (!user.isActive()) return unexpected(PasswordLoginError::Deactivated);
  if (user.isLocked()) return unexpected(PasswordLoginError::Locked);

  if (outcome->needs_rehash) {
    // Best effort: a failure here must not stop a correct login.
    auto rehashed = context.hasher.hash(context.rng, password);
    if (rehashed) {
      auto tx = context.database.begin();
      if (tx) {
        auto added = (*tx)->userPasswords().add(context.rng, context.clock, user.id, *rehashed,
                                                kPasswordSchemeVersion, credentials.password->id);
        if (added) static_cast<void>((*tx)->commit());
      }
    }
  }
  return user;
}

// Whether the per-account token goes back: only a wrong password keeps it
// spent (login_throttle.h).
bool keepsTheAccountToken(const Result<domain::User, PasswordLoginError>& verdict) {
  if (verdict) return false;
  switch (verdict.error()) {
    case PasswordLoginError::WrongCredentials:
      return true;
    case PasswordLoginError::Deactivated:
    case PasswordLoginError::Locked:
    case PasswordLoginError::Overloaded:
    case PasswordLoginError::Unavailable:
    case PasswordLoginError::Internal:
    case PasswordLoginError::RateLimited:
      return false;
  }
  return true;
}

PasswordLoginFailure rateLimited(const core::RateDecision& decision) {
  return PasswordLoginFailure{PasswordLoginError::RateLimited, decision.retry_after};
}

}  // namespace

Result<domain::User, PasswordLoginFailure> checkPassword(const PasswordLoginContext& context,
                                                         std::string_view username,
                                                         std::string_view password) {
  LoginThrottle* const throttle = context.throttle;
  if (throttle != nullptr) {
    const core::RateDecision decision = throttle->admitAddress(context.client_key);
    if (!decision.allowed) return unexpected(rateLimited(decision));
  }

  // Read, then let go of the connection before the slow hash.
  Credentials credentials;
  {
    auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(PasswordLoginFailure{fromStorage(tx.error())});
    auto found = findCredentials(**tx, username, context.homeserver);
    if (!found) return unexpected(PasswordLoginFailure{fromStorage(found.error())});
    credentials = std::move(*found);
  }

  const std::string account =
      accountKey(credentials.user ? &*credentials.user : nullptr, username, context.homeserver);
  if (throttle != nullptr) {
    const core::RateDecision decision = throttle->admitAccount(account);
    if (!decision.allowed) return unexpected(rateLimited(decision));
  }

  auto verdict = verifyCredentials(context, std::move(credentials), password);
  if (throttle != nullptr) {
    if (keepsTheAccountToken(verdict)) {
      throttle->settleAccount(account);
    } else {
      throttle->forgiveAccount(account);
    }
  }
  if (!verdict) return unexpected(PasswordLoginFailure{verdict.error()});
  return std::move(*verdict);
}

}  // namespace mxauth::accounts
