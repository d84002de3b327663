#include "jobs/job_runner.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mxauth::jobs {

Duration backoffAfter(int attempts, Duration min_backoff, Duration max_backoff) {
  Duration delay = min_backoff;
  for (int i = 0; i < attempts && delay < max_backoff; ++i) delay *= 2;
  return std::min(delay, max_backoff);
}

JobRunner::JobRunner(storage::Database& database, const Clock& clock, JobRunnerOptions options)
    : database_(database), clock_(clock), options_(std::move(options)) {}

JobRunner::~JobRunner() { stop(); }

void JobRunner::handle(std::string kind, JobHandler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

void JobRunner::every(Duration interval, std::string name, PeriodicTask task) {
  periodic_.push_back(Periodic{interval, std::move(name), std::move(task), std::nullopt});
}

Result<std::size_t, storage::StorageError> JobRunner::runDueJobs() {
  for (Periodic& periodic : periodic_) {
    const Timestamp now = clock_.now();
    if (periodic.next_run && now < *periodic.next_run) continue;
    auto ran = periodic.task();
    if (ran) {
      periodic.next_run = now + periodic.interval;
    } else {
      periodic.next_run = now + options_.min_backoff;
      if (options_.log) options_.log(periodic.name + ": " + ran.error());
    }
  }
  std::vector<domain::Job> claimed;
  {
    auto tx = database_.begin();
    if (!tx) return unexpected(std::move(tx).error());
    auto due =
        (*tx)->jobs().claimDue(clock_, options_.worker_id, options_.lease, options_.batch_size);
    if (!due) return unexpected(std::move(due).error());
    auto committed = (*tx)->commit();
    if (!committed) return unexpected(std::move(committed).error());
    claimed = std::move(*due);
  }
  for (const domain::Job& job : claimed) {
    auto handler = handlers_.find(job.kind);
    if (handler == handlers_.end()) {
      finish(job, unexpected(std::string("no handler for this kind of job")));
    } else {
      finish(job, handler->second(job));
    }
  }
  auto tx = database_.begin(storage::TransactionMode::ReadOnly);
  if (tx) {
    if (auto count = (*tx)->jobs().countUnfinished()) unfinished_ = *count;
  }
  return claimed.size();
}

void JobRunner::finish(const domain::Job& job, const Result<void, std::string>& outcome) {
  auto tx = database_.begin();
  if (!tx) {
    // The lease runs out and the job is tried again.
    if (options_.log) options_.log("job " + job.id.str() + ": " + tx.error().detail);
    return;
  }
  if (outcome) {
    auto completed = (*tx)->jobs().complete(clock_, job.id, options_.worker_id);
    if (completed && (*tx)->commit()) ++completed_;
    return;
  }
  ++failed_attempts_;
  const Timestamp retry_at =
      clock_.now() + backoffAfter(job.attempts, options_.min_backoff, options_.max_backoff);
  if (options_.log) {
    options_.log("job " + job.id.str() + " (" + job.kind + ") attempt " +
                 std::to_string(job.attempts + 1) + " failed: " + outcome.error());
  }
  auto retried = (*tx)->jobs().retryAt(job.id, options_.worker_id, outcome.error(), retry_at);
  if (retried) static_cast<void>((*tx)->commit());
}

void JobRunner::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void JobRunner::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wakeup_.notify_one();
}

void JobRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeup_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
    }
    auto ran = runDueJobs();
    if (!ran && options_.log) options_.log("job queue: " + ran.error().detail);
    std::unique_lock lock(mutex_);
    // A full batch means more may be due: poll again at once.
    if (ran && *ran == options_.batch_size) continue;
    wakeup_.wait_for(lock, options_.poll_interval, [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

JobRunnerStats JobRunner::stats() const {
  return JobRunnerStats{completed_.load(), failed_attempts_.load(), unfinished_.load()};
}

}  // namespace mxauth::jobs
