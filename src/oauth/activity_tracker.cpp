#include "oauth/activity_tracker.h"

#include <utility>

#include "domain/compat.h"
#include "domain/id.h"
#include "domain/oauth.h"

namespace mxauth::oauth {

ActivityTracker::ActivityTracker(storage::Database& database) : database_(database) {}

ActivityTracker::~ActivityTracker() { stop(); }

void ActivityTracker::record(std::string_view session_id, Timestamp at, std::string_view ip,
                             SessionKind kind) {
  std::lock_guard lock(mutex_);
  // A session already pending (the usual case: the homeserver introspects
  // its token on every request) is updated in place, without allocating.
  if (auto it = pending_.find(session_id); it != pending_.end()) {
    Activity& pending = it->second;
    if (pending.at <= at) {
      pending.at = at;
      pending.ip.assign(ip);
      pending.kind = kind;
    }
    return;
  }
  pending_.emplace(std::string(session_id), Activity{at, std::string(ip), kind});
}

Result<std::size_t, storage::StorageError> ActivityTracker::flush() {
  decltype(pending_) batch;
  {
    std::lock_guard lock(mutex_);
    batch.swap(pending_);
  }
  if (batch.empty()) return std::size_t{0};
  auto tx = database_.begin();
  if (!tx) return unexpected(std::move(tx).error());
  for (const auto& [session, activity] : batch) {
    auto recorded = activity.kind == SessionKind::Compat
                        ? (*tx)->compatSessions().recordActivity(domain::CompatSessionId(session),
                                                                 activity.at, activity.ip)
                        : (*tx)->oauthSessions().recordActivity(domain::OAuthSessionId(session),
                                                                activity.at, activity.ip);
    if (!recorded) return unexpected(std::move(recorded).error());
  }
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(std::move(committed).error());
  return batch.size();
}

void ActivityTracker::start(Duration flush_interval) {
  std::lock_guard lock(mutex_);
  if (flusher_.joinable() || stopping_) return;
  flusher_ = std::thread([this, flush_interval] { run(flush_interval); });
}

void ActivityTracker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  (void)flush();
}

std::size_t ActivityTracker::pending() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

void ActivityTracker::run(Duration flush_interval) {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // A timed wait on the steady clock paces the flushes; it is not used to
    // synchronise with anything.
    wake_.wait_for(lock, flush_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    (void)flush();
    lock.lock();
  }
}

}  // namespace mxauth::oauth
