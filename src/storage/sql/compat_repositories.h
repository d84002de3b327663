#pragma once

#include "storage/compat_repositories.h"
#include "storage/sql/session.h"

// The legacy login API's repositories (storage/compat_repositories.h),
// written once in the SQL both backends share. Tables: see the *_compat.sql
// migrations of each backend. Same rules as sql/oauth_repositories.h: every
// conditional method is a single UPDATE whose WHERE clause states the
// required state, and adding a token first locks its session's row.
namespace mxauth::storage::sql {

class SqlCompatSessionRepository final : public CompatSessionRepository {
 public:
  explicit SqlCompatSessionRepository(Session& session) : session_(session) {}

  Result<domain::CompatSession, StorageError> add(Rng& rng, const Clock& clock,
                                                  const NewCompatSession& session) override;
  Result<std::optional<domain::CompatSession>, StorageError> lookup(
      const domain::CompatSessionId& id) override;
  Result<bool, StorageError> finish(const Clock& clock, const domain::CompatSessionId& id) override;
  Result<std::vector<domain::CompatSession>, StorageError> listActiveForUser(
      const domain::UserId& user, const Page& page) override;
  Result<std::vector<domain::CompatSession>, StorageError> findActiveByDevice(
      const domain::UserId& user, std::string_view device_id) override;
  Result<void, StorageError> recordActivity(const domain::CompatSessionId& id, Timestamp at,
                                            std::string_view ip) override;

 private:
  Session& session_;
};

class SqlCompatAccessTokenRepository final : public CompatAccessTokenRepository {
 public:
  explicit SqlCompatAccessTokenRepository(Session& session) : session_(session) {}

  Result<domain::CompatAccessToken, StorageError> add(Rng& rng, const Clock& clock,
                                                      const domain::CompatSessionId& session,
                                                      std::string_view token_hash,
                                                      std::optional<Timestamp> expires_at) override;
  Result<std::optional<domain::CompatAccessToken>, StorageError> lookup(
      const domain::CompatAccessTokenId& id) override;
  Result<std::optional<domain::CompatAccessToken>, StorageError> findByHash(
      std::string_view token_hash) override;
  Result<void, StorageError> markUsed(const domain::CompatAccessTokenId& id, Timestamp at) override;
  Result<bool, StorageError> revoke(const Clock& clock,
                                    const domain::CompatAccessTokenId& id) override;

 private:
  Session& session_;
};

class SqlCompatRefreshTokenRepository final : public CompatRefreshTokenRepository {
 public:
  explicit SqlCompatRefreshTokenRepository(Session& session) : session_(session) {}

  Result<domain::CompatRefreshToken, StorageError> add(
      Rng& rng, const Clock& clock, const domain::CompatSessionId& session,
      std::string_view token_hash, const domain::CompatAccessTokenId& access_token) override;
  Result<std::optional<domain::CompatRefreshToken>, StorageError> lookup(
      const domain::CompatRefreshTokenId& id) override;
  Result<std::optional<domain::CompatRefreshToken>, StorageError> findByHash(
      std::string_view token_hash) override;
  Result<bool, StorageError> consume(const Clock& clock, const domain::CompatRefreshTokenId& id,
                                     const domain::CompatRefreshTokenId& successor) override;
  Result<bool, StorageError> replaceSuccessor(
      const domain::CompatRefreshTokenId& id,
      const domain::CompatRefreshTokenId& expected_successor,
      const domain::CompatRefreshTokenId& new_successor) override;
  Result<bool, StorageError> revoke(const Clock& clock,
                                    const domain::CompatRefreshTokenId& id) override;

 private:
  Session& session_;
};

class SqlCompatSsoLoginRepository final : public CompatSsoLoginRepository {
 public:
  explicit SqlCompatSsoLoginRepository(Session& session) : session_(session) {}

  Result<domain::CompatSsoLogin, StorageError> add(Rng& rng, const Clock& clock,
                                                   std::string_view redirect_uri) override;
  Result<std::optional<domain::CompatSsoLogin>, StorageError> lookup(
      const domain::CompatSsoLoginId& id) override;
  Result<bool, StorageError> fulfil(const Clock& clock, const domain::CompatSsoLoginId& id,
                                    const domain::UserId& user,
                                    const domain::BrowserSessionId& browser_session,
                                    std::string_view login_token_hash) override;
  Result<std::optional<domain::CompatSsoLogin>, StorageError> findByTokenHash(
      std::string_view login_token_hash) override;
  Result<bool, StorageError> exchange(const Clock& clock, const domain::CompatSsoLoginId& id,
                                      const domain::CompatSessionId& session) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
