#pragma once

// Repositories of the OAuth 2.0 aggregates (domain/oauth.h). Contracts, which
// storage/testing checks on every backend:
//  - ids and timestamps come only from the Rng and Clock passed in;
//  - an unknown id or hash answers an empty optional, never an error;
//  - single use is a conditional write (design §6): the methods documented
//    as "conditional" change a row only in the stated state and answer an
//    empty optional (or false) when they did not, so that of two concurrent
//    callers exactly one wins — on SQLite and on PostgreSQL;
//  - token and code values never reach storage, only their SHA-256 hex;
//  - no token is ever issued into a finished session: adding an access or
//    refresh token locks its session's row until the transaction ends and
//    is refused (Constraint) when the session is unknown or finished, so
//    that OAuthSessionRepository::finish() and a concurrent token issue are
//    serialised and finish() revokes every token. Lock order, to avoid
//    deadlocks on PostgreSQL: within one transaction, take the session row
//    first — add the new tokens, or call finish(), before revoking,
//    consuming or replacing single tokens of that session.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/oauth.h"
#include "domain/user.h"
#include "storage/consent_repository.h"
#include "storage/page.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct NewOAuthClient {
  std::string metadata_json;
  std::optional<std::string> secret_hash;
  std::optional<std::string> metadata_digest;  // Conflict when already taken
  bool is_static = false;
  // Sealed secret of a client_secret_jwt client (domain::OAuthClient).
  std::optional<std::string> encrypted_secret;
};

class OAuthClientRepository {
 public:
  virtual ~OAuthClientRepository() = default;
  virtual Result<domain::OAuthClient, StorageError> add(Rng& rng, const Clock& clock,
                                                        const NewOAuthClient& client) = 0;
  virtual Result<std::optional<domain::OAuthClient>, StorageError> lookup(
      const domain::ClientId& id) = 0;
  virtual Result<std::optional<domain::OAuthClient>, StorageError> findByDigest(
      std::string_view metadata_digest) = 0;
};

struct NewBrowserSession {
  domain::UserId user_id;
  std::string user_agent;
  std::string ip_address;
};

struct BrowserSessionWithUser {
  domain::BrowserSession session;
  domain::User user;
};

class BrowserSessionRepository {
 public:
  virtual ~BrowserSessionRepository() = default;
  // created_at = authenticated_at = now. Refusing it (an unknown user,
  // Constraint) may wait until the transaction's next statement or its
  // commit.
  virtual Result<domain::BrowserSession, StorageError> add(Rng& rng, const Clock& clock,
                                                           const NewBrowserSession& session) = 0;
  virtual Result<std::optional<domain::BrowserSession>, StorageError> lookup(
      const domain::BrowserSessionId& id) = 0;
  // The session and its user in one read: what every page a signed-in
  // browser asks for needs (web/session.h). Empty when the session is unknown.
  virtual Result<std::optional<BrowserSessionWithUser>, StorageError> lookupWithUser(
      const domain::BrowserSessionId& id) = 0;
  // Re-authentication: authenticated_at = now. Empty when unknown or finished.
  virtual Result<std::optional<domain::BrowserSession>, StorageError> reauthenticate(
      const Clock& clock, const domain::BrowserSessionId& id) = 0;
  // Conditional: finishes an active session; false when unknown or already finished.
  virtual Result<bool, StorageError> finish(const Clock& clock,
                                            const domain::BrowserSessionId& id) = 0;
  // Finishes every active session of `user` except `keep` (none: all of
  // them), in this transaction; answers how many it finished (a password
  // change, a deactivation).
  virtual Result<std::int64_t, StorageError> finishAllForUser(
      const Clock& clock, const domain::UserId& user,
      const std::optional<domain::BrowserSessionId>& keep) = 0;
  // Unfinished sessions of a user, newest first (the account's sessions
  // page); `page.after` is the last id of the previous page. Expiry by
  // lifetime is the caller's to apply (web/session.h).
  virtual Result<std::vector<domain::BrowserSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) = 0;
};

struct NewAuthorizationGrant {
  domain::ClientId client_id;
  std::string redirect_uri;
  std::string scope;
  std::optional<std::string> state;
  std::optional<std::string> nonce;
  domain::ResponseMode response_mode = domain::ResponseMode::Query;
  std::optional<std::string> code_challenge;
  std::optional<std::string> login_hint;
  std::optional<std::string> prompt;
  std::optional<std::int64_t> max_age;
};

// A grant with the session it created and the user who allowed it, where
// they exist (findByCodeHashWithSubject).
struct GrantWithSubject {
  domain::AuthorizationGrant grant;
  std::optional<domain::OAuthSession> session;
  std::optional<domain::User> user;
};

// A grant at its consent step with what that step reads next
// (lookupForConsent): the browser session a cookie names, with its user, and
// the consent that user gave the grant's client, where they exist.
struct GrantForConsent {
  domain::AuthorizationGrant grant;
  std::optional<BrowserSessionWithUser> browser;
  std::optional<OAuthConsent> consent;
};

