#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/device_code_grant_repository.h"
#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// DeviceCodeGrantRepository (storage/device_code_grant_repository.h,
// RFC 8628): a grant is found by its user code and by its device code's
// hash on unique indexes; polls keep their distance or slow down; approval,
// denial and the exchange are conditional writes that win once, also when
// several devices race with one device code.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::PollPace;
using storage::StorageErrorCode;

const domain::DeviceCodeGrantId kUnknownDeviceGrant("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class DeviceCodeGrantConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    client_ = addClient();
    alice_ = addUser("alice");
    browser_ = addBrowserSession(alice_);
  }

  storage::NewDeviceCodeGrant newGrant(std::string user_code, std::string_view device_label) {
    storage::NewDeviceCodeGrant grant;
    grant.client_id = client_.id;
    grant.scope = "openid urn:matrix:client:api:* urn:matrix:client:device:QRDEVICE";
    grant.device_code_hash = fakeHash(device_label);
    grant.user_code = std::move(user_code);
    grant.expires_at = clock_.now() + 1200s;
    grant.interval_seconds = 5;
    return grant;
  }

  domain::DeviceCodeGrant addPending(std::string user_code = "BCDFGHJK",
                                     std::string_view device_label = "device") {
    auto tx = begin();
    auto added =
        tx->deviceCodeGrants().add(rng_, clock_, newGrant(std::move(user_code), device_label));
    EXPECT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return added.value_or(domain::DeviceCodeGrant{});
  }

  domain::DeviceCodeGrant addApproved(std::string user_code, std::string_view device_label) {
    domain::DeviceCodeGrant grant = addPending(std::move(user_code), device_label);
    auto tx = begin();
    auto approved = tx->deviceCodeGrants().approve(clock_, grant.id, alice_.id, browser_.id);
    EXPECT_TRUE(approved.has_value() && *approved);
    EXPECT_TRUE(tx->commit().has_value());
    return grant;
  }

  domain::DeviceCodeGrant reload(const domain::DeviceCodeGrantId& id) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->deviceCodeGrants().lookup(id);
    EXPECT_TRUE(found.has_value() && found->has_value());
    return found && *found ? **found : domain::DeviceCodeGrant{};
  }

  std::optional<PollPace> poll(const domain::DeviceCodeGrantId& id) {
    auto tx = begin();
    auto pace = tx->deviceCodeGrants().recordPoll(clock_, id, 5);
    EXPECT_TRUE(pace.has_value()) << pace.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return pace.value_or(std::nullopt);
  }

  domain::OAuthClient client_;
  domain::User alice_;
  domain::BrowserSession browser_;
};

TEST_P(DeviceCodeGrantConformanceTest, AddsAPendingGrantWithIdAndTimeFromRngAndClock) {
  domain::DeviceCodeGrant added = addPending("BCDFGHJK", "device");

  domain::DeviceCodeGrant stored = reload(added.id);
  EXPECT_EQ(stored, added);
  EXPECT_EQ(stored.client_id, client_.id);
  EXPECT_EQ(stored.user_code, "BCDFGHJK");
  EXPECT_EQ(stored.device_code_hash, fakeHash("device"));
  EXPECT_EQ(stored.created_at, clock_.now());
  EXPECT_EQ(stored.expires_at, clock_.now() + 1200s);
  EXPECT_EQ(stored.interval_seconds, 5);
  EXPECT_TRUE(stored.isPendingAt(clock_.now()));
  EXPECT_FALSE(stored.last_polled_at.has_value());
}

TEST_P(DeviceCodeGrantConformanceTest, ATakenUserCodeIsAConflictThatLeavesTheTransactionUsable) {
  addPending("BCDFGHJK", "first");

  auto tx = begin();
  auto taken = tx->deviceCodeGrants().add(rng_, clock_, newGrant("BCDFGHJK", "second"));
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().code, StorageErrorCode::Conflict);
  // The caller draws another code in the same transaction.
  auto retried = tx->deviceCodeGrants().add(rng_, clock_, newGrant("LMNPQRST", "second"));
  ASSERT_TRUE(retried.has_value()) << retried.error().detail;
  ASSERT_TRUE(tx->commit().has_value());
  EXPECT_EQ(reload(retried->id).user_code, "LMNPQRST");
}

