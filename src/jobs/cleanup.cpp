#include "jobs/cleanup.h"

#include <cstddef>
#include <utility>

namespace mxauth::jobs {
namespace {

std::string describe(storage::CleanupTarget target, const storage::StorageError& error) {
  return std::string(storage::tableName(target)) + ": " + std::string(toString(error.code)) + ": " +
         error.detail;
}

}  // namespace

std::int64_t CleanupReport::total() const {
  std::int64_t sum = 0;
  for (std::int64_t count : deleted) sum += count;
  return sum;
}

CleanupReport runCleanup(storage::Database& database, const Clock& clock,
                         const CleanupOptions& options, CleanupCursors& cursors) {
  CleanupReport report;
  const Timestamp now = clock.now();
  const storage::CleanupHorizon horizon{
      .now = now,
      .cutoff = now - options.retention,
      .browser_session_lifetime = domain::kBrowserSessionLifetime};
  for (std::size_t i = 0; i < storage::kCleanupOrder.size(); ++i) {
    const storage::CleanupTarget target = storage::kCleanupOrder[i];
    std::optional<std::string>& after = cursors[i];
    bool finished = false;
    for (int batches = 0; batches < options.max_batches && !finished; ++batches) {
      auto tx = database.begin(storage::TransactionMode::ReadWrite);
      if (!tx) {
        report.error = describe(target, tx.error());
        return report;
      }
      auto batch = (*tx)->cleanup().deleteBatch(target, horizon, options.batch_size, after);
      if (!batch) {
        report.error = describe(target, batch.error());
        return report;
      }
      auto committed = (*tx)->commit();
      if (!committed) {
        report.error = describe(target, committed.error());
        return report;
      }
      report.deleted[i] += batch->deleted;
      finished = !batch->resume_after;
      after = std::move(batch->resume_after);
    }
    if (!finished) report.capped = true;
  }
  return report;
}

void scheduleCleanup(JobRunner& runner, storage::Database& database, const Clock& clock,
                     Duration interval, CleanupOptions options,
                     std::function<void(const CleanupReport&)> on_run) {
  runner.every(interval, "cleanup",
               [&database, &clock, options, on_run = std::move(on_run),
                cursors = CleanupCursors{}]() mutable -> Result<void, std::string> {
                 CleanupReport report = runCleanup(database, clock, options, cursors);
                 if (on_run) on_run(report);
                 if (report.error) return unexpected(*report.error);
                 return {};
               });
}

}  // namespace mxauth::jobs
