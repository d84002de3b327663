#pragma once

#include "storage/job_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

class SqlJobRepository final : public JobRepository {
 public:
  // `skip_locked`: the backend can skip rows other transactions locked
  // (PostgreSQL); SQLite has one writer at a time and needs no lock.
  SqlJobRepository(Session& session, bool skip_locked)
      : session_(session), skip_locked_(skip_locked) {}

  Result<domain::Job, StorageError> add(Rng& rng, const Clock& clock, std::string_view kind,
                                        std::string_view payload, Timestamp run_at) override;
  Result<std::optional<domain::Job>, StorageError> lookup(const domain::JobId& id) override;
  Result<std::vector<domain::Job>, StorageError> claimDue(const Clock& clock,
                                                          std::string_view worker, Duration lease,
                                                          std::size_t limit) override;
  Result<bool, StorageError> complete(const Clock& clock, const domain::JobId& id,
                                      std::string_view worker) override;
  Result<bool, StorageError> retryAt(const domain::JobId& id, std::string_view worker,
                                     std::string_view error, Timestamp run_at) override;
  Result<std::optional<Timestamp>, StorageError> lastAddedAt(std::string_view kind) override;
  Result<std::int64_t, StorageError> countUnfinished() override;

 private:
  Session& session_;
  bool skip_locked_;
};

}  // namespace mxauth::storage::sql