class AuthorizationGrantRepository {
 public:
  virtual ~AuthorizationGrantRepository() = default;
  // Refusing it (an unknown client, Constraint) may wait until the
  // transaction's next statement or its commit.
  virtual Result<domain::AuthorizationGrant, StorageError> add(
      Rng& rng, const Clock& clock, const NewAuthorizationGrant& grant) = 0;
  virtual Result<std::optional<domain::AuthorizationGrant>, StorageError> lookup(
      const domain::AuthorizationGrantId& id) = 0;
  // Conditional: a pending grant becomes fulfilled with its code hash and
  // the session it created. Empty when the grant is not pending.
  virtual Result<std::optional<domain::AuthorizationGrant>, StorageError> fulfill(
      const Clock& clock, const domain::AuthorizationGrantId& id, std::string_view code_hash,
      const domain::OAuthSessionId& session, const domain::BrowserSessionId& browser_session,
      const domain::UserId& user) = 0;
  // Conditional: the exchangeable grant with this code hash becomes
  // exchanged. Empty when no grant has that hash or it is not exchangeable
  // (already exchanged, cancelled, never fulfilled).
  virtual Result<std::optional<domain::AuthorizationGrant>, StorageError> exchange(
      const Clock& clock, std::string_view code_hash) = 0;
  // exchange(), and the exchanged grant's session read for update with its
  // user (OAuthSessionRepository::lookupForUpdateWithUser), in one
  // statement on PostgreSQL: what the code exchange needs before it adds
  // the tokens. Empty when nothing was exchanged.
  virtual Result<std::optional<GrantWithSubject>, StorageError> exchangeLockingSession(
      const Clock& clock, std::string_view code_hash) = 0;
  // Any grant with this code hash, whatever its state (replay detection).
  virtual Result<std::optional<domain::AuthorizationGrant>, StorageError> findByCodeHash(
      std::string_view code_hash) = 0;
  // The same with its session and user, in one read (what the token
  // endpoint checks before it calls the homeserver).
  virtual Result<std::optional<GrantWithSubject>, StorageError> findByCodeHashWithSubject(
      std::string_view code_hash) = 0;
  // The grant `id` with the browser session `browser_session` (none: the
  // request has no session) and, where that session exists, its user and
  // the user's consent to the grant's client, in one read (the consent step,
  // web/authorize_handler.cpp). Empty when the grant is unknown. The
  // session is returned whatever its state: checking it is the caller's.
  virtual Result<std::optional<GrantForConsent>, StorageError> lookupForConsent(
      const domain::AuthorizationGrantId& id,
      const std::optional<domain::BrowserSessionId>& browser_session) = 0;
  // The same for a transaction that answers the consent: the grant's row
  // stays locked until the transaction ends (PostgreSQL; SQLite has one
  // writer), so a grant read pending stays pending for fulfillLocked().
  virtual Result<std::optional<GrantForConsent>, StorageError> lookupForConsentForUpdate(
      const domain::AuthorizationGrantId& id,
      const std::optional<domain::BrowserSessionId>& browser_session) = 0;
  // fulfill() of a grant this transaction read pending with
  // lookupForConsentForUpdate(): nothing else can answer it meanwhile, so
  // the update goes out without waiting for its answer; a refusal (an
  // unknown session, Constraint) may wait until the transaction's next
  // statement or its commit. A grant that is not pending is left as it is.
  virtual Result<void, StorageError> fulfillLocked(const Clock& clock,
                                                   const domain::AuthorizationGrantId& id,
                                                   std::string_view code_hash,
                                                   const domain::OAuthSessionId& session,
                                                   const domain::BrowserSessionId& browser_session,
                                                   const domain::UserId& user) = 0;
  // Conditional: cancels a grant that is not yet exchanged or cancelled.
  virtual Result<bool, StorageError> cancel(const Clock& clock,
                                            const domain::AuthorizationGrantId& id) = 0;
};

struct NewOAuthSession {
  domain::ClientId client_id;
  std::optional<domain::UserId> user_id;
  std::string scope;
  std::optional<std::string> device_id;
  std::string user_agent;
  std::optional<Timestamp> authenticated_at;
};

// A session with its user (none for a session without one, such as a
// client's own, or whose user row is gone).
struct OAuthSessionWithUser {
  domain::OAuthSession session;
  std::optional<domain::User> user;
};

