#pragma once

// PendingRegistrationRepository (storage/pending_registration_repository.h)
// in SQL that both backends run.

#include "storage/pending_registration_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

class SqlPendingRegistrationRepository final : public PendingRegistrationRepository {
 public:
  explicit SqlPendingRegistrationRepository(Session& session) : session_(session) {}

  Result<PendingRegistration, StorageError> add(Rng& rng, const Clock& clock,
                                                const NewPendingRegistration& pending) override;
  Result<std::optional<PendingRegistration>, StorageError> findByBrowserHash(
      std::string_view browser_hash) override;
  Result<bool, StorageError> replaceCode(const domain::PendingRegistrationId& id,
                                         std::string_view code_hash, Timestamp expires_at,
                                         int attempts_left) override;
  Result<bool, StorageError> recordAttempt(const Clock& clock,
                                           const domain::PendingRegistrationId& id) override;
  Result<bool, StorageError> consume(const Clock& clock,
                                     const domain::PendingRegistrationId& id) override;
  Result<bool, StorageError> remove(const domain::PendingRegistrationId& id) override;
  Result<void, StorageError> recordCodeSent(const Clock& clock, std::string_view email,
                                            Timestamp forget_before) override;
  Result<std::int64_t, StorageError> countCodesSince(std::string_view email,
                                                     Timestamp since) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
