#include "http/connection_slots.h"

#include <algorithm>
#include <limits>

namespace mxauth::http {

ConnectionSlots::ConnectionSlots(std::size_t limit)
    : limit_(std::max<std::size_t>(1, limit)),
      capacity_(limit_ + kShedHeadroom),
      states_(std::make_unique<std::atomic<Ticks>[]>(capacity_)) {
  free_.reserve(capacity_);
  // Lowest slots first, so that a small table stays dense.
  for (std::size_t slot = capacity_; slot > 0; --slot) {
    states_[slot - 1].store(kFree, std::memory_order_relaxed);
    free_.push_back(slot - 1);
  }
}

ConnectionSlots::Admission ConnectionSlots::admit(Ticks now) {
  Admission admission;
  if (live_ >= limit_) {
    admission.shed = shedLongestWaiting();
    if (!admission.shed) return admission;
    --live_;
  }
  // Out of headroom: too many shed connections have not closed yet.
  if (free_.empty()) return admission;
  const std::size_t slot = free_.back();
  free_.pop_back();
  states_[slot].store(std::max<Ticks>(0, now), std::memory_order_release);
  ++live_;
  admission.slot = slot;
  return admission;
}

std::optional<std::size_t> ConnectionSlots::shedOne() {
  std::optional<std::size_t> shed = shedLongestWaiting();
  if (shed) --live_;
  return shed;
}

void ConnectionSlots::release(std::size_t slot) {
  const Ticks previous = states_[slot].exchange(kFree, std::memory_order_acq_rel);
  if (previous == kFree) return;  // released twice: keep the count right
  if (previous != kShed) --live_;
  free_.push_back(slot);
}

bool ConnectionSlots::markWaiting(std::size_t slot, Ticks since) {
  Ticks current = states_[slot].load(std::memory_order_acquire);
  for (;;) {
    if (current == kShed || current == kFree) return false;
    if (states_[slot].compare_exchange_weak(current, std::max<Ticks>(0, since),
                                            std::memory_order_acq_rel)) {
      return true;
    }
  }
}

bool ConnectionSlots::markBusy(std::size_t slot) {
  Ticks current = states_[slot].load(std::memory_order_acquire);
  for (;;) {
    if (current == kShed || current == kFree) return false;
    if (states_[slot].compare_exchange_weak(current, kBusy, std::memory_order_acq_rel)) {
      return true;
    }
  }
}

std::optional<std::size_t> ConnectionSlots::shedLongestWaiting() {
  // One pass over a contiguous array of words (80 KB for 10,000 slots): a
  // few microseconds, and only when the table is full. A candidate that
  // turns busy between the pass and the exchange is passed over by
  // scanning again, a few times at most.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::optional<std::size_t> oldest;
    Ticks oldest_since = std::numeric_limits<Ticks>::max();
    for (std::size_t slot = 0; slot < capacity_; ++slot) {
      const Ticks state = states_[slot].load(std::memory_order_relaxed);
      if (state >= 0 && state < oldest_since) {
        oldest = slot;
        oldest_since = state;
      }
    }
    if (!oldest) return std::nullopt;
    Ticks expected = oldest_since;
    if (states_[*oldest].compare_exchange_strong(expected, kShed, std::memory_order_acq_rel)) {
      return oldest;
    }
  }
  return std::nullopt;
}

std::size_t connectionCapacity(std::size_t requested, std::uint64_t open_file_limit,
                               std::size_t reserved) {
  const std::uint64_t needed =
      static_cast<std::uint64_t>(reserved) + ConnectionSlots::kShedHeadroom + 1;
  if (open_file_limit < needed) return 1;
  return static_cast<std::size_t>(std::min<std::uint64_t>(requested, open_file_limit - needed + 1));
}

}  // namespace mxauth::http
