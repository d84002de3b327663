#pragma once

// Repositories of the legacy login API's sessions and tokens
// (domain/compat.h). Same conventions as oauth_repositories.h: ids and
// timestamps come from the Rng and Clock passed in; conditional writes
// answer whether they changed anything; tokens are stored as SHA-256 hex
// only; lock order in a transaction that touches a session: add tokens or
// finish() first, then revoke or consume.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/compat.h"
#include "storage/page.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct NewCompatSession {
  domain::UserId user_id;
  std::string device_id;
  std::optional<std::string> display_name;
  bool is_admin = false;
  std::string user_agent;
};

class CompatSessionRepository {
 public:
  virtual ~CompatSessionRepository() = default;
  // Constraint when the user is unknown.
  virtual Result<domain::CompatSession, StorageError> add(Rng& rng, const Clock& clock,
                                                          const NewCompatSession& session) = 0;
  virtual Result<std::optional<domain::CompatSession>, StorageError> lookup(
      const domain::CompatSessionId& id) = 0;
  // Conditional: finishes an active session AND revokes every access and
  // refresh token under it, in this transaction. False when unknown or
  // already finished.
  virtual Result<bool, StorageError> finish(const Clock& clock,
                                            const domain::CompatSessionId& id) = 0;
  // Active sessions of a user, newest first.
  virtual Result<std::vector<domain::CompatSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) = 0;
  // Active sessions of a user on a Matrix device (device reuse at login).
  virtual Result<std::vector<domain::CompatSession>, StorageError> findActiveByDevice(
      const domain::UserId& user, std::string_view device_id) = 0;
  // Batched activity: last_active_at/ip only move forward.
  virtual Result<void, StorageError> recordActivity(const domain::CompatSessionId& id, Timestamp at,
                                                    std::string_view ip) = 0;
};

class CompatAccessTokenRepository {
 public:
  virtual ~CompatAccessTokenRepository() = default;
  // Conflict when the hash is taken; Constraint when the session is unknown
  // or finished (a concurrent finish() and add() are serialised).
  virtual Result<domain::CompatAccessToken, StorageError> add(
      Rng& rng, const Clock& clock, const domain::CompatSessionId& session,
      std::string_view token_hash, std::optional<Timestamp> expires_at) = 0;
  virtual Result<std::optional<domain::CompatAccessToken>, StorageError> lookup(
      const domain::CompatAccessTokenId& id) = 0;
  virtual Result<std::optional<domain::CompatAccessToken>, StorageError> findByHash(
      std::string_view token_hash) = 0;
  // Sets first_used_at if unset; idempotent.
  virtual Result<void, StorageError> markUsed(const domain::CompatAccessTokenId& id,
                                              Timestamp at) = 0;
  // Conditional: revokes a token not yet revoked.
  virtual Result<bool, StorageError> revoke(const Clock& clock,
                                            const domain::CompatAccessTokenId& id) = 0;
};

class CompatRefreshTokenRepository {
 public:
  virtual ~CompatRefreshTokenRepository() = default;
  // Conflict when the hash is taken; Constraint when the session is unknown
  // or finished, or the access token unknown.
  virtual Result<domain::CompatRefreshToken, StorageError> add(
      Rng& rng, const Clock& clock, const domain::CompatSessionId& session,
      std::string_view token_hash, const domain::CompatAccessTokenId& access_token) = 0;
  virtual Result<std::optional<domain::CompatRefreshToken>, StorageError> lookup(
      const domain::CompatRefreshTokenId& id) = 0;
  virtual Result<std::optional<domain::CompatRefreshToken>, StorageError> findByHash(
      std::string_view token_hash) = 0;
  // Conditional: a usable token becomes consumed, pointing at `successor`
  // (a stored refresh token of the same session). False when it was not
  // usable (a concurrent refresh won, or it was revoked).
  virtual Result<bool, StorageError> consume(const Clock& clock,
                                             const domain::CompatRefreshTokenId& id,
                                             const domain::CompatRefreshTokenId& successor) = 0;
  // Lost-response retry (Matrix spec: the old refresh token stays valid
  // until the new tokens are used): a consumed token whose successor was
  // never used gets a new successor. Conditional on the token still
  // pointing at `expected_successor` and not revoked; false otherwise.
  virtual Result<bool, StorageError> replaceSuccessor(
      const domain::CompatRefreshTokenId& id,
      const domain::CompatRefreshTokenId& expected_successor,
      const domain::CompatRefreshTokenId& new_successor) = 0;
  // Conditional: revokes a token not yet revoked.
  virtual Result<bool, StorageError> revoke(const Clock& clock,
                                            const domain::CompatRefreshTokenId& id) = 0;
};

class CompatSsoLoginRepository {
 public:
  virtual ~CompatSsoLoginRepository() = default;
  // A pending login that will return to `redirect_uri`.
  virtual Result<domain::CompatSsoLogin, StorageError> add(Rng& rng, const Clock& clock,
                                                           std::string_view redirect_uri) = 0;
  virtual Result<std::optional<domain::CompatSsoLogin>, StorageError> lookup(
      const domain::CompatSsoLoginId& id) = 0;
  // Conditional: a pending login becomes fulfilled for the user of
  // `browser_session` with the login token's hash. False when it was not
  // pending. Conflict when the hash is taken.
  virtual Result<bool, StorageError> fulfil(const Clock& clock, const domain::CompatSsoLoginId& id,
                                            const domain::UserId& user,
                                            const domain::BrowserSessionId& browser_session,
                                            std::string_view login_token_hash) = 0;
  // The login whose token has this hash (the unique index).
  virtual Result<std::optional<domain::CompatSsoLogin>, StorageError> findByTokenHash(
      std::string_view login_token_hash) = 0;
  // Conditional: a fulfilled login not yet exchanged is exchanged for
  // `session` (a compat session of the same user). False when it was not
  // fulfilled or already exchanged: the token is single use.
  virtual Result<bool, StorageError> exchange(const Clock& clock,
                                              const domain::CompatSsoLoginId& id,
                                              const domain::CompatSessionId& session) = 0;
};

}  // namespace mxauth::storage
