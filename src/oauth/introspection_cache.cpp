#include "oauth/introspection_cache.h"

#include <algorithm>
#include <utility>

namespace mxauth::oauth {

IntrospectionCache::IntrospectionCache(std::size_t capacity, Duration max_staleness)
    : capacity_(std::max<std::size_t>(capacity, 1)), max_staleness_(max_staleness) {}

std::shared_ptr<const IntrospectionRecord> IntrospectionCache::find(std::string_view token_hash,
                                                                    Timestamp now) {
  std::lock_guard lock(mutex_);
  auto found = by_hash_.find(token_hash);
  if (found == by_hash_.end()) return nullptr;
  auto it = found->second;
  if (now >= it->valid_until) {
    eraseLocked(it);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, it);
  return it->record;
}

std::uint64_t IntrospectionCache::invalidations() const {
  std::lock_guard lock(mutex_);
  return invalidations_;
}

void IntrospectionCache::insert(std::string token_hash, IntrospectionRecord record, Timestamp now,
                                std::uint64_t seen_invalidations) {
  Timestamp valid_until = std::min(record.expires_at, now + max_staleness_);
  if (now >= valid_until) return;
  std::lock_guard lock(mutex_);
  if (invalidations_ != seen_invalidations) return;
  if (auto found = by_hash_.find(token_hash); found != by_hash_.end()) eraseLocked(found->second);
  while (entries_.size() >= capacity_) eraseLocked(std::prev(entries_.end()));
  std::string session = record.session_id;
  entries_.push_front(Entry{
      token_hash, std::make_shared<const IntrospectionRecord>(std::move(record)), valid_until});
  by_session_[session].push_back(token_hash);
  by_hash_.emplace(std::move(token_hash), entries_.begin());
}

void IntrospectionCache::invalidateToken(std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  ++invalidations_;
  auto found = by_hash_.find(token_hash);
  if (found != by_hash_.end()) eraseLocked(found->second);
}

void IntrospectionCache::invalidateSession(std::string_view session_id) {
  std::lock_guard lock(mutex_);
  ++invalidations_;
  auto found = by_session_.find(session_id);
  if (found == by_session_.end()) return;
  std::vector<std::string> hashes = std::move(found->second);
  by_session_.erase(found);
  for (const std::string& hash : hashes) {
    auto entry = by_hash_.find(hash);
    if (entry == by_hash_.end()) continue;
    auto it = entry->second;
    by_hash_.erase(entry);
    entries_.erase(it);
  }
}

void IntrospectionCache::clear() {
  std::lock_guard lock(mutex_);
  ++invalidations_;
  entries_.clear();
  by_hash_.clear();
  by_session_.clear();
}

std::size_t IntrospectionCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void IntrospectionCache::eraseLocked(List::iterator it) {
  auto session = by_session_.find(it->record->session_id);
  if (session != by_session_.end()) {
    std::vector<std::string>& hashes = session->second;
    hashes.erase(std::remove(hashes.begin(), hashes.end(), it->token_hash), hashes.end());
    if (hashes.empty()) by_session_.erase(session);
  }
  by_hash_.erase(it->token_hash);
  entries_.erase(it);
}

void applyInvalidation(IntrospectionCache& cache, const storage::Invalidation& change) {
  switch (change.kind) {
    case storage::Invalidation::Kind::Token:
      cache.invalidateToken(change.id);
      return;
    case storage::Invalidation::Kind::Session:
      cache.invalidateSession(change.id);
      return;
    case storage::Invalidation::Kind::User:
    case storage::Invalidation::Kind::Everything:
      cache.clear();
      return;
  }
}

}  // namespace mxauth::oauth
