#pragma once

#include "core/result.h"
#include "storage/audit_log_repository.h"
#include "storage/cleanup_repository.h"
#include "storage/client_assertion_repository.h"
#include "storage/compat_repositories.h"
#include "storage/consent_repository.h"
#include "storage/device_code_grant_repository.h"
#include "storage/device_reservation_repository.h"
#include "storage/job_repository.h"
#include "storage/oauth_repositories.h"
#include "storage/pending_registration_repository.h"
#include "storage/recovery_ticket_repository.h"
#include "storage/registration_token_repository.h"
#include "storage/storage_error.h"
#include "storage/user_email_code_repository.h"
#include "storage/user_email_repository.h"
#include "storage/user_password_repository.h"
#include "storage/user_repository.h"

namespace mxauth::storage {

// One unit of work on one database connection. Changes become visible to
// others only on commit(); destroying a Transaction that was not committed
// rolls it back, so an early return never leaves a half-written record.
//
// After any call has failed, the transaction is spoiled on every backend:
// later calls fail with Internal and commit() fails, so a caller cannot
// commit part of what it meant to write. (PostgreSQL behaves this way by
// itself; the SQLite backend is made to match.)
//
// A Transaction is used by one thread at a time and must not outlive the
// Database that began it. Repository references are valid until it is
// destroyed.
class Transaction {
 public:
  virtual ~Transaction() = default;

  virtual UserRepository& users() = 0;
  virtual UserEmailRepository& userEmails() = 0;
  virtual UserPasswordRepository& userPasswords() = 0;
  virtual UserEmailCodeRepository& userEmailCodes() = 0;
  virtual RecoveryTicketRepository& recoveryTickets() = 0;
  virtual RegistrationTokenRepository& registrationTokens() = 0;
  virtual PendingRegistrationRepository& pendingRegistrations() = 0;

  virtual OAuthClientRepository& oauthClients() = 0;
  virtual BrowserSessionRepository& browserSessions() = 0;
  virtual AuthorizationGrantRepository& authorizationGrants() = 0;
  virtual OAuthSessionRepository& oauthSessions() = 0;
  virtual AccessTokenRepository& accessTokens() = 0;
  virtual RefreshTokenRepository& refreshTokens() = 0;
  virtual ClientAssertionRepository& clientAssertions() = 0;
  virtual OAuthConsentRepository& oauthConsents() = 0;

  virtual DeviceCodeGrantRepository& deviceCodeGrants() = 0;

  virtual CompatSessionRepository& compatSessions() = 0;
  virtual CompatAccessTokenRepository& compatAccessTokens() = 0;
  virtual CompatRefreshTokenRepository& compatRefreshTokens() = 0;
  virtual CompatSsoLoginRepository& compatSsoLogins() = 0;

  virtual DeviceReservationRepository& deviceReservations() = 0;
  virtual JobRepository& jobs() = 0;
  virtual AuditLogRepository& auditLog() = 0;
  virtual CleanupRepository& cleanup() = 0;

  // Commits. Afterwards the transaction cannot be used; on failure nothing
  // was written.
  virtual Result<void, StorageError> commit() = 0;
};

}  // namespace mxauth::storage
