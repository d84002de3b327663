#include "jobs/job_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "homeserver/standalone_connection.h"
#include "homeserver/testing/recording_homeserver.h"
#include "jobs/homeserver_jobs.h"
#include "storage/testing/conformance.h"

namespace mxauth::jobs {
namespace {

using namespace std::chrono_literals;

// How many jobs a poll ran; -1 when the poll itself failed.
long long ran(JobRunner& runner) {
  auto count = runner.runDueJobs();
  return count ? static_cast<long long>(*count) : -1;
}

TEST(Backoff, DoublesFromTheMinimumUpToTheCap) {
  EXPECT_EQ(backoffAfter(0, 5s, 1h), 5s);
  EXPECT_EQ(backoffAfter(1, 5s, 1h), 10s);
  EXPECT_EQ(backoffAfter(3, 5s, 1h), 40s);
  EXPECT_EQ(backoffAfter(10, 5s, 1h), 1h);
  EXPECT_EQ(backoffAfter(1000, 5s, 1h), 1h);
}

class JobRunnerTest : public test::MigratedDatabaseTest {
 protected:
  JobRunnerOptions options(std::string worker = "runner-1") {
    JobRunnerOptions options;
    options.worker_id = std::move(worker);
    return options;
  }

  domain::Job enqueue(std::string_view kind) {
    auto tx = begin();
    auto job = tx->jobs().add(rng_, clock_, kind, "{}", clock_.now());
    EXPECT_TRUE(job.has_value());
    EXPECT_TRUE(tx->commit().has_value());
    return *job;
  }

