#include "storage/sqlite/wal_sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace mxauth::storage::sqlite {

WalSync::~WalSync() {
  if (fd_ >= 0) ::close(fd_);
}

int WalSync::descriptorLocked() {
  if (fd_ >= 0) {
    struct stat status {};
    // Still the WAL SQLite writes to (it deletes the file when the last
    // connection closes, and a later open creates a new one).
    if (::fstat(fd_, &status) == 0 && status.st_nlink > 0) return fd_;
    ::close(fd_);
    fd_ = -1;
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  return fd_;
}

Result<void, StorageError> WalSync::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = ++requested_;
  while (completed_ < ticket) {
    if (syncing_) {
      // A sync is running; it may have started before this commit wrote its
      // frames, so wait for it and look again.
      done_.wait(lock);
      continue;
    }
    syncing_ = true;
    const std::uint64_t covered = requested_;
    const int fd = descriptorLocked();
    const int open_errno = errno;
    lock.unlock();
    const int synced = fd >= 0 ? ::fdatasync(fd) : -1;
    const int sync_errno = fd >= 0 ? errno : open_errno;
    lock.lock();
    syncing_ = false;
    done_.notify_all();
    if (synced != 0) {
      return unexpected(StorageError{StorageErrorCode::Unavailable,
                                     "cannot sync the SQLite WAL '" + path_ +
                                         "': " + std::system_category().message(sync_errno)});
    }
    completed_ = std::max(completed_, covered);
    ++syncs_;
  }
  return {};
}

std::uint64_t WalSync::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

}  // namespace mxauth::storage::sqlite
