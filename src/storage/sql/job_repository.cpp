#include "storage/sql/job_repository.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kJobColumns =
    "id, kind, payload, created_at, run_at, attempts, last_error, locked_by, locked_until, "
    "finished_at";

Result<domain::Job, StorageError> readJob(const Row& row) {
  RowReader reader(row);
  domain::Job job;
  job.id = domain::JobId(reader.text());
  job.kind = reader.text();
  job.payload = reader.text();
  job.created_at = reader.timestamp();
  job.run_at = reader.timestamp();
  job.attempts = static_cast<int>(reader.integer());
  job.last_error = reader.optionalText();
  job.locked_by = reader.optionalText();
  job.locked_until = reader.optionalTimestamp();
  job.finished_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return job;
}

}  // namespace

Result<domain::Job, StorageError> SqlJobRepository::add(Rng& rng, const Clock& clock,
                                                        std::string_view kind,
                                                        std::string_view payload,
                                                        Timestamp run_at) {
  domain::Job job;
  job.id = domain::JobId(core::newUlid(rng, clock));
  job.kind = std::string(kind);
  job.payload = std::string(payload);
  job.created_at = clock.now();
  job.run_at = run_at;
  auto inserted = session_.execute(
      "INSERT INTO jobs (id, kind, payload, created_at, run_at, attempts) "
      "VALUES ($1, $2, $3, $4, $5, 0)",
      {job.id, job.kind, job.payload, job.created_at, job.run_at});
  if (!inserted) return unexpected(std::move(inserted).error());
  return job;
}

Result<std::optional<domain::Job>, StorageError> SqlJobRepository::lookup(const domain::JobId& id) {
  static const std::string kSql = "SELECT " + std::string(kJobColumns) + " FROM jobs WHERE id = $1";
  auto row = session_.queryOptional(kSql, {id});
  if (!row) return unexpected(std::move(row).error());
  if (!*row) return std::optional<domain::Job>();
  auto job = readJob(**row);
  if (!job) return unexpected(std::move(job).error());
  return std::optional<domain::Job>(std::move(*job));
}

Result<std::vector<domain::Job>, StorageError> SqlJobRepository::claimDue(const Clock& clock,
                                                                          std::string_view worker,
                                                                          Duration lease,
                                                                          std::size_t limit) {
  // The inner SELECT picks due jobs; on PostgreSQL it also locks them and
  // skips the ones another runner is claiming right now. The outer WHERE
  // repeats the lease test, so a job claimed in between is never taken twice.
  static const std::string kDue =
      "SELECT id FROM jobs WHERE finished_at IS NULL AND run_at <= $1 "
      "AND (locked_until IS NULL OR locked_until <= $1) ORDER BY run_at, id LIMIT $4";
  static const std::string kClaim =
      "UPDATE jobs SET locked_by = $2, locked_until = $3 WHERE id IN (" + kDue +
      "{lock}) AND finished_at IS NULL AND (locked_until IS NULL OR locked_until <= $1) "
      "RETURNING " +
      std::string(kJobColumns);
  static const std::string kClaimSkipLocked = [] {
    std::string text = kClaim;
    text.replace(text.find("{lock}"), 6, " FOR UPDATE SKIP LOCKED");
    return text;
  }();
  static const std::string kClaimPlain = [] {
    std::string text = kClaim;
    text.replace(text.find("{lock}"), 6, "");
    return text;
  }();
  const Timestamp now = clock.now();
  auto jobs = readAll(session_.query(skip_locked_ ? kClaimSkipLocked : kClaimPlain,
                                     {now, worker, now + lease, limit}),
                      &readJob);
  if (!jobs) return jobs;
  // RETURNING has no order; hand them out earliest first.
  std::sort(jobs->begin(), jobs->end(), [](const domain::Job& a, const domain::Job& b) {
    return a.run_at != b.run_at ? a.run_at < b.run_at : a.id.str() < b.id.str();
  });
  return jobs;
}

Result<bool, StorageError> SqlJobRepository::complete(const Clock& clock, const domain::JobId& id,
                                                      std::string_view worker) {
  auto changed = session_.execute(
      "UPDATE jobs SET finished_at = $3, locked_by = NULL, locked_until = NULL "
      "WHERE id = $1 AND locked_by = $2 AND finished_at IS NULL",
      {id, worker, clock.now()});
  return changedAny(changed);
}

Result<bool, StorageError> SqlJobRepository::retryAt(const domain::JobId& id,
                                                     std::string_view worker,
                                                     std::string_view error, Timestamp run_at) {
  auto changed = session_.execute(
      "UPDATE jobs SET attempts = attempts + 1, last_error = $3, run_at = $4, locked_by = NULL, "
      "locked_until = NULL WHERE id = $1 AND locked_by = $2 AND finished_at IS NULL",
      {id, worker, error, run_at});
  return changedAny(changed);
}

Result<std::optional<Timestamp>, StorageError> SqlJobRepository::lastAddedAt(
    std::string_view kind) {
  auto row = session_.queryOptional("SELECT MAX(created_at) FROM jobs WHERE kind = $1", {kind});
  if (!row) return unexpected(std::move(row).error());
  if (!*row) return std::optional<Timestamp>();
  RowReader reader(**row);
  std::optional<Timestamp> last = reader.optionalTimestamp();
  if (auto failure = reader.error()) return unexpected(std::move(*failure));
  return last;
}

Result<std::int64_t, StorageError> SqlJobRepository::countUnfinished() {
  auto row = session_.queryOptional("SELECT COUNT(*) FROM jobs WHERE finished_at IS NULL", {});
  if (!row) return unexpected(std::move(row).error());
  if (!*row) return std::int64_t{0};
  RowReader reader(**row);
  const std::int64_t count = reader.integer();
  if (auto failure = reader.error()) return unexpected(std::move(*failure));
  return count;
}

}  // namespace mxauth::storage::sql
