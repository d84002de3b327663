#pragma once

#include "storage/oauth_repositories.h"
#include "storage/sql/client_cache.h"
#include "storage/sql/session.h"

// The OAuth aggregates' repositories (storage/oauth_repositories.h), written
// once in the SQL both backends share. Tables: see the *_oauth.sql
// migrations of each backend. Every conditional method is a single UPDATE
// whose WHERE clause states the required state, so the row count (or the
// RETURNING row) decides who won a race: on PostgreSQL a concurrent
// updater waits for the winner's commit and then re-checks the clause; on
// SQLite writers are serialised by BEGIN IMMEDIATE.
namespace mxauth::storage::sql {

class SqlOAuthClientRepository final : public OAuthClientRepository {
 public:
  // `cache` (may be null) serves lookups; records read in a read-only
  // transaction (`read_only`) are added to it (client_cache.h).
  SqlOAuthClientRepository(Session& session, ClientCache* cache, bool read_only)
      : session_(session), cache_(cache), read_only_(read_only) {}

  Result<domain::OAuthClient, StorageError> add(Rng& rng, const Clock& clock,
                                                const NewOAuthClient& client) override;
  Result<std::optional<domain::OAuthClient>, StorageError> lookup(
      const domain::ClientId& id) override;
  Result<std::optional<domain::OAuthClient>, StorageError> findByDigest(
      std::string_view metadata_digest) override;

 private:
  Session& session_;
  ClientCache* cache_;
  bool read_only_;
};

class SqlBrowserSessionRepository final : public BrowserSessionRepository {
 public:
  explicit SqlBrowserSessionRepository(Session& session) : session_(session) {}

  Result<domain::BrowserSession, StorageError> add(Rng& rng, const Clock& clock,
                                                   const NewBrowserSession& session) override;
  Result<std::optional<domain::BrowserSession>, StorageError> lookup(
      const domain::BrowserSessionId& id) override;
  Result<std::optional<BrowserSessionWithUser>, StorageError> lookupWithUser(
      const domain::BrowserSessionId& id) override;
  Result<std::optional<domain::BrowserSession>, StorageError> reauthenticate(
      const Clock& clock, const domain::BrowserSessionId& id) override;
  Result<bool, StorageError> finish(const Clock& clock,
                                    const domain::BrowserSessionId& id) override;
  Result<std::int64_t, StorageError> finishAllForUser(
      const Clock& clock, const domain::UserId& user,
      const std::optional<domain::BrowserSessionId>& keep) override;
  Result<std::vector<domain::BrowserSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) override;

 private:
  Session& session_;
};

class SqlAuthorizationGrantRepository final : public AuthorizationGrantRepository {
 public:
  explicit SqlAuthorizationGrantRepository(Session& session) : session_(session) {}

  Result<domain::AuthorizationGrant, StorageError> add(Rng& rng, const Clock& clock,
                                                       const NewAuthorizationGrant& grant) override;
  Result<std::optional<domain::AuthorizationGrant>, StorageError> lookup(
      const domain::AuthorizationGrantId& id) override;
  Result<std::optional<domain::AuthorizationGrant>, StorageError> fulfill(
      const Clock& clock, const domain::AuthorizationGrantId& id, std::string_view code_hash,
      const domain::OAuthSessionId& session, const domain::BrowserSessionId& browser_session,
      const domain::UserId& user) override;
  Result<std::optional<domain::AuthorizationGrant>, StorageError> exchange(
      const Clock& clock, std::string_view code_hash) override;
  Result<std::optional<GrantWithSubject>, StorageError> exchangeLockingSession(
      const Clock& clock, std::string_view code_hash) override;
  Result<std::optional<domain::AuthorizationGrant>, StorageError> findByCodeHash(
      std::string_view code_hash) override;
  Result<std::optional<GrantWithSubject>, StorageError> findByCodeHashWithSubject(
      std::string_view code_hash) override;
  Result<std::optional<GrantForConsent>, StorageError> lookupForConsent(
      const domain::AuthorizationGrantId& id,
      const std::optional<domain::BrowserSessionId>& browser_session) override;
  Result<std::optional<GrantForConsent>, StorageError> lookupForConsentForUpdate(
      const domain::AuthorizationGrantId& id,
      const std::optional<domain::BrowserSessionId>& browser_session) override;
  Result<void, StorageError> fulfillLocked(const Clock& clock,
                                           const domain::AuthorizationGrantId& id,
                                           std::string_view code_hash,
                                           const domain::OAuthSessionId& session,
                                           const domain::BrowserSessionId& browser_session,
                                           const domain::UserId& user) override;
  Result<bool, StorageError> cancel(const Clock& clock,
                                    const domain::AuthorizationGrantId& id) override;