TEST_P(DeviceCodeGrantConformanceTest, FindsAGrantByUserCodeAndByDeviceCodeHashOnly) {
  domain::DeviceCodeGrant grant = addPending("BCDFGHJK", "device");
  addPending("LMNPQRST", "other");

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto by_user_code = tx->deviceCodeGrants().findByUserCode("BCDFGHJK");
  auto by_hash = tx->deviceCodeGrants().findByDeviceCodeHash(fakeHash("device"));
  auto no_code = tx->deviceCodeGrants().findByUserCode("BCDFGHJL");
  auto lower_case = tx->deviceCodeGrants().findByUserCode("bcdfghjk");
  auto no_hash = tx->deviceCodeGrants().findByDeviceCodeHash(fakeHash("nope"));
  auto unknown = tx->deviceCodeGrants().lookup(kUnknownDeviceGrant);
  ASSERT_TRUE(by_user_code && by_hash && no_code && lower_case && no_hash && unknown);
  ASSERT_TRUE(by_user_code->has_value() && by_hash->has_value());
  EXPECT_EQ((*by_user_code)->id, grant.id);
  EXPECT_EQ((*by_hash)->id, grant.id);
  EXPECT_FALSE(no_code->has_value());
  EXPECT_FALSE(lower_case->has_value());
  EXPECT_FALSE(no_hash->has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(DeviceCodeGrantConformanceTest, LookupsUseTheUniqueIndexes) {
  addPending("BCDFGHJK", "device");
  const std::string by_hash = queryPlan(
      GetParam(), test_database_->location(),
      "SELECT id FROM device_code_grants WHERE device_code_hash = '" + fakeHash("device") + "'");
  const std::string by_code =
      queryPlan(GetParam(), test_database_->location(),
                "SELECT id FROM device_code_grants WHERE user_code = 'BCDFGHJK'");

  EXPECT_NE(by_hash.find("device_code_grants_device_code_hash_key"), std::string::npos) << by_hash;
  EXPECT_NE(by_code.find("device_code_grants_user_code_key"), std::string::npos) << by_code;
}

TEST_P(DeviceCodeGrantConformanceTest, APollTooSoonAfterTheLastSlowsDownByTheStep) {
  domain::DeviceCodeGrant grant = addPending();

  EXPECT_EQ(poll(grant.id), PollPace::InTime);  // the first poll is always in time
  clock_.advance(4s);
  EXPECT_EQ(poll(grant.id), PollPace::TooFast);
  EXPECT_EQ(reload(grant.id).interval_seconds, 10);
  clock_.advance(9s);  // the interval is now 10 s, counted from the last poll
  EXPECT_EQ(poll(grant.id), PollPace::TooFast);
  EXPECT_EQ(reload(grant.id).interval_seconds, 15);
  clock_.advance(15s);
  EXPECT_EQ(poll(grant.id), PollPace::InTime);
  domain::DeviceCodeGrant stored = reload(grant.id);
  EXPECT_EQ(stored.interval_seconds, 15);
  EXPECT_EQ(stored.last_polled_at, clock_.now());
}

TEST_P(DeviceCodeGrantConformanceTest, PollsOfAGrantThatIsNotPendingRecordNothing) {
  domain::DeviceCodeGrant approved = addApproved("BCDFGHJK", "approved");
  domain::DeviceCodeGrant denied = addPending("LMNPQRST", "denied");
  domain::DeviceCodeGrant expiring = addPending("VWXZBCDF", "expiring");
  {
    auto tx = begin();
    auto refused = tx->deviceCodeGrants().deny(clock_, denied.id);
    ASSERT_TRUE(refused.has_value() && *refused);
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(poll(approved.id), std::nullopt);
  EXPECT_EQ(poll(denied.id), std::nullopt);
  EXPECT_EQ(poll(kUnknownDeviceGrant), std::nullopt);
  clock_.advance(1200s);
  EXPECT_EQ(poll(expiring.id), std::nullopt);
  EXPECT_FALSE(reload(approved.id).last_polled_at.has_value());
  EXPECT_FALSE(reload(expiring.id).last_polled_at.has_value());
}

TEST_P(DeviceCodeGrantConformanceTest, ApprovalAndDenialEachWinOnceAndOnlyBeforeExpiry) {
  domain::DeviceCodeGrant grant = addPending("BCDFGHJK", "one");
  domain::DeviceCodeGrant late = addPending("LMNPQRST", "late");
  clock_.advance(60s);

  {
    auto tx = begin();
    auto approved = tx->deviceCodeGrants().approve(clock_, grant.id, alice_.id, browser_.id);
    auto again = tx->deviceCodeGrants().approve(clock_, grant.id, alice_.id, browser_.id);
    auto deny_after = tx->deviceCodeGrants().deny(clock_, grant.id);
    ASSERT_TRUE(approved && again && deny_after);
    EXPECT_TRUE(*approved);
    EXPECT_FALSE(*again);
    EXPECT_FALSE(*deny_after);
    ASSERT_TRUE(tx->commit().has_value());
  }
  domain::DeviceCodeGrant stored = reload(grant.id);
  EXPECT_EQ(stored.approved_at, clock_.now());
  EXPECT_EQ(stored.user_id, alice_.id);
  EXPECT_EQ(stored.browser_session_id, browser_.id);
  EXPECT_FALSE(stored.denied_at.has_value());

  clock_.advance(1200s);
  auto tx = begin();
  auto approve_late = tx->deviceCodeGrants().approve(clock_, late.id, alice_.id, browser_.id);
  auto deny_late = tx->deviceCodeGrants().deny(clock_, late.id);
  ASSERT_TRUE(approve_late && deny_late);
  EXPECT_FALSE(*approve_late);
  EXPECT_FALSE(*deny_late);
}

TEST_P(DeviceCodeGrantConformanceTest, ExchangingNeedsAnApprovedUnexpiredGrantAndSucceedsOnce) {
  domain::DeviceCodeGrant pending = addPending("BCDFGHJK", "pending");
  domain::DeviceCodeGrant approved = addApproved("LMNPQRST", "approved");
  domain::DeviceCodeGrant expired = addApproved("VWXZBCDF", "expired");
  domain::OAuthSession session = addSession(client_, alice_, "QRDEVICE");

  auto tx = begin();
  auto of_pending = tx->deviceCodeGrants().exchange(clock_, pending.id, session.id);
  auto first = tx->deviceCodeGrants().exchange(clock_, approved.id, session.id);
  auto again = tx->deviceCodeGrants().exchange(clock_, approved.id, session.id);
  ASSERT_TRUE(tx->commit().has_value());
  clock_.advance(1200s);
  auto later = begin();
  auto of_expired = later->deviceCodeGrants().exchange(clock_, expired.id, session.id);
  ASSERT_TRUE(later->commit().has_value());

  ASSERT_TRUE(of_pending && first && again && of_expired);
  EXPECT_FALSE(*of_pending);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  EXPECT_FALSE(*of_expired);
  domain::DeviceCodeGrant stored = reload(approved.id);
  EXPECT_EQ(stored.session_id, session.id);
  EXPECT_TRUE(stored.exchanged_at.has_value());
  EXPECT_FALSE(reload(expired.id).exchanged_at.has_value());
}

TEST_P(DeviceCodeGrantConformanceTest, OfConcurrentExchangesOfOneDeviceCodeExactlyOneSucceeds) {
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  const std::string alphabet = "BCDFGHJKLMNPQRSTVWXZ";
  for (int round = 0; round < kRounds; ++round) {
    const std::string code = "BCDFGHJ" + std::string(1, alphabet[static_cast<std::size_t>(round)]);
    domain::DeviceCodeGrant grant = addApproved(code, "race" + std::to_string(round));
    std::vector<domain::OAuthSessionId> sessions;
    for (int racer = 0; racer < kRacers; ++racer) {
      sessions.push_back(addSession(client_, alice_, "QR" + std::to_string(racer)).id);
    }

    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers, [&](storage::Transaction& tx, int racer) {
          return tx.deviceCodeGrants().exchange(clock_, grant.id,
                                                sessions[static_cast<std::size_t>(racer)]);
        });

    expectOneWinner(attempts);
    domain::DeviceCodeGrant stored = reload(grant.id);
    ASSERT_TRUE(stored.session_id.has_value());
    for (int racer = 0; racer < kRacers; ++racer) {
      if (attempts[static_cast<std::size_t>(racer)].won) {
        EXPECT_EQ(*stored.session_id, sessions[static_cast<std::size_t>(racer)]);
      }
    }
  }
}

TEST_P(DeviceCodeGrantConformanceTest, OfConcurrentPollsExactlyOneIsInTime) {
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  domain::DeviceCodeGrant grant = addPending();
  for (int round = 0; round < kRounds; ++round) {
    clock_.advance(60s);  // past the interval (a step of 0 keeps it at 5 s)

    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers, [&](storage::Transaction& tx, int) {
          auto pace = tx.deviceCodeGrants().recordPoll(clock_, grant.id, 0);
          if (!pace) return Result<bool, storage::StorageError>(unexpected(pace.error()));
          return Result<bool, storage::StorageError>(*pace == PollPace::InTime);
        });

    expectOneWinner(attempts);
  }
}

TEST_P(DeviceCodeGrantConformanceTest, DeletingTheClientDeletesItsGrants) {
  domain::DeviceCodeGrant grant = addPending();
  std::string pragma = GetParam() == Backend::Sqlite ? "PRAGMA foreign_keys = ON; " : "";
  auto deleted = test_database_->executeRaw(pragma + "DELETE FROM oauth_clients WHERE id = '" +
                                            client_.id.str() + "'");
  ASSERT_TRUE(deleted.has_value()) << deleted.error();

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->deviceCodeGrants().lookup(grant.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DeviceCodeGrantConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DeviceCodeGrantConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
