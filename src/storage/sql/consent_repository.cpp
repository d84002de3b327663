#include "storage/sql/consent_repository.h"

#include <string>
#include <utility>

#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {

Result<OAuthConsent, StorageError> readConsent(const Row& row) {
  RowReader reader(row);
  OAuthConsent consent;
  consent.user_id = domain::UserId(reader.text());
  consent.client_id = domain::ClientId(reader.text());
  consent.scope = reader.text();
  consent.created_at = reader.timestamp();
  consent.updated_at = reader.timestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return consent;
}

Result<std::optional<OAuthConsent>, StorageError> SqlOAuthConsentRepository::lookup(
    const domain::UserId& user, const domain::ClientId& client) {
  static const std::string kSql = sql(
      {"SELECT ", kConsentColumns, " FROM oauth_consents WHERE user_id = $1 AND client_id = $2"});
  return readOptional(session_.queryOptional(kSql, {user, client}), &readConsent);
}

Result<OAuthConsent, StorageError> SqlOAuthConsentRepository::record(const Clock& clock,
                                                                     const domain::UserId& user,
                                                                     const domain::ClientId& client,
                                                                     std::string_view scope) {
  // One statement, so that two consents racing for the same pair both land
  // (the last one wins) instead of one failing on the primary key.
  static const std::string kSql =
      sql({"INSERT INTO oauth_consents (user_id, client_id, scope, created_at, updated_at) "
           "VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, client_id) DO UPDATE SET "
           "scope = excluded.scope, updated_at = excluded.updated_at RETURNING ",
           kConsentColumns});
  auto row = session_.queryOptional(kSql, {user, client, scope, clock.now()});
  auto consent = readOptional(row, &readConsent);
  if (!consent) return unexpected(consent.error());
  if (!*consent) {
    return unexpected(StorageError{StorageErrorCode::Internal, "upsert returned no row"});
  }
  return std::move(**consent);
}

Result<std::vector<OAuthConsent>, StorageError> SqlOAuthConsentRepository::listForUser(
    const domain::UserId& user) {
  static const std::string kSql = sql({"SELECT ", kConsentColumns,
                                       " FROM oauth_consents WHERE user_id = $1 "
                                       "ORDER BY updated_at DESC, client_id"});
  return readAll(session_.query(kSql, {user}), &readConsent);
}

Result<bool, StorageError> SqlOAuthConsentRepository::forget(const domain::UserId& user,
                                                             const domain::ClientId& client) {
  return changedAny(session_.execute(
      "DELETE FROM oauth_consents WHERE user_id = $1 AND client_id = $2", {user, client}));
}

Result<bool, StorageError> SqlOAuthConsentRepository::forgetUnlessInUse(
    const domain::UserId& user, const domain::ClientId& client) {
  return changedAny(session_.execute(
      "DELETE FROM oauth_consents WHERE user_id = $1 AND client_id = $2 AND NOT EXISTS "
      "(SELECT 1 FROM oauth_sessions WHERE oauth_sessions.user_id = $1 "
      "AND oauth_sessions.client_id = $2 AND oauth_sessions.finished_at IS NULL)",
      {user, client}));
}

}  // namespace mxauth::storage::sql
