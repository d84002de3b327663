#pragma once

// Runs the durable job queue (storage/job_repository.h): a thread that
// claims due jobs, runs the handler registered for their kind outside any
// transaction, and records the outcome. A failed job is retried with
// exponential backoff (5 s, 10 s, 20 s, … capped at an hour) for as long as
// it keeps failing: what it does must happen eventually (a device the
// homeserver must forget). A runner that dies leaves its jobs leased; the
// lease expires and another runner, or this one after a restart, takes
// them again, so handlers must be idempotent.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/job.h"
#include "storage/database.h"

namespace mxauth::jobs {

// What a handler reports: nothing on success, otherwise why (kept on the
// job as last_error and logged) and the job is retried later.
using JobHandler = std::function<Result<void, std::string>(const domain::Job& job)>;

// Periodic work of the runner (see JobRunner::every); a failure is logged
// and the task is tried again after min_backoff.
using PeriodicTask = std::function<Result<void, std::string>()>;

struct JobRunnerOptions {
  // Names this runner in the jobs' locked_by (host and pid in production).
  std::string worker_id = "mxauth";
  Duration poll_interval = std::chrono::seconds(1);
  // How long a claimed job stays ours; longer than any handler runs.
  Duration lease = std::chrono::minutes(5);
  std::size_t batch_size = 16;
  Duration min_backoff = std::chrono::seconds(5);
  Duration max_backoff = std::chrono::hours(1);
  // Warnings for operators (a failed attempt, the database unavailable).
  std::function<void(std::string_view message)> log;
};

struct JobRunnerStats {
  std::uint64_t completed = 0;
  std::uint64_t failed_attempts = 0;
  std::int64_t unfinished = 0;  // at the last poll
};

// min_backoff × 2^attempts, capped at max_backoff.
Duration backoffAfter(int attempts, Duration min_backoff, Duration max_backoff);

class JobRunner {
 public:
  JobRunner(storage::Database& database, const Clock& clock, JobRunnerOptions options);
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Before start(). A job of a kind without a handler is retried later (a
  // newer instance sharing the database may know it).
  void handle(std::string kind, JobHandler handler);

  // Before start(). Runs `task` at the first poll and then whenever
  // `interval` has passed since it last succeeded (per runner: a task that
  // must happen once per deployment checks the database itself, as
  // scheduleDeviceReconciliation() does).
  void every(Duration interval, std::string name, PeriodicTask task);

  // Runs the periodic tasks that are due, then claims the due jobs once and
  // runs them; returns how many jobs ran. Tests drive the queue with this
  // instead of the thread.
  Result<std::size_t, storage::StorageError> runDueJobs();

  void start();
  // Runs a poll now rather than at the next interval (after enqueueing).
  void wake();
  // Stops the thread once the batch in progress is done.
  void stop();

  JobRunnerStats stats() const;

 private:
  void loop();
  void finish(const domain::Job& job, const Result<void, std::string>& outcome);

  storage::Database& database_;
  const Clock& clock_;
  JobRunnerOptions options_;
  std::map<std::string, JobHandler, std::less<>> handlers_;
  struct Periodic {
    Duration interval;
    std::string name;
    PeriodicTask task;
    std::optional<Timestamp> next_run;  // empty: at the first poll
  };
  std::vector<Periodic> periodic_;  // touched only by the polling thread

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;

  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> failed_attempts_{0};
  std::atomic<std::int64_t> unfinished_{0};
};

}  // namespace mxauth::jobs