class OAuthSessionRepository {
 public:
  virtual ~OAuthSessionRepository() = default;
  // Refusing it (an unknown client or user, Constraint) may wait until the
  // transaction's next statement or its commit.
  virtual Result<domain::OAuthSession, StorageError> add(Rng& rng, const Clock& clock,
                                                         const NewOAuthSession& session) = 0;
  virtual Result<std::optional<domain::OAuthSession>, StorageError> lookup(
      const domain::OAuthSessionId& id) = 0;
  // The same, for a transaction about to add tokens to the session: an
  // active session stays active until the transaction ends (PostgreSQL
  // locks its row, SQLite has one writer), and the tokens' own check of the
  // session is then already done.
  virtual Result<std::optional<domain::OAuthSession>, StorageError> lookupForUpdate(
      const domain::OAuthSessionId& id) = 0;
  // lookupForUpdate and the session's user in one read (the code exchange
  // checks both before it adds tokens). Only the session's row is locked.
  virtual Result<std::optional<OAuthSessionWithUser>, StorageError> lookupForUpdateWithUser(
      const domain::OAuthSessionId& id) = 0;
  // Conditional: finishes an active session AND revokes every access and
  // refresh token under it, in this transaction. False when unknown or
  // already finished.
  virtual Result<bool, StorageError> finish(const Clock& clock,
                                            const domain::OAuthSessionId& id) = 0;
  // Active sessions of a user, newest first.
  virtual Result<std::vector<domain::OAuthSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) = 0;
  // Active sessions of a user bound to a Matrix device (device reuse).
  virtual Result<std::vector<domain::OAuthSession>, StorageError> findActiveByDevice(
      const domain::UserId& user, std::string_view device_id) = 0;
  // The distinct device ids of a user's active OAuth sessions AND active
  // compat sessions (storage/compat_repositories.h), sorted: what the
  // homeserver's device list should be (jobs/homeserver_jobs.h), since
  // every device the user still uses, through either API, must stay.
  virtual Result<std::vector<std::string>, StorageError> activeDeviceIds(
      const domain::UserId& user) = 0;
  // Batched activity (design §8): last_active_at/ip only move forward.
  virtual Result<void, StorageError> recordActivity(const domain::OAuthSessionId& id, Timestamp at,
                                                    std::string_view ip) = 0;
};

class AccessTokenRepository {
 public:
  virtual ~AccessTokenRepository() = default;
  // Conflict when the hash is taken; Constraint when the session is
  // unknown or finished (see above). The INSERT itself may travel with the
  // transaction's next statement or its commit (PostgreSQL pipelining), so
  // a Conflict may be reported by that later call instead; either way the
  // transaction writes nothing.
  virtual Result<domain::AccessToken, StorageError> add(Rng& rng, const Clock& clock,
                                                        const domain::OAuthSessionId& session,
                                                        std::string_view token_hash,
                                                        Timestamp expires_at) = 0;
  virtual Result<std::optional<domain::AccessToken>, StorageError> lookup(
      const domain::AccessTokenId& id) = 0;
  virtual Result<std::optional<domain::AccessToken>, StorageError> findByHash(
      std::string_view token_hash) = 0;
  // Sets first_used_at if unset; idempotent.
  virtual Result<void, StorageError> markUsed(const domain::AccessTokenId& id, Timestamp at) = 0;
  // Conditional: revokes a token not yet revoked.
  virtual Result<bool, StorageError> revoke(const Clock& clock,
                                            const domain::AccessTokenId& id) = 0;
  // Revokes a token if not revoked yet, without learning whether it was
  // (the access token of a rotated refresh token): the write may travel
  // with the transaction's next statement or its commit, saving a round
  // trip on PostgreSQL. Unlike revoke(), other processes are not told
  // (no invalidation is delivered): their cached answers for the token
  // lapse within their staleness bound.
  virtual Result<void, StorageError> retire(const Clock& clock,
                                            const domain::AccessTokenId& id) = 0;
};

class RefreshTokenRepository {
 public:
  virtual ~RefreshTokenRepository() = default;
  // Conflict when the hash is taken; Constraint when the session is
  // unknown or finished (see above) or the access token unknown. As for
  // access tokens, the INSERT may travel with the next statement or the
  // commit, which then reports its failure.
  virtual Result<domain::RefreshToken, StorageError> add(Rng& rng, const Clock& clock,
                                                         const domain::OAuthSessionId& session,
                                                         std::string_view token_hash,
                                                         const domain::AccessTokenId& access_token,
                                                         std::optional<Timestamp> expires_at) = 0;
  virtual Result<std::optional<domain::RefreshToken>, StorageError> lookup(
      const domain::RefreshTokenId& id) = 0;
  virtual Result<std::optional<domain::RefreshToken>, StorageError> findByHash(
      std::string_view token_hash) = 0;
  // Conditional: a token neither consumed nor revoked becomes consumed,
  // pointing at its successor. False when it was not usable (a concurrent
  // refresh won, or it was revoked). `successor` must be a stored refresh
  // token (add it first, in the same transaction): Constraint otherwise.
  virtual Result<bool, StorageError> consume(const Clock& clock, const domain::RefreshTokenId& id,
                                             const domain::RefreshTokenId& successor) = 0;
  // Lost-response retry (spec-digest §3.5): a consumed token whose successor
  // was never used gets a new successor. Conditional on the token still
  // pointing at `expected_successor` and not revoked; false otherwise (a
  // concurrent retry won, or the session ended).
  virtual Result<bool, StorageError> replaceSuccessor(
      const domain::RefreshTokenId& id, const domain::RefreshTokenId& expected_successor,
      const domain::RefreshTokenId& new_successor) = 0;
  // Conditional: revokes a token not yet revoked.
  virtual Result<bool, StorageError> revoke(const Clock& clock,
                                            const domain::RefreshTokenId& id) = 0;
};

}  // namespace mxauth::storage
