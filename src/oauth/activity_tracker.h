#pragma once

// Session activity (last_active_at, last_active_ip) of OAuth and legacy
// (compat) sessions from introspection,
// batched (design §8): recording is an in-memory update, and the pending
// activity is written in one transaction per flush — every
// `flush_interval` on a background thread once start() was called, and at
// stop()/destruction — never a write per request.
//
// Of several records for one session between flushes, the latest wins.
// A failed flush keeps nothing for retry beyond what newer records bring:
// activity is advisory, and the next introspection records it again.

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"
#include "core/result.h"
#include "core/string_map.h"
#include "storage/database.h"
#include "storage/storage_error.h"

namespace mxauth::oauth {

// Which table a session id names.
enum class SessionKind { OAuth, Compat };

class ActivityTracker {
 public:
  explicit ActivityTracker(storage::Database& database);
  ~ActivityTracker();
  ActivityTracker(const ActivityTracker&) = delete;
  ActivityTracker& operator=(const ActivityTracker&) = delete;

  // Thread-safe and cheap: callable from an I/O thread.
  void record(std::string_view session_id, Timestamp at, std::string_view ip,
              SessionKind kind = SessionKind::OAuth);

  // Writes everything pending now; returns the number of sessions written.
  Result<std::size_t, storage::StorageError> flush();

  // Starts the background flusher (once). stop() flushes a last time and
  // joins it; the destructor calls stop().
  void start(Duration flush_interval);
  void stop();

  std::size_t pending() const;

 private:
  struct Activity {
    Timestamp at;
    std::string ip;
    SessionKind kind = SessionKind::OAuth;
  };

  void run(Duration flush_interval);

  storage::Database& database_;
  mutable std::mutex mutex_;
  core::StringMap<Activity> pending_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace mxauth::oauth