  domain::Job reload(const domain::Job& job) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->jobs().lookup(job.id);
    EXPECT_TRUE(found && found->has_value());
    return **found;
  }
};

TEST_P(JobRunnerTest, RunsADueJobOnceAndFinishesIt) {
  JobRunner runner(*database_, clock_, options());
  int runs = 0;
  runner.handle("count", [&](const domain::Job&) -> Result<void, std::string> {
    ++runs;
    return {};
  });
  domain::Job job = enqueue("count");

  EXPECT_EQ(ran(runner), 1);
  EXPECT_EQ(ran(runner), 0);

  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(reload(job).isFinished());
  EXPECT_EQ(runner.stats().completed, 1u);
  EXPECT_EQ(runner.stats().unfinished, 0);
}

TEST_P(JobRunnerTest, AFailedJobIsRetriedWithBackoffUntilItSucceeds) {
  JobRunner runner(*database_, clock_, options());
  int runs = 0;
  runner.handle("flaky", [&](const domain::Job&) -> Result<void, std::string> {
    return ++runs < 3 ? Result<void, std::string>(unexpected(std::string("homeserver down")))
                      : Result<void, std::string>();
  });
  domain::Job job = enqueue("flaky");

  ASSERT_EQ(ran(runner), 1);
  domain::Job after_first = reload(job);
  EXPECT_EQ(after_first.attempts, 1);
  EXPECT_EQ(after_first.last_error, "homeserver down");
  EXPECT_EQ(after_first.run_at, clock_.now() + 5s);
  EXPECT_EQ(ran(runner), 0);  // not due yet
  clock_.advance(5s);
  ASSERT_EQ(ran(runner), 1);
  EXPECT_EQ(reload(job).run_at, clock_.now() + 10s);
  clock_.advance(10s);
  ASSERT_EQ(ran(runner), 1);

  EXPECT_EQ(runs, 3);
  EXPECT_TRUE(reload(job).isFinished());
  EXPECT_EQ(runner.stats().failed_attempts, 2u);
}

TEST_P(JobRunnerTest, AJobOfAnUnknownKindWaitsForARunnerThatKnowsIt) {
  JobRunner old_runner(*database_, clock_, options());
  domain::Job job = enqueue("from.a.newer.version");

  ASSERT_EQ(ran(old_runner), 1);
  EXPECT_FALSE(reload(job).isFinished());
  EXPECT_EQ(reload(job).attempts, 1);

  JobRunner new_runner(*database_, clock_, options("runner-2"));
  new_runner.handle("from.a.newer.version",
                    [](const domain::Job&) -> Result<void, std::string> { return {}; });
  clock_.advance(5s);
  EXPECT_EQ(ran(new_runner), 1);
  EXPECT_TRUE(reload(job).isFinished());
}

// A runner that dies mid-job (its lease never released) does not lose the
// job: once the lease expires, the next runner, or the same process after a
// restart, takes it.
TEST_P(JobRunnerTest, AJobHeldByADeadRunnerRunsAfterItsLeaseExpires) {
  domain::Job job = enqueue("count");
  {
    auto tx = begin();
    ASSERT_EQ(tx->jobs().claimDue(clock_, "dead-runner", 5min, 10)->size(), 1u);
    ASSERT_TRUE(tx->commit().has_value());
  }
  JobRunner restarted(*database_, clock_, options("runner-after-restart"));
  int runs = 0;
  restarted.handle("count", [&](const domain::Job&) -> Result<void, std::string> {
    ++runs;
    return {};
  });

  EXPECT_EQ(ran(restarted), 0);
  clock_.advance(5min);
  EXPECT_EQ(ran(restarted), 1);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(reload(job).isFinished());
}

TEST_P(JobRunnerTest, TheThreadRunsJobsWhenWoken) {
  JobRunnerOptions slow = options();
  slow.poll_interval = 1h;  // only wake() can make it poll again
  JobRunner runner(*database_, clock_, slow);
  std::promise<void> ran;
  runner.handle("signal", [&](const domain::Job&) -> Result<void, std::string> {
    ran.set_value();
    return {};
  });
  runner.start();
  auto done = ran.get_future();
  enqueue("signal");

  runner.wake();

  EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
  runner.stop();
}

class HomeserverJobsTest : public JobRunnerTest {
 protected:
  domain::OAuthSession addSession(const domain::User& user, const domain::OAuthClient& client,
                                  std::string device) {
    auto tx = begin();
    storage::NewOAuthSession request;
    request.client_id = client.id;
    request.user_id = user.id;
    request.scope = "urn:matrix:client:api:* urn:matrix:client:device:" + device;
    request.device_id = device;
    request.authenticated_at = clock_.now();
    auto session = tx->oauthSessions().add(rng_, clock_, request);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE(tx->commit().has_value());
    return *session;
  }
  domain::OAuthClient addClient() {
    auto tx = begin();
    storage::NewOAuthClient record;
    record.metadata_json = "{}";
    auto client = tx->oauthClients().add(rng_, clock_, record);
    EXPECT_TRUE(client.has_value());
    EXPECT_TRUE(tx->commit().has_value());
    return *client;
  }

  test::RecordingHomeserver homeserver_;
};

TEST_P(HomeserverJobsTest, DeviceSyncSendsTheDevicesOfTheActiveSessions) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  addSession(alice, client, "KEEPDEVICE");
  domain::OAuthSession ended = addSession(alice, client, "GONEDEVICE");
  ASSERT_TRUE(homeserver_.syncDevices("alice", {"KEEPDEVICE", "GONEDEVICE"}).has_value());
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).has_value());
    ASSERT_TRUE(enqueueDeviceSync(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"KEEPDEVICE"}));
  EXPECT_EQ(runner.stats().completed, 1u);
}

// A login provisions its device after the sync read the user's devices but
// before its call reaches the homeserver: the sync must not leave the
// homeserver without the login's live device.
TEST_P(HomeserverJobsTest, DeviceSyncKeepsADeviceALoginProvisionedWhileTheSyncWasInFlight) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::OAuthSession ended = addSession(alice, client, "GONEDEVICE");
  ASSERT_TRUE(homeserver_.syncDevices("alice", {"GONEDEVICE"}).has_value());
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).has_value());
    ASSERT_TRUE(enqueueDeviceSync(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  // Between the job's read and its call, a code exchange (whose session
  // exists since the consent) provisions its device.
  int syncs = 0;
  homeserver_.beforeSyncDevices([&] {
    if (++syncs != 1) return;
    addSession(alice, client, "NEWDEVICE1");
    ASSERT_TRUE(homeserver_.upsertDevice("alice", "NEWDEVICE1", std::nullopt).has_value());
  });

  EXPECT_EQ(ran(runner), 1);
  homeserver_.beforeSyncDevices({});

  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"NEWDEVICE1"}));
  EXPECT_EQ(runner.stats().completed, 1u);
}

