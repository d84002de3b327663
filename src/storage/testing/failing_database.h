#pragma once

// A Database decorator for fault tests: it hands out the wrapped database's
// transactions unchanged, except that commit() fails (and so rolls back)
// while failCommits(true) is in force. It proves that a handler whose
// commit fails answers an error and leaves nothing half-done (security
// checklist D.31: revocation must fail closed).

#include <atomic>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/database.h"

namespace mxauth::test {

class CommitFailingDatabase : public storage::Database {
 public:
  explicit CommitFailingDatabase(storage::Database& inner) : inner_(inner) {}

  void failCommits(bool fail) { fail_commits_ = fail; }
  // Commits refused so far.
  int refusedCommits() const { return refused_commits_; }

  Result<std::unique_ptr<storage::Transaction>, storage::StorageError> begin(
      storage::TransactionMode mode) override;
  Result<void, storage::StorageError> ping() override { return inner_.ping(); }
  storage::PoolStats poolStats() const override { return inner_.poolStats(); }
  std::string_view backendName() const override { return inner_.backendName(); }
  Result<std::vector<storage::Migration>, storage::MigrationError> migrate(
      const Clock& clock) override {
    return inner_.migrate(clock);
  }
  Result<std::vector<storage::Migration>, storage::MigrationError> pendingMigrations() override {
    return inner_.pendingMigrations();
  }
  std::unique_ptr<storage::Subscription> subscribeToInvalidations(
      storage::InvalidationHandler handler) override {
    return inner_.subscribeToInvalidations(std::move(handler));
  }

 private:
  class Tx;

  storage::Database& inner_;
  std::atomic<bool> fail_commits_{false};
  std::atomic<int> refused_commits_{0};
};

}  // namespace mxauth::test
