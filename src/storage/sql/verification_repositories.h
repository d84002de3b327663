#pragma once

// UserEmailCodeRepository, RecoveryTicketRepository and
// RegistrationTokenRepository (storage/user_email_code_repository.h,
// storage/recovery_ticket_repository.h,
// storage/registration_token_repository.h) in SQL that both backends run.

#include "storage/recovery_ticket_repository.h"
#include "storage/registration_token_repository.h"
#include "storage/sql/session.h"
#include "storage/user_email_code_repository.h"

namespace mxauth::storage::sql {

class SqlUserEmailCodeRepository final : public UserEmailCodeRepository {
 public:
  explicit SqlUserEmailCodeRepository(Session& session) : session_(session) {}

  Result<UserEmailCode, StorageError> add(Rng& rng, const Clock& clock,
                                          const domain::UserEmailId& email,
                                          std::string_view code_hash,
                                          Timestamp expires_at) override;
  Result<std::optional<UserEmailCode>, StorageError> latestPending(
      const Clock& clock, const domain::UserEmailId& email) override;
  Result<std::int64_t, StorageError> countForUserSince(const domain::UserId& user,
                                                       Timestamp since) override;
  Result<bool, StorageError> recordAttempt(const domain::UserEmailCodeId& id,
                                           int max_attempts) override;
  Result<bool, StorageError> consume(const Clock& clock,
                                     const domain::UserEmailCodeId& id) override;

 private:
  Session& session_;
};

class SqlRecoveryTicketRepository final : public RecoveryTicketRepository {
 public:
  explicit SqlRecoveryTicketRepository(Session& session) : session_(session) {}

  Result<RecoveryTicket, StorageError> add(Rng& rng, const Clock& clock, const domain::UserId& user,
                                           const domain::UserEmailId& email,
                                           std::string_view token_hash,
                                           Timestamp expires_at) override;
  Result<std::optional<RecoveryTicket>, StorageError> findByTokenHash(
      std::string_view token_hash) override;
  Result<bool, StorageError> consume(const Clock& clock,
                                     const domain::RecoveryTicketId& id) override;
  Result<std::int64_t, StorageError> consumeAllForUser(const Clock& clock,
                                                       const domain::UserId& user) override;

 private:
  Session& session_;
};

class SqlRegistrationTokenRepository final : public RegistrationTokenRepository {
 public:
  explicit SqlRegistrationTokenRepository(Session& session) : session_(session) {}

  Result<RegistrationToken, StorageError> add(Rng& rng, const Clock& clock,
                                              std::string_view token_hash,
                                              std::optional<std::int64_t> usage_limit,
                                              std::optional<Timestamp> expires_at) override;
  Result<std::optional<RegistrationToken>, StorageError> use(const Clock& clock,
                                                             std::string_view token_hash) override;
  Result<std::optional<RegistrationToken>, StorageError> findByHash(
      std::string_view token_hash) override;
  Result<std::vector<RegistrationToken>, StorageError> list() override;
  Result<bool, StorageError> revoke(const Clock& clock,
                                    const domain::RegistrationTokenId& id) override;
  Result<void, StorageError> acceptTerms(const Clock& clock, const domain::UserId& user,
                                         std::string_view terms_uri) override;
  Result<std::vector<UserTermsAcceptance>, StorageError> termsOf(
      const domain::UserId& user) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
