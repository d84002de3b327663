#pragma once

// OAuthConsentRepository (storage/consent_repository.h) in SQL that both
// backends run.

#include "storage/consent_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

// A consent's columns, for other repositories' joins, and their reader.
inline constexpr std::string_view kConsentColumns =
    "user_id, client_id, scope, created_at, updated_at";
Result<OAuthConsent, StorageError> readConsent(const Row& row);

class SqlOAuthConsentRepository final : public OAuthConsentRepository {
 public:
  explicit SqlOAuthConsentRepository(Session& session) : session_(session) {}

  Result<std::optional<OAuthConsent>, StorageError> lookup(const domain::UserId& user,
                                                           const domain::ClientId& client) override;
  Result<OAuthConsent, StorageError> record(const Clock& clock, const domain::UserId& user,
                                            const domain::ClientId& client,
                                            std::string_view scope) override;
  Result<std::vector<OAuthConsent>, StorageError> listForUser(const domain::UserId& user) override;
  Result<bool, StorageError> forget(const domain::UserId& user,
                                    const domain::ClientId& client) override;
  Result<bool, StorageError> forgetUnlessInUse(const domain::UserId& user,
                                               const domain::ClientId& client) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