TEST_P(HomeserverJobsTest, ADeviceSyncOutrunByLoginsGivesUpForARetryWithEveryLiveDeviceInPlace) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  homeserver::ProvisionRequest provision;
  provision.localpart = "alice";
  ASSERT_TRUE(homeserver_.provisionUser(provision).has_value());
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(enqueueDeviceSync(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  // A new login during every call.
  std::set<std::string> live;
  homeserver_.beforeSyncDevices([&] {
    const std::string device = "LOGIN" + std::to_string(live.size());
    addSession(alice, client, device);
    ASSERT_TRUE(homeserver_.upsertDevice("alice", device, std::nullopt).has_value());
    live.insert(device);
  });

  EXPECT_EQ(ran(runner), 1);
  homeserver_.beforeSyncDevices({});

  EXPECT_EQ(live.size(), static_cast<std::size_t>(kMaxSyncRounds));
  EXPECT_EQ(homeserver_.devices("alice"), live);
  EXPECT_EQ(runner.stats().failed_attempts, 1u);
  EXPECT_EQ(runner.stats().unfinished, 1);
  clock_.advance(5s);  // the retry, without new logins, finishes
  EXPECT_EQ(ran(runner), 1);
  EXPECT_EQ(runner.stats().unfinished, 0);
  EXPECT_EQ(homeserver_.devices("alice"), live);
}

TEST_P(HomeserverJobsTest, DeviceSyncIsRetriedWhileTheHomeserverIsDown) {
  domain::User alice = addUser("alice");
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(enqueueDeviceSync(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "down"});

  EXPECT_EQ(ran(runner), 1);
  EXPECT_EQ(runner.stats().failed_attempts, 1u);
  EXPECT_EQ(runner.stats().unfinished, 1);
  homeserver_.clearFailure();
  clock_.advance(5s);
  EXPECT_EQ(ran(runner), 1);
  EXPECT_EQ(runner.stats().unfinished, 0);
}

TEST_P(HomeserverJobsTest, ProvisioningSendsTheLocalpartAndLockState) {
  domain::User alice = addUser("alice");
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(enqueueUserProvisioning(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  EXPECT_TRUE(homeserver_.hasUser("alice"));
  EXPECT_EQ(homeserver_.calls(), (std::vector<std::string>{"provision_user alice"}));
}

TEST_P(HomeserverJobsTest, ProvisioningWithoutTheDisplayNameFlagLeavesTheDisplayNameAlone) {
  domain::User alice = addUser("alice");
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().setDisplayName(alice.id, std::string("Alice")).has_value());
    ASSERT_TRUE(enqueueUserProvisioning(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  const auto sent = homeserver_.lastProvision();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->set_displayname, std::nullopt);
  EXPECT_FALSE(sent->unset_displayname);
}

TEST_P(HomeserverJobsTest, DisplayNameProvisioningSendsTheNameStoredWhenTheJobRuns) {
  domain::User alice = addUser("alice");
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().setDisplayName(alice.id, std::string("First")).has_value());
    ASSERT_TRUE(enqueueDisplayNameProvisioning(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->users().setDisplayName(alice.id, std::string("Alice A.")).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  const auto sent = homeserver_.lastProvision();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->localpart, "alice");
  EXPECT_EQ(sent->set_displayname, "Alice A.");
  EXPECT_FALSE(sent->unset_displayname);
}

TEST_P(HomeserverJobsTest, DisplayNameProvisioningUnsetsTheNameWhenTheUserClearedIt) {
  domain::User alice = addUser("alice");
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(enqueueDisplayNameProvisioning(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  const auto sent = homeserver_.lastProvision();
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->set_displayname, std::nullopt);
  EXPECT_TRUE(sent->unset_displayname);
}

TEST_P(HomeserverJobsTest, DeviceDeletionRemovesTheDeviceOfAnEndedSession) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  addSession(alice, client, "KEEPDEVICE");
  domain::OAuthSession ended = addSession(alice, client, "GONEDEVICE");
  ASSERT_TRUE(homeserver_.syncDevices("alice", {"KEEPDEVICE", "GONEDEVICE"}).has_value());
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).has_value());
    ASSERT_TRUE(enqueueDeviceDeletion(*tx, rng_, clock_, alice.id, "GONEDEVICE").has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(ran(runner), 1);

  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"KEEPDEVICE"}));
  EXPECT_EQ(homeserver_.calls().back(), "delete_device alice GONEDEVICE");
  EXPECT_EQ(runner.stats().completed, 1u);
}

