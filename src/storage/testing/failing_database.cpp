#include "storage/testing/failing_database.h"

#include <utility>

namespace mxauth::test {

class CommitFailingDatabase::Tx : public storage::Transaction {
 public:
  Tx(std::unique_ptr<storage::Transaction> inner, CommitFailingDatabase& owner)
      : inner_(std::move(inner)), owner_(owner) {}

  storage::UserRepository& users() override { return inner_->users(); }
  storage::UserEmailRepository& userEmails() override { return inner_->userEmails(); }
  storage::UserPasswordRepository& userPasswords() override { return inner_->userPasswords(); }
  storage::UserEmailCodeRepository& userEmailCodes() override { return inner_->userEmailCodes(); }
  storage::RecoveryTicketRepository& recoveryTickets() override {
    return inner_->recoveryTickets();
  }
  storage::RegistrationTokenRepository& registrationTokens() override {
    return inner_->registrationTokens();
  }
  storage::PendingRegistrationRepository& pendingRegistrations() override {
    return inner_->pendingRegistrations();
  }
  storage::OAuthClientRepository& oauthClients() override { return inner_->oauthClients(); }
  storage::BrowserSessionRepository& browserSessions() override {
    return inner_->browserSessions();
  }
  storage::AuthorizationGrantRepository& authorizationGrants() override {
    return inner_->authorizationGrants();
  }
  storage::OAuthSessionRepository& oauthSessions() override { return inner_->oauthSessions(); }
  storage::AccessTokenRepository& accessTokens() override { return inner_->accessTokens(); }
  storage::RefreshTokenRepository& refreshTokens() override { return inner_->refreshTokens(); }
  storage::OAuthConsentRepository& oauthConsents() override { return inner_->oauthConsents(); }
  storage::DeviceCodeGrantRepository& deviceCodeGrants() override {
    return inner_->deviceCodeGrants();
  }
  storage::ClientAssertionRepository& clientAssertions() override {
    return inner_->clientAssertions();
  }
  storage::CompatSessionRepository& compatSessions() override { return inner_->compatSessions(); }
  storage::CompatAccessTokenRepository& compatAccessTokens() override {
    return inner_->compatAccessTokens();
  }
  storage::CompatRefreshTokenRepository& compatRefreshTokens() override {
    return inner_->compatRefreshTokens();
  }
  storage::CompatSsoLoginRepository& compatSsoLogins() override {
    return inner_->compatSsoLogins();
  }
  storage::DeviceReservationRepository& deviceReservations() override {
    return inner_->deviceReservations();
  }
  storage::JobRepository& jobs() override { return inner_->jobs(); }
  storage::AuditLogRepository& auditLog() override { return inner_->auditLog(); }
  storage::CleanupRepository& cleanup() override { return inner_->cleanup(); }

  Result<void, storage::StorageError> commit() override {
    if (owner_.fail_commits_) {
      ++owner_.refused_commits_;
      inner_.reset();  // rolls back
      return unexpected(
          storage::StorageError{storage::StorageErrorCode::Unavailable, "injected commit failure"});
    }
    return inner_->commit();
  }

 private:
  std::unique_ptr<storage::Transaction> inner_;
  CommitFailingDatabase& owner_;
};

Result<std::unique_ptr<storage::Transaction>, storage::StorageError> CommitFailingDatabase::begin(
    storage::TransactionMode mode) {
  auto tx = inner_.begin(mode);
  if (!tx) return unexpected(std::move(tx).error());
  return std::unique_ptr<storage::Transaction>(std::make_unique<Tx>(std::move(*tx), *this));
}

}  // namespace mxauth::test
