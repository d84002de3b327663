#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "core/ulid.h"
#include "storage/testing/conformance.h"

// JobRepository (storage/job_repository.h): the durable queue, on both
// backends.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class JobConformanceTest : public MigratedDatabaseTest {
 protected:
  domain::Job enqueue(std::string_view kind, Timestamp run_at) {
    auto tx = begin();
    auto job = tx->jobs().add(rng_, clock_, kind, R"({"n":1})", run_at);
    EXPECT_TRUE(job.has_value()) << job.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return *job;
  }

  std::vector<domain::Job> claim(std::string_view worker, std::size_t limit = 10,
                                 Duration lease = 1min) {
    auto tx = begin();
    auto jobs = tx->jobs().claimDue(clock_, worker, lease, limit);
    EXPECT_TRUE(jobs.has_value()) << jobs.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return jobs ? *jobs : std::vector<domain::Job>{};
  }

  std::int64_t unfinished() {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto count = tx->jobs().countUnfinished();
    EXPECT_TRUE(count.has_value());
    return count ? *count : -1;
  }
};

TEST_P(JobConformanceTest, AddsAJobThatReadsBackWithEveryField) {
  const Timestamp later = clock_.now() + 5min;
  domain::Job job = enqueue("homeserver.sync_devices", later);

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->jobs().lookup(job.id);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, job);
  EXPECT_TRUE(core::isUlid(job.id.str()));
  EXPECT_EQ(job.kind, "homeserver.sync_devices");
  EXPECT_EQ(job.payload, R"({"n":1})");
  EXPECT_EQ(job.run_at, later);
  EXPECT_EQ(job.attempts, 0);
  EXPECT_FALSE(job.isFinished());
}

TEST_P(JobConformanceTest, AJobEnqueuedInATransactionThatRollsBackNeverExists) {
  {
    auto tx = begin();
    ASSERT_TRUE(tx->jobs().add(rng_, clock_, "k", "{}", clock_.now()).has_value());
  }  // no commit

  EXPECT_EQ(unfinished(), 0);
  EXPECT_TRUE(claim("w").empty());
}

TEST_P(JobConformanceTest, ClaimsOnlyDueJobsEarliestFirstAndLeasesThem) {
  domain::Job second = enqueue("k", clock_.now() - 1min);
  domain::Job first = enqueue("k", clock_.now() - 2min);
  domain::Job future = enqueue("k", clock_.now() + 1min);

  std::vector<domain::Job> claimed = claim("runner-1");

  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, first.id);
  EXPECT_EQ(claimed[1].id, second.id);
  EXPECT_EQ(claimed[0].locked_by, "runner-1");
  EXPECT_EQ(claimed[0].locked_until, clock_.now() + 1min);
  EXPECT_TRUE(claim("runner-2").empty());  // leased, and the other is not due
  clock_.advance(1min);
  std::vector<domain::Job> now_due = claim("runner-2");
  // The future job is due now, and the leases of the first two expired.
  EXPECT_EQ(now_due.size(), 3u);
  EXPECT_EQ(unfinished(), 3);
  static_cast<void>(future);
}

TEST_P(JobConformanceTest, ClaimTakesAtMostTheLimit) {
  for (int i = 0; i < 5; ++i) enqueue("k", clock_.now());

  EXPECT_EQ(claim("w", 2).size(), 2u);
  EXPECT_EQ(claim("w", 10).size(), 3u);
}

TEST_P(JobConformanceTest, CompletingFinishesTheJobOnlyForItsHolder) {
  domain::Job job = enqueue("k", clock_.now());
  ASSERT_EQ(claim("runner-1").size(), 1u);
  auto tx = begin();

  auto by_other = tx->jobs().complete(clock_, job.id, "runner-2");
  auto by_holder = tx->jobs().complete(clock_, job.id, "runner-1");
  auto again = tx->jobs().complete(clock_, job.id, "runner-1");
  ASSERT_TRUE(tx->commit().has_value());

  ASSERT_TRUE(by_other && by_holder && again);
  EXPECT_FALSE(*by_other);
  EXPECT_TRUE(*by_holder);
  EXPECT_FALSE(*again);
  EXPECT_EQ(unfinished(), 0);
  clock_.advance(1h);
  EXPECT_TRUE(claim("runner-3").empty());
}

TEST_P(JobConformanceTest, RetryCountsTheAttemptKeepsTheErrorAndWaits) {
  domain::Job job = enqueue("k", clock_.now());
  ASSERT_EQ(claim("runner-1").size(), 1u);
  {
    auto tx = begin();
    auto retried = tx->jobs().retryAt(job.id, "runner-1", "homeserver down", clock_.now() + 10s);
    ASSERT_TRUE(retried && *retried);
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_TRUE(claim("runner-1").empty());
  clock_.advance(10s);
  std::vector<domain::Job> again = claim("runner-2");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].last_error, "homeserver down");
  auto tx = begin();
  auto stale = tx->jobs().retryAt(job.id, "runner-1", "stale holder", clock_.now());
  ASSERT_TRUE(stale.has_value());
  EXPECT_FALSE(*stale);
}

// Several runners claiming at once (threads on separate connections, as
// several processes would): no job goes to two of them.
TEST_P(JobConformanceTest, ConcurrentClaimsNeverShareAJob) {
  constexpr int kJobs = 40;
  constexpr int kRunners = 4;
  for (int i = 0; i < kJobs; ++i) enqueue("k", clock_.now());
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<std::vector<std::string>>> runners;
  for (int r = 0; r < kRunners; ++r) {
    runners.push_back(std::async(std::launch::async, [&, r, start] {
      start.wait();
      std::vector<std::string> mine;
      for (int busy = 0; busy < 1000;) {
        auto tx = database_->begin();
        if (!tx) {  // pool busy: try again
          ++busy;
          continue;
        }
        auto jobs = (*tx)->jobs().claimDue(clock_, "runner-" + std::to_string(r), 1min, 3);
        if (!jobs || !(*tx)->commit()) {  // a busy SQLite writer: try again
          ++busy;
          continue;
        }
        if (jobs->empty()) return mine;
        for (const domain::Job& job : *jobs) mine.push_back(job.id.str());
      }
      return mine;
    }));
  }
  go.set_value();

  std::set<std::string> seen;
  std::size_t total = 0;
  for (auto& runner : runners) {
    for (const std::string& id : runner.get()) {
      EXPECT_TRUE(seen.insert(id).second) << id << " was claimed twice";
      ++total;
    }
  }
  EXPECT_EQ(total, static_cast<std::size_t>(kJobs));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, JobConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, JobConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
