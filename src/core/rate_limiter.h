#pragma once

// A rate limiter with one bucket per string key (a client address, an
// account), for limits such as "10 attempts at once, then one every 3 s".
//
// The algorithm is GCRA (the generic cell rate algorithm, ITU-T I.371),
// which answers exactly like a token bucket holding `burst` tokens and
// gaining one every `interval`, but stores one timestamp per key: the
// theoretical arrival time (TAT) at which the bucket will be full again. A
// key whose TAT has passed is indistinguishable from a key never seen, so
// dropping it loses nothing.
//
// Contract:
//  - tryAcquire() takes one token: allowed, or refused with the time after
//    which the same call would be allowed (never zero when refused). A
//    refused call takes nothing, so hammering a full bucket does not
//    prolong the wait;
//  - refund() gives back one token taken by an allowed tryAcquire(), for
//    callers that count only some outcomes (a successful login);
//  - time comes only from the Clock; if it steps back, a bucket waits at
//    most burst × interval, never longer;
//  - memory is bounded: keys are cut to `max_key_bytes`, full buckets are
//    swept at least every `sweep_interval`, and at most `max_keys` keys are
//    tracked. When the table is full of keys that still carry state, keys
//    not in it share one overflow bucket with the same limit: an attacker
//    who cycles keys can neither grow memory nor push a tracked key out of
//    the table to reset its bucket; the cost is that new keys are limited
//    together until the table drains (fail closed);
//  - lookups use an ordered map, so keys chosen by an attacker cannot
//    degrade it the way colliding hashes degrade a hash table;
//  - burst 0 disables the limiter: everything is allowed and nothing kept;
//  - every member is thread-safe (one mutex; calls are short).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace mxauth::core {

struct RateLimit {
  // Calls allowed at once after a quiet spell; 0 disables the limit.
  std::uint32_t burst = 0;
  // One more call is allowed every `interval` (the sustained rate). Must be
  // positive when burst is not 0.
  Duration interval = std::chrono::seconds(1);

  bool enabled() const { return burst > 0; }
  bool operator==(const RateLimit&) const = default;
};

struct RateLimiterOptions {
  RateLimit limit;
  std::size_t max_keys = 100000;
  std::size_t max_key_bytes = 128;  // longer keys are cut to their first bytes
  Duration sweep_interval = std::chrono::minutes(1);
};

// What tryAcquire() answers.
struct RateDecision {
  bool allowed = true;
  Duration retry_after{0};  // when refused: wait this long, then try again

  static RateDecision allow() { return {}; }
  static RateDecision refuse(Duration wait) { return {false, wait}; }
};

class RateLimiter {
 public:
  RateLimiter(const Clock& clock, RateLimiterOptions options);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  RateDecision tryAcquire(std::string_view key);
  void refund(std::string_view key);

  bool enabled() const { return options_.limit.enabled(); }
  const RateLimit& limit() const { return options_.limit; }
  // Keys tracked now, the overflow bucket not included.
  std::size_t trackedKeys() const;

 private:
  using Table = std::map<std::string, Timestamp, std::less<>>;

  // Drops every key whose bucket is full again at `now`.
  void sweep(Timestamp now);
  // The TAT slot for `key`, inserting it (or using the overflow bucket)
  // when it is new.
  Timestamp& slotFor(std::string_view key, Timestamp now);

  const Clock& clock_;
  RateLimiterOptions options_;
  Duration capacity_;  // burst × interval
  mutable std::mutex mutex_;
  Table table_;
  Timestamp overflow_{};
  Timestamp last_sweep_{};
};

}  // namespace mxauth::core
