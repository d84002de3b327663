#pragma once

// WAL checkpoints off the write path. SQLite's automatic checkpoint runs
// inside the COMMIT that takes the WAL past 1,000 pages, on the committing
// connection: it copies the pages into the database file and, with
// `synchronous = NORMAL`, fsyncs the WAL and then the database, all while
// this process's writer lock (sqlite_connection.h) is still held, so every
// queued write waits for two fsyncs and a few megabytes of copying. Here
// the serving connections report each commit's WAL size (sqlite3_wal_hook,
// which replaces the automatic checkpoint) and a thread of its own, on a
// connection of its own, runs a PASSIVE checkpoint, which never takes the
// write lock: writers go on while it copies and syncs. Should the thread
// fall behind (or fail), the committing connection checkpoints itself once
// the WAL reaches four times the threshold, as SQLite would have.

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"

namespace mxauth::storage::sqlite {

class Checkpointer {
 public:
  // SQLite's own default threshold.
  static constexpr int kDefaultThresholdPages = 1000;

  // Checkpoints the WAL of the database file at `path`.
  explicit Checkpointer(std::string path, int threshold_pages = kDefaultThresholdPages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Makes `db` report its commits here instead of checkpointing in them.
  void attach(sqlite3* db);

  // Checkpoints the thread has completed (every frame then in the WAL
  // copied into the database).
  std::uint64_t completed() const;
  // Waits until completed() reaches `count`, at most `timeout`; for tests.
  bool waitForCompleted(std::uint64_t count, Duration timeout) const;

 private:
  static int onCommit(void* self, sqlite3* db, const char* schema, int wal_pages);
  void run(const std::stop_token& stop);

  const std::string path_;
  const int threshold_pages_;
  mutable std::mutex mutex_;
  mutable std::condition_variable_any wake_;
  bool requested_ = false;
  std::uint64_t completed_ = 0;
  std::jthread thread_;  // last: it uses the members above
};

}  // namespace mxauth::storage::sqlite
