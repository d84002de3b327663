#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/job.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

// The durable job queue (domain/job.h). Several runners, in one process or
// several sharing a PostgreSQL database, may claim at once: each job is
// leased to one of them at a time (PostgreSQL: FOR UPDATE SKIP LOCKED, so
// runners do not queue behind each other; SQLite: a single writer).
class JobRepository {
 public:
  virtual ~JobRepository() = default;

  virtual Result<domain::Job, StorageError> add(Rng& rng, const Clock& clock, std::string_view kind,
                                                std::string_view payload, Timestamp run_at) = 0;

  virtual Result<std::optional<domain::Job>, StorageError> lookup(const domain::JobId& id) = 0;

  // Leases up to `limit` due jobs (unfinished, run_at <= now, no lease or an
  // expired one) to `worker` until now + `lease`, earliest run_at first.
  virtual Result<std::vector<domain::Job>, StorageError> claimDue(const Clock& clock,
                                                                  std::string_view worker,
                                                                  Duration lease,
                                                                  std::size_t limit) = 0;

  // Finishes a job `worker` holds; false when it no longer holds it.
  virtual Result<bool, StorageError> complete(const Clock& clock, const domain::JobId& id,
                                              std::string_view worker) = 0;

  // Counts a failed attempt of a job `worker` holds, keeps `error`, frees
  // the lease and makes the job due again at `run_at`; false when `worker`
  // no longer holds it.
  virtual Result<bool, StorageError> retryAt(const domain::JobId& id, std::string_view worker,
                                             std::string_view error, Timestamp run_at) = 0;

  // When the newest job of `kind` was added (finished or not); empty when
  // there is none. For periodic work: "has anyone scheduled it lately?"
  virtual Result<std::optional<Timestamp>, StorageError> lastAddedAt(std::string_view kind) = 0;

  // Jobs not finished yet (for /metrics).
  virtual Result<std::int64_t, StorageError> countUnfinished() = 0;
};

}  // namespace mxauth::storage
