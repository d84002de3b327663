#include "storage/sqlite/invalidation_poller.h"

#include <charconv>
#include <condition_variable>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/sqlite/sqlite_connection.h"

namespace mxauth::storage::sqlite {
namespace {

// Rows read per round; a longer backlog is read over the next rounds.
constexpr std::int64_t kBatch = 1000;

std::optional<std::int64_t> integerOf(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [at, error] = std::from_chars(text->data(), end, value);
  if (error != std::errc() || at != end) return std::nullopt;
  return value;
}

class InvalidationPoller final : public Subscription {
 public:
  InvalidationPoller(SqliteOptions options, std::shared_ptr<std::timed_mutex> writer,
                     std::shared_ptr<WalSync> wal_sync, std::shared_ptr<Checkpointer> checkpointer,
                     InvalidationHandler handler)
      : options_(std::move(options)),
        writer_(std::move(writer)),
        wal_sync_(std::move(wal_sync)),
        checkpointer_(std::move(checkpointer)),
        handler_(std::move(handler)),
        thread_([this](const std::stop_token& stop) { run(stop); }) {}

  ~InvalidationPoller() override {
    thread_.request_stop();
    thread_.join();
  }

  InvalidationPoller(const InvalidationPoller&) = delete;
  InvalidationPoller& operator=(const InvalidationPoller&) = delete;

 private:
  void run(const std::stop_token& stop) {
    std::mutex mutex;
    std::condition_variable_any wake;
    std::unique_ptr<SqliteConnection> connection;
    // Once reading works: the id of the last row handed over.
    bool reading = false;
    std::int64_t last = 0;
    while (!stop.stop_requested()) {
      if (!connection) {
        auto opened = SqliteConnection::open(options_, writer_, wal_sync_, checkpointer_);
        if (opened) connection = std::move(*opened);
      }
      if (connection) {
        reading = poll(*connection, reading, last);
        if (!reading && connection->isBroken()) connection.reset();
      }
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, kInvalidationPollInterval, [] { return false; });
    }
  }

  // One round; `reading` says whether the previous one worked. False when
  // a read failed (the next success reports Everything again).
  bool poll(SqliteConnection& connection, bool reading, std::int64_t& last) {
    if (!reading) {
      auto newest = connection.query("SELECT COALESCE(MAX(id), 0) FROM cache_invalidations", {});
      if (!newest || newest->empty()) return false;
      auto id = integerOf(newest->front().at(0));
      if (!id) return false;
      last = *id;
      handler_(Invalidation{Invalidation::Kind::Everything, ""});
      return true;
    }
    for (;;) {
      const std::vector<sql::Param> params{last, kBatch};
      auto rows = connection.query(
          "SELECT id, payload FROM cache_invalidations WHERE id > $1 ORDER BY id LIMIT $2", params);
      if (!rows) return false;
      for (const sql::Row& row : *rows) {
        auto id = row.size() == 2 ? integerOf(row[0]) : std::nullopt;
        if (!id) return false;
        last = *id;
        if (auto change = parseInvalidation(row[1].value_or(""))) handler_(*change);
      }
      if (static_cast<std::int64_t>(rows->size()) < kBatch) break;
    }
    prune(connection, last);
    return true;
  }

  // Deletes what lies more than kInvalidationLogKept rows behind `last`,
  // once that much has piled up since the previous delete. A failure is
  // left for the next time.
  void prune(SqliteConnection& connection, std::int64_t last) {
    const std::int64_t below = last - kInvalidationLogKept;
    if (below <= pruned_below_ + kInvalidationLogKept) return;
    if (!connection.begin(TransactionMode::ReadWrite)) return;
    const std::vector<sql::Param> params{below};
    auto deleted = connection.execute("DELETE FROM cache_invalidations WHERE id <= $1", params);
    if (!deleted) {
      static_cast<void>(connection.executeScript("ROLLBACK"));
      return;
    }
    auto committed = connection.commit();
    if (!committed) return;
    if (*committed && !(*committed)()) return;
    pruned_below_ = below;
  }

  const SqliteOptions options_;
  const std::shared_ptr<std::timed_mutex> writer_;
  const std::shared_ptr<WalSync> wal_sync_;
  const std::shared_ptr<Checkpointer> checkpointer_;
  const InvalidationHandler handler_;
  std::int64_t pruned_below_ = 0;
  std::jthread thread_;  // last: it uses the members above
};

}  // namespace

std::unique_ptr<Subscription> pollForInvalidations(const SqliteOptions& options,
                                                   std::shared_ptr<std::timed_mutex> writer,
                                                   std::shared_ptr<WalSync> wal_sync,
                                                   std::shared_ptr<Checkpointer> checkpointer,
                                                   InvalidationHandler handler) {
  return std::make_unique<InvalidationPoller>(options, std::move(writer), std::move(wal_sync),
                                              std::move(checkpointer), std::move(handler));
}

}  // namespace mxauth::storage::sqlite
