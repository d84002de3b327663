#pragma once

// The periodic cleanup of dead rows (storage/cleanup_repository.h says
// exactly which): expired and revoked tokens, finished sessions (OAuth,
// legacy and browser), dead authorization flows and finished jobs, once
// they have been dead for the retention
// (tokens.retention). A run takes every target in order, one batch per
// transaction, until the target's pass reaches the end of the table or has
// had max_batches in this run; the next run then goes on where it stopped
// (CleanupCursors), so that a backlog (the first run on a large database)
// is worked off over several runs without holding the database for long.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/clock.h"
#include "jobs/job_runner.h"
#include "storage/cleanup_repository.h"
#include "storage/database.h"

namespace mxauth::jobs {

struct CleanupOptions {
  // How long a row stays after it died (expired, was revoked, consumed,
  // finished): a grace period for the clients, the audit of a session
  // that just ended, and clock differences between instances.
  Duration retention = std::chrono::hours(24 * 7);
  std::int64_t batch_size = 1000;
  // Batches per target per run.
  int max_batches = 100;
};

struct CleanupReport {
  // Rows deleted per target, in storage::kCleanupOrder.
  std::array<std::int64_t, storage::kCleanupOrder.size()> deleted{};
  // Some target reached max_batches: the next run goes on.
  bool capped = false;
  // The run stopped at a storage error; `deleted` is what it did before.
  std::optional<std::string> error;

  std::int64_t total() const;
};

// Per target, where the pass stopped at max_batches: the next run goes on
// from there. Empty: from the start of the table.
using CleanupCursors = std::array<std::optional<std::string>, storage::kCleanupOrder.size()>;

// One run at the clock's now.
CleanupReport runCleanup(storage::Database& database, const Clock& clock,
                         const CleanupOptions& options, CleanupCursors& cursors);

// Runs runCleanup() on the runner every `interval`; `on_run` is given each
// run's report (logs, metrics). A run that failed is retried after the
// runner's backoff.
void scheduleCleanup(JobRunner& runner, storage::Database& database, const Clock& clock,
                     Duration interval, CleanupOptions options,
                     std::function<void(const CleanupReport&)> on_run);

}  // namespace mxauth::jobs
