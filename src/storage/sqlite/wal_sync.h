#pragma once

// Group commit for SQLite in WAL mode. With `synchronous = FULL` every
// COMMIT fsyncs the WAL itself, under SQLite's single writer lock, so
// commits per second can never exceed fsyncs per second (about 2,700 on the
// development VM's disk, 0.37 ms each) and each writer waits for its own
// fsync while holding the lock. Instead the connections run with
// `synchronous = NORMAL` (a COMMIT writes its WAL frames with write(2) and
// returns) and then call flush(), which returns once the WAL is on stable
// storage up to at least that point: one fdatasync(2) covers every commit
// written before it started, and the next writer proceeds meanwhile. Every
// commit is still durable before its caller goes on (design §3.1), exactly
// as with FULL; checkpoints keep NORMAL's own fsyncs of WAL and database.
//
// fsync applies to the file, not the descriptor, so syncing our own
// read-only descriptor of the `-wal` file flushes what SQLite wrote through
// its own. The file is reopened if it was replaced.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "core/result.h"
#include "storage/storage_error.h"

namespace mxauth::storage::sqlite {

class WalSync {
 public:
  explicit WalSync(std::string wal_path) : path_(std::move(wal_path)) {}
  ~WalSync();
  WalSync(const WalSync&) = delete;
  WalSync& operator=(const WalSync&) = delete;

  // Returns once everything written to the WAL before this call is on
  // stable storage. Fails with Unavailable when the WAL cannot be synced.
  Result<void, StorageError> flush();

  // fdatasync calls made so far (fewer than flushes when commits overlap).
  std::uint64_t syncs() const;

 private:
  // The descriptor of the WAL file, opened (again) when needed; -1 and errno
  // set when it cannot be.
  int descriptorLocked();

  const std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::uint64_t requested_ = 0;  // flush tickets handed out
  std::uint64_t completed_ = 0;  // every ticket up to this one is durable
  bool syncing_ = false;
  int fd_ = -1;
  std::uint64_t syncs_ = 0;
};

}  // namespace mxauth::storage::sqlite
