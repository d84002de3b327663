#include "jobs/cleanup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/testing/conformance.h"
#include "storage/testing/failing_database.h"

// jobs/cleanup.h: a run loops batches until a target is clean or capped,
// and the runner repeats it every interval. What a batch deletes is the
// storage conformance tests' (cleanup_conformance_test.cpp).
namespace mxauth::jobs {
namespace {

using namespace std::chrono_literals;

// Where oauth_access_tokens is in kCleanupOrder, and so in a report.
constexpr std::size_t kAccessTokens = 1;
static_assert(storage::kCleanupOrder[kAccessTokens] == storage::CleanupTarget::OAuthAccessTokens);

class CleanupJobTest : public test::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    test::MigratedDatabaseTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    domain::User user = addUser("alice");
    auto tx = begin();
    storage::NewOAuthClient client;
    client.metadata_json = R"({"client_name":"x"})";
    auto added_client = tx->oauthClients().add(rng_, clock_, client);
    ASSERT_TRUE(added_client.has_value());
    storage::NewOAuthSession session;
    session.client_id = added_client->id;
    session.user_id = user.id;
    session.scope = "openid";
    session.user_agent = "test-agent";
    auto added_session = tx->oauthSessions().add(rng_, clock_, session);
    ASSERT_TRUE(added_session.has_value());
    session_ = added_session->id;
    ASSERT_TRUE(tx->commit().has_value());
  }

  // `count` access tokens that expire in five minutes.
  void addAccessTokens(int count) {
    auto tx = begin();
    for (int i = 0; i < count; ++i) {
      std::string hash = std::to_string(next_hash_++);
      hash.resize(64, 'a');
      ASSERT_TRUE(
          tx->accessTokens().add(rng_, clock_, session_, hash, clock_.now() + 5min).has_value());
    }
    ASSERT_TRUE(tx->commit().has_value());
  }

  CleanupOptions options(int max_batches = 100) {
    CleanupOptions options;
    options.retention = 24h;
    options.batch_size = 10;
    options.max_batches = max_batches;
    return options;
  }

  domain::OAuthSessionId session_;
  int next_hash_ = 0;
};

TEST_P(CleanupJobTest, ARunLoopsBatchesUntilNothingIsLeft) {
  addAccessTokens(25);
  clock_.advance(25h);
  addAccessTokens(3);  // not expired yet

  CleanupCursors cursors;
  CleanupReport report = runCleanup(*database_, clock_, options(), cursors);
  EXPECT_FALSE(report.error) << *report.error;
  EXPECT_FALSE(report.capped);
  EXPECT_EQ(report.deleted[kAccessTokens], 25);
  EXPECT_EQ(report.total(), 25);

  CleanupReport again = runCleanup(*database_, clock_, options(), cursors);
  EXPECT_EQ(again.total(), 0);
  EXPECT_FALSE(again.capped);
}

TEST_P(CleanupJobTest, ARunStopsAtItsCapAndTheNextGoesOn) {
  addAccessTokens(25);
  clock_.advance(25h);

  CleanupCursors cursors;
  CleanupReport first = runCleanup(*database_, clock_, options(2), cursors);
  EXPECT_TRUE(first.capped);
  EXPECT_EQ(first.total(), 20);
  EXPECT_TRUE(cursors[kAccessTokens].has_value());  // where the next run goes on
  CleanupReport second = runCleanup(*database_, clock_, options(2), cursors);
  EXPECT_FALSE(second.capped);
  EXPECT_EQ(second.total(), 5);
  EXPECT_FALSE(cursors[kAccessTokens].has_value());
}

TEST_P(CleanupJobTest, TheRunnerRunsItEveryIntervalAndReportsEachRun) {
  addAccessTokens(4);
  clock_.advance(25h);
  JobRunner runner(*database_, clock_, JobRunnerOptions{});
  std::vector<std::int64_t> runs;
  scheduleCleanup(runner, *database_, clock_, 10min, options(),
                  [&runs](const CleanupReport& report) { runs.push_back(report.total()); });

  ASSERT_TRUE(runner.runDueJobs().has_value());
  EXPECT_EQ(runs, (std::vector<std::int64_t>{4}));
  addAccessTokens(2);
  clock_.advance(9min);
  ASSERT_TRUE(runner.runDueJobs().has_value());
  EXPECT_EQ(runs.size(), 1U);  // not due yet
  clock_.advance(24h);
  ASSERT_TRUE(runner.runDueJobs().has_value());
  EXPECT_EQ(runs, (std::vector<std::int64_t>{4, 2}));
}

TEST_P(CleanupJobTest, AFailedRunReportsWhatItDidAndTheError) {
  addAccessTokens(3);
  clock_.advance(25h);
  test::CommitFailingDatabase failing(*database_);
  failing.failCommits(true);

  CleanupCursors cursors;
  CleanupReport report = runCleanup(failing, clock_, options(), cursors);
  ASSERT_TRUE(report.error.has_value());
  EXPECT_EQ(report.total(), 0);
  failing.failCommits(false);
  EXPECT_EQ(runCleanup(failing, clock_, options(), cursors).total(), 3);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CleanupJobTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CleanupJobTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::jobs
