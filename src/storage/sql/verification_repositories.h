#pragma once

// UserEmailCodeRepository and RecoveryTicketRepository
// (storage/user_email_code_repository.h, storage/recovery_ticket_repository.h)
// in SQL that both backends run.

#include "storage/recovery_ticket_repository.h"
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

}  // namespace mxauth::storage::sql
