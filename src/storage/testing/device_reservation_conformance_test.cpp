#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/device_reservation_repository.h"
#include "storage/testing/oauth_conformance.h"

// DeviceReservationRepository (storage/device_reservation_repository.h):
// reservations are single use, count as held devices until consumed or
// purged, and the held devices are those of active sessions of both kinds
// and of reservations, each once.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class DeviceReservationConformanceTest : public OAuthConformanceTest {
 protected:
  domain::DeviceReservationId reserve(const domain::User& user, std::string_view device,
                                      Timestamp expires_at) {
    auto tx = begin();
    auto reserved = tx->deviceReservations().add(rng_, clock_, user.id, device, expires_at);
    EXPECT_TRUE(reserved.has_value()) << reserved.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return reserved.value_or(domain::DeviceReservationId());
  }

  std::vector<std::string> held(const domain::User& user) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto devices = tx->deviceReservations().heldDeviceIds(user.id);
    EXPECT_TRUE(devices.has_value()) << devices.error().detail;
    return devices.value_or(std::vector<std::string>{});
  }

  bool consume(const domain::DeviceReservationId& id) {
    auto tx = begin();
    auto consumed = tx->deviceReservations().consume(id);
    EXPECT_TRUE(consumed.has_value()) << consumed.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return consumed.value_or(false);
  }

  void addCompatSessionOn(const domain::User& user, std::string device) {
    auto tx = begin();
    storage::NewCompatSession session;
    session.user_id = user.id;
    session.device_id = std::move(device);
    session.user_agent = "test-agent";
    EXPECT_TRUE(tx->compatSessions().add(rng_, clock_, session).has_value());
    EXPECT_TRUE(tx->commit().has_value());
  }
};

TEST_P(DeviceReservationConformanceTest, HeldDevicesAreThoseOfActiveSessionsAndReservationsOnce) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthClient client = addClient();
  addSession(client, alice, "OAUTHDEV");
  addSession(client, alice);  // no device
  domain::OAuthSession ended = addSession(client, alice, "ENDEDDEV");
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  addCompatSessionOn(alice, "COMPATDEV");
  reserve(alice, "RESERVEDDEV", clock_.now() + 10min);
  reserve(alice, "OAUTHDEV", clock_.now() + 10min);  // the same device twice
  reserve(bob, "BOBSDEV", clock_.now() + 10min);

  EXPECT_EQ(held(alice), (std::vector<std::string>{"COMPATDEV", "OAUTHDEV", "RESERVEDDEV"}));
  EXPECT_EQ(held(bob), (std::vector<std::string>{"BOBSDEV"}));
}

TEST_P(DeviceReservationConformanceTest, AReservationIsConsumedOnceAndThenNoLongerHeld) {
  domain::User alice = addUser("alice");
  const domain::DeviceReservationId first = reserve(alice, "PHONE", clock_.now() + 10min);
  const domain::DeviceReservationId second = reserve(alice, "PHONE", clock_.now() + 10min);
  EXPECT_NE(first, second);

  EXPECT_TRUE(consume(first));
  EXPECT_FALSE(consume(first));
  EXPECT_EQ(held(alice), (std::vector<std::string>{"PHONE"}));  // the second still holds it
  EXPECT_TRUE(consume(second));
  EXPECT_TRUE(held(alice).empty());
}

TEST_P(DeviceReservationConformanceTest, AnExpiredReservationIsHeldUntilPurgedAndThenCannotBeUsed) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  const Timestamp start = clock_.now();
  const domain::DeviceReservationId expiring = reserve(alice, "OLD", start + 1min);
  reserve(alice, "YOUNG", start + 20min);
  reserve(bob, "BOBS", start);
  clock_.advance(5min);
  EXPECT_EQ(held(alice), (std::vector<std::string>{"OLD", "YOUNG"}));

  auto tx = begin();
  auto purged = tx->deviceReservations().purgeExpired(alice.id, start + 1min);
  ASSERT_TRUE(purged.has_value()) << purged.error().detail;
  ASSERT_TRUE(tx->commit().has_value());

  EXPECT_EQ(*purged, 1);  // expires_at at or before `now`; only alice's
  EXPECT_EQ(held(alice), (std::vector<std::string>{"YOUNG"}));
  EXPECT_EQ(held(bob), (std::vector<std::string>{"BOBS"}));
  EXPECT_FALSE(consume(expiring));
}

TEST_P(DeviceReservationConformanceTest, AReservationForAnUnknownUserIsAConstraintViolation) {
  auto tx = begin();
  auto reserved = tx->deviceReservations().add(rng_, clock_, domain::UserId("01NOSUCHUSER"),
                                               "PHONE", clock_.now() + 10min);
  ASSERT_FALSE(reserved.has_value());
  EXPECT_EQ(reserved.error().code, storage::StorageErrorCode::Constraint);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DeviceReservationConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DeviceReservationConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
