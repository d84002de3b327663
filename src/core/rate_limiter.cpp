#include "core/rate_limiter.h"

#include <algorithm>

namespace mxauth::core {
namespace {

// When the table is full, a new key may trigger a sweep, but not more often
// than this: a stream of new keys must not make every call walk the table.
constexpr Duration kFullSweepSpacing = std::chrono::seconds(1);

bool sweepDue(Timestamp now, Timestamp last_sweep, Duration spacing) {
  return now < last_sweep || now - last_sweep >= spacing;
}

}  // namespace

RateLimiter::RateLimiter(const Clock& clock, RateLimiterOptions options)
    : clock_(clock),
      options_(options),
      capacity_(options_.limit.interval * static_cast<std::int64_t>(options_.limit.burst)) {}

RateDecision RateLimiter::tryAcquire(std::string_view key) {
  if (!enabled()) return RateDecision::allow();
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  if (sweepDue(now, last_sweep_, options_.sweep_interval)) sweep(now);
  Timestamp& tat = slotFor(key, now);
  // The bucket is full when tat <= now; a tat beyond now + capacity can only
  // come from a clock that stepped back, and is pulled in.
  const Timestamp base = std::min(std::max(tat, now), now + capacity_);
  const Timestamp next = base + options_.limit.interval;
  if (next - now > capacity_) {
    tat = base;
    return RateDecision::refuse(next - now - capacity_);
  }
  tat = next;
  return RateDecision::allow();
}

void RateLimiter::refund(std::string_view key) {
  if (!enabled()) return;
  const Timestamp now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto found = table_.find(key.substr(0, options_.max_key_bytes));
  if (found == table_.end()) {
    // Not tracked: either swept (its bucket is full already) or counted in
    // the overflow bucket while the table was full.
    if (table_.size() >= options_.max_keys) overflow_ -= options_.limit.interval;
    return;
  }
  found->second -= options_.limit.interval;
  if (found->second <= now) table_.erase(found);
}

std::size_t RateLimiter::trackedKeys() const {
  std::lock_guard lock(mutex_);
  return table_.size();
}

void RateLimiter::sweep(Timestamp now) {
  std::erase_if(table_, [now](const auto& entry) { return entry.second <= now; });
  last_sweep_ = now;
}

Timestamp& RateLimiter::slotFor(std::string_view key, Timestamp now) {
  const std::string_view cut = key.substr(0, options_.max_key_bytes);
  const auto found = table_.find(cut);
  if (found != table_.end()) return found->second;
  if (table_.size() >= options_.max_keys) {
    if (sweepDue(now, last_sweep_, kFullSweepSpacing)) sweep(now);
    if (table_.size() >= options_.max_keys) return overflow_;
  }
  return table_.emplace(std::string(cut), now).first->second;
}

}  // namespace mxauth::core
