#include "storage/sqlite/checkpointer.h"

#include <utility>

namespace mxauth::storage::sqlite {
namespace {

// The connection the thread checkpoints with, opened when first needed
// (the database may not exist yet when the Checkpointer is made).
sqlite3* openForCheckpoints(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  // NORMAL: the WAL is synced before the pages are copied and the database
  // after, so a checkpoint never loses a commit (the commits themselves are
  // durable already, wal_sync.h).
  if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

}  // namespace

Checkpointer::Checkpointer(std::string path, int threshold_pages)
    : path_(std::move(path)),
      threshold_pages_(threshold_pages),
      thread_([this](const std::stop_token& stop) { run(stop); }) {}

Checkpointer::~Checkpointer() {
  thread_.request_stop();
  thread_.join();
}

void Checkpointer::attach(sqlite3* db) { sqlite3_wal_hook(db, &Checkpointer::onCommit, this); }

int Checkpointer::onCommit(void* self, sqlite3* db, const char* schema, int wal_pages) {
  auto* checkpointer = static_cast<Checkpointer*>(self);
  if (wal_pages >= 4 * checkpointer->threshold_pages_) {
    // The thread is behind: do what SQLite's automatic checkpoint does.
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }
  if (wal_pages >= checkpointer->threshold_pages_) {
    std::lock_guard lock(checkpointer->mutex_);
    if (!checkpointer->requested_) {
      checkpointer->requested_ = true;
      checkpointer->wake_.notify_all();
    }
  }
  return SQLITE_OK;
}

void Checkpointer::run(const std::stop_token& stop) {
  sqlite3* db = nullptr;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return requested_; })) break;
      requested_ = false;
    }
    if (db == nullptr) db = openForCheckpoints(path_);
    if (db == nullptr) continue;  // the next commit past the threshold retries
    int in_wal = 0;
    int copied = 0;
    const int result =
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &in_wal, &copied);
    if (result == SQLITE_OK && copied == in_wal) {
      std::lock_guard lock(mutex_);
      ++completed_;
      wake_.notify_all();
    } else if (result != SQLITE_OK && result != SQLITE_BUSY) {
      sqlite3_close(db);  // opened again for the next one
      db = nullptr;
    }
  }
  sqlite3_close(db);
}

std::uint64_t Checkpointer::completed() const {
  std::lock_guard lock(mutex_);
  return completed_;
}

bool Checkpointer::waitForCompleted(std::uint64_t count, Duration timeout) const {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, timeout, [&] { return completed_ >= count; });
}

}  // namespace mxauth::storage::sqlite