 private:
  Result<std::optional<GrantForConsent>, StorageError> readForConsent(
      const domain::AuthorizationGrantId& id,
      const std::optional<domain::BrowserSessionId>& browser_session, bool lock);

  Session& session_;
};

class SqlOAuthSessionRepository final : public OAuthSessionRepository {
 public:
  explicit SqlOAuthSessionRepository(Session& session) : session_(session) {}

  Result<domain::OAuthSession, StorageError> add(Rng& rng, const Clock& clock,
                                                 const NewOAuthSession& session) override;
  Result<std::optional<domain::OAuthSession>, StorageError> lookup(
      const domain::OAuthSessionId& id) override;
  Result<std::optional<domain::OAuthSession>, StorageError> lookupForUpdate(
      const domain::OAuthSessionId& id) override;
  Result<std::optional<OAuthSessionWithUser>, StorageError> lookupForUpdateWithUser(
      const domain::OAuthSessionId& id) override;
  Result<bool, StorageError> finish(const Clock& clock, const domain::OAuthSessionId& id) override;
  Result<std::vector<domain::OAuthSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) override;
  Result<std::vector<std::string>, StorageError> activeDeviceIds(
      const domain::UserId& user) override;
  Result<std::vector<domain::OAuthSession>, StorageError> findActiveByDevice(
      const domain::UserId& user, std::string_view device_id) override;
  Result<void, StorageError> recordActivity(const domain::OAuthSessionId& id, Timestamp at,
                                            std::string_view ip) override;

 private:
  Session& session_;
};

class SqlAccessTokenRepository final : public AccessTokenRepository {
 public:
  explicit SqlAccessTokenRepository(Session& session) : session_(session) {}

  Result<domain::AccessToken, StorageError> add(Rng& rng, const Clock& clock,
                                                const domain::OAuthSessionId& session,
                                                std::string_view token_hash,
                                                Timestamp expires_at) override;
  Result<std::optional<domain::AccessToken>, StorageError> lookup(
      const domain::AccessTokenId& id) override;
  Result<std::optional<domain::AccessToken>, StorageError> findByHash(
      std::string_view token_hash) override;
  Result<void, StorageError> markUsed(const domain::AccessTokenId& id, Timestamp at) override;
  Result<bool, StorageError> revoke(const Clock& clock, const domain::AccessTokenId& id) override;
  Result<void, StorageError> retire(const Clock& clock, const domain::AccessTokenId& id) override;

 private:
  Session& session_;
};

class SqlRefreshTokenRepository final : public RefreshTokenRepository {
 public:
  explicit SqlRefreshTokenRepository(Session& session) : session_(session) {}

  Result<domain::RefreshToken, StorageError> add(Rng& rng, const Clock& clock,
                                                 const domain::OAuthSessionId& session,
                                                 std::string_view token_hash,
                                                 const domain::AccessTokenId& access_token,
                                                 std::optional<Timestamp> expires_at) override;
  Result<std::optional<domain::RefreshToken>, StorageError> lookup(
      const domain::RefreshTokenId& id) override;
  Result<std::optional<domain::RefreshToken>, StorageError> findByHash(
      std::string_view token_hash) override;
  Result<bool, StorageError> consume(const Clock& clock, const domain::RefreshTokenId& id,
                                     const domain::RefreshTokenId& successor) override;
  Result<bool, StorageError> replaceSuccessor(const domain::RefreshTokenId& id,
                                              const domain::RefreshTokenId& expected_successor,
                                              const domain::RefreshTokenId& new_successor) override;
  Result<bool, StorageError> revoke(const Clock& clock, const domain::RefreshTokenId& id) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
