#pragma once

// A unit of deferred work in the durable job queue (storage/job_repository.h):
// something that must happen after a state change but need not hold up the
// request that caused it, such as telling the homeserver that a device is
// gone. Enqueued in the same transaction as that change, so it is never
// lost; run by jobs::JobRunner, retried with backoff until it succeeds.

#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/id.h"

namespace mxauth::domain {

using JobId = Id<struct JobIdTag>;

struct Job {
  JobId id;
  std::string kind;     // names the handler, e.g. "homeserver.sync_devices"
  std::string payload;  // JSON, read by the handler
  Timestamp created_at;
  Timestamp run_at;  // not before
  int attempts = 0;  // failed attempts so far
  std::optional<std::string> last_error;
  // The runner holding the job, and until when; an expired lease (a runner
  // that died) lets another runner take the job.
  std::optional<std::string> locked_by;
  std::optional<Timestamp> locked_until;
  std::optional<Timestamp> finished_at;

  bool isFinished() const { return finished_at.has_value(); }
  friend bool operator==(const Job&, const Job&) = default;
};

}  // namespace mxauth::domain
