#pragma once

// The server's connection table and the policy that decides which
// connection to drop when it is full (issue 7, C.8: slow clients).
//
// Each open connection holds one slot. A slot is either *busy* (a request
// head has arrived and the request is being read, run or answered) or
// *waiting* for the next request since some time: a new connection waits
// from its accept, a kept-alive one from the end of its last response, and
// a request head that trickles in (slowloris) keeps waiting until its last
// header line. At `limit` live connections, admitting another one sheds the
// connection that has waited the longest without giving the server a
// request to serve — the oldest slowloris or the oldest idle keep-alive
// connection — so that a fresh client is served; only when every
// connection is busy is the newcomer refused.
//
// Thread safety: admit() and release() are called on one strand (the
// server's control strand); markWaiting() and markBusy() from the strand of
// the connection that holds the slot, concurrently with them. A slot's state
// is one atomic word, so a connection that becomes busy just as it is chosen
// for shedding either wins (and is not shed) or learns that it was shed.
//
// Memory is fixed at construction: one word per slot, no allocation after.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace mxauth::http {

class ConnectionSlots {
 public:
  // Monotonic time in any unit, never negative (the server passes steady
  // clock nanoseconds).
  using Ticks = std::int64_t;

  // Slots shed but not yet released: a shed connection closes on its own
  // strand, a moment later, while its replacement is already admitted. The
  // table has `limit + kShedHeadroom` slots, so open file descriptors never
  // exceed limit + kShedHeadroom.
  static constexpr std::size_t kShedHeadroom = 64;

  explicit ConnectionSlots(std::size_t limit);
  ConnectionSlots(const ConnectionSlots&) = delete;
  ConnectionSlots& operator=(const ConnectionSlots&) = delete;

  struct Admission {
    // The new connection's slot, waiting since `now`; empty: refuse it.
    std::optional<std::size_t> slot;
    // A slot marked shed to make room: close its connection.
    std::optional<std::size_t> shed;
  };

  // Admits a new connection at `now`. Below the limit it gets a free slot.
  // At the limit the connection that has waited the longest is shed first;
  // when none is waiting (every connection is busy) the newcomer is
  // refused. Control strand only.
  Admission admit(Ticks now);

  // Sheds the connection that has waited the longest, to give a file
  // descriptor back when accept() fails for want of one; empty when none
  // waits. Control strand only.
  std::optional<std::size_t> shedOne();

  // Frees `slot` when its connection is gone, shed or not. Control strand only.
  void release(std::size_t slot);

  // The slot's connection waits for its next request since `since`; false
  // when it was shed (the connection is being closed).
  bool markWaiting(std::size_t slot, Ticks since);

  // The slot's connection has a request head to serve and must not be shed
  // any more; false when it was shed first, and the request is dropped.
  bool markBusy(std::size_t slot);

  // Live connections: admitted and neither shed nor released.
  std::size_t live() const { return live_; }
  std::size_t limit() const { return limit_; }

 private:
  static constexpr Ticks kFree = -1;
  static constexpr Ticks kBusy = -2;
  static constexpr Ticks kShed = -3;

  // Marks the slot that has waited the longest as shed; empty when no slot
  // is waiting.
  std::optional<std::size_t> shedLongestWaiting();

  std::size_t limit_;
  std::size_t capacity_;
  std::unique_ptr<std::atomic<Ticks>[]> states_;  // Ticks >= 0: waiting since
  std::vector<std::size_t> free_;                 // control strand only
  std::size_t live_ = 0;                          // control strand only
};

// How many connections a process may hold when it can open
// `open_file_limit` descriptors (RLIMIT_NOFILE) and keeps `reserved` of them
// for everything else (database, logs, the listening socket, outbound
// requests): `requested`, or less so that the connections, their shed
// headroom and the reserve fit, so that accept() never meets EMFILE. At
// least 1.
std::size_t connectionCapacity(std::size_t requested, std::uint64_t open_file_limit,
                               std::size_t reserved);

}  // namespace mxauth::http