TEST_P(HomeserverJobsTest, DeviceDeletionKeepsADeviceThatALiveSessionHoldsAgain) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::OAuthSession ended = addSession(alice, client, "SAMEDEVICE");
  ASSERT_TRUE(homeserver_.syncDevices("alice", {"SAMEDEVICE"}).has_value());
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).has_value());
    ASSERT_TRUE(enqueueDeviceDeletion(*tx, rng_, clock_, alice.id, "SAMEDEVICE").has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  // A new login chose the same device id before the job ran.
  addSession(alice, client, "SAMEDEVICE");

  EXPECT_EQ(ran(runner), 1);

  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"SAMEDEVICE"}));
  EXPECT_EQ(runner.stats().completed, 1u);
}

TEST_P(HomeserverJobsTest, ReconciliationSyncsEveryUsersDevicesPageByPageOncePerInterval) {
  domain::OAuthClient client = addClient();
  std::vector<std::string> names = {"alice", "bob", "carol", "dave", "erin"};
  for (const std::string& name : names) {
    domain::User user = addUser(name);
    addSession(user, client, "LIVE" + name);
    // What the homeserver has drifted to: a device mxauth never knew.
    ASSERT_TRUE(homeserver_.syncDevices(name, {"LIVE" + name, "STALE"}).has_value());
  }
  JobRunner runner(*database_, clock_, options());
  registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  scheduleDeviceReconciliation(runner, *database_, rng_, clock_, homeserver_, 6h, 2);

  // Three pages (2 + 2 + 1 users) and five syncs, in a few polls.
  for (int poll = 0; poll < 10 && (poll == 0 || runner.stats().unfinished > 0); ++poll) {
    ASSERT_GE(ran(runner), 0);
  }

  EXPECT_EQ(runner.stats().unfinished, 0);
  EXPECT_EQ(runner.stats().completed, 3u + 5u);
  for (const std::string& name : names) {
    EXPECT_EQ(homeserver_.devices(name), (std::set<std::string>{"LIVE" + name})) << name;
  }
  // Not again within the interval, neither here nor on a second instance
  // sharing the database; again once it has passed.
  clock_.advance(5h);
  JobRunner other(*database_, clock_, options());
  registerHomeserverJobs(other, *database_, clock_, homeserver_);
  scheduleDeviceReconciliation(other, *database_, rng_, clock_, homeserver_, 6h, 2);
  EXPECT_EQ(ran(runner), 0);
  EXPECT_EQ(ran(other), 0);
  clock_.advance(1h);
  EXPECT_EQ(ran(other), 0);   // its own timer started an hour ago
  EXPECT_EQ(ran(runner), 1);  // a new reconciliation: its first page
  EXPECT_EQ(ran(other), 3);   // which the other instance helps to run
}

TEST_P(HomeserverJobsTest, NoReconciliationIsScheduledInStandAloneMode) {
  addUser("alice");
  homeserver::StandaloneConnection standalone("example.com");
  JobRunner runner(*database_, clock_, options());
  scheduleDeviceReconciliation(runner, *database_, rng_, clock_, standalone, 6h, 2);

  EXPECT_EQ(ran(runner), 0);
  auto tx = begin();
  auto last = tx->jobs().lastAddedAt(kReconcileDevicesJob);
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, JobRunnerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, JobRunnerTest, ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, HomeserverJobsTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, HomeserverJobsTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::jobs
