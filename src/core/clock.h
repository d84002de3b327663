#pragma once

// Time is an input (design §12): only SystemClock reads the real clock, and
// only the composition root creates one. Everything else takes a Clock&.

#include <chrono>
#include <cstdint>

namespace mxauth {

// Wall-clock instant with millisecond resolution, UTC.
using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

// Milliseconds since the Unix epoch, the form stored in databases.
inline std::int64_t toUnixMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp fromUnixMillis(std::int64_t ms) { return Timestamp(Duration(ms)); }
inline std::int64_t toUnixSeconds(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// The real clock. Construct it only in app/ and cli/.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

}  // namespace mxauth
