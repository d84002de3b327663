#pragma once

// Test doubles for time and randomness (style §6.3): deterministic tests.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "core/clock.h"
#include "core/rng.h"

namespace mxauth::test {

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = at("2026-01-01T00:00:00Z")) : now_(toUnixMillis(start)) {}
  Timestamp now() const override { return fromUnixMillis(now_.load()); }
  void advance(Duration d) { now_ += d.count(); }
  void set(Timestamp t) { now_ = toUnixMillis(t); }

  // Parses "YYYY-MM-DDTHH:MM:SSZ"; aborts on anything else (test input).
  static Timestamp at(std::string_view iso8601);

 private:
  std::atomic<std::int64_t> now_;
};

inline Timestamp at(std::string_view iso8601) { return FakeClock::at(iso8601); }

// A deterministic generator (splitmix64) for tests. Never for production.
class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : state_(seed) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::mutex mutex_;
  std::uint64_t state_;
};

}  // namespace mxauth::test
