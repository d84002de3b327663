#include "homeserver/synapse_connection.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/synapse_double/synapse_double.h"

// SynapseConnection against the Synapse double (tests/synapse_double), over
// real HTTP: the calls, their bodies and the mapping of Synapse's answers.
namespace mxauth::homeserver {
namespace {

constexpr const char* kSecret = "shared-secret-0123456789";

ProvisionRequest named(std::string localpart) {
  ProvisionRequest request;
  request.localpart = std::move(localpart);
  return request;
}

// The value of a successful call, or nothing (for EXPECT_EQ).
template <class T>
std::optional<T> valueOf(const Result<T, HomeserverError>& result) {
  if (!result) return std::nullopt;
  return *result;
}

class SynapseConnectionTest : public ::testing::Test {
 protected:
  static test::SynapseDoubleOptions doubleOptions() {
    test::SynapseDoubleOptions options;
    options.server_name = "example.test";
    options.secret = kSecret;
    options.existing_localparts = {"Taken"};  // made outside mxauth, in another case
    options.exclusive_localpart_prefix = "bridge_";
    return options;
  }

  SynapseConnection connect(std::string secret = kSecret) {
    SynapseOptions options;
    options.server_name = "example.test";
    options.endpoint = synapse_.baseUrl() + "/";
    options.secret = std::move(secret);
    options.http.total_timeout = std::chrono::milliseconds(2000);
    return SynapseConnection(options);
  }

  test::SynapseDouble synapse_{doubleOptions()};
};

TEST_F(SynapseConnectionTest, ProvisionsAUserThenUpdatesIt) {
  SynapseConnection synapse = connect();
  ProvisionRequest request;
  request.localpart = "alice";
  request.set_displayname = "Alice";
  request.set_emails = std::vector<std::string>{"alice@example.org"};
  request.locked = false;

  EXPECT_EQ(valueOf(synapse.provisionUser(request)), Upsert::Created);
  request.set_displayname = "Alice A.";
  EXPECT_EQ(valueOf(synapse.provisionUser(request)), Upsert::Existed);

  auto user = synapse_.user("alice");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->display_name, "Alice A.");
  EXPECT_EQ(user->emails, (std::vector<std::string>{"alice@example.org"}));
  auto queried = synapse.queryUser("alice");
  ASSERT_TRUE(queried.has_value()) << queried.error().message;
  EXPECT_EQ(queried->user_id, "@alice:example.test");
  EXPECT_EQ(queried->display_name, "Alice A.");
  EXPECT_FALSE(queried->is_deactivated);
}

TEST_F(SynapseConnectionTest, SendsTheSharedSecretAsABearerToken) {
  SynapseConnection synapse = connect();
  ASSERT_TRUE(synapse.provisionUser(named("alice")).has_value());

  std::vector<test::RecordedCall> calls = synapse_.calls("/_synapse/mas/provision_user");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].headers.get("Authorization"), std::string("Bearer ") + kSecret);
  EXPECT_EQ(calls[0].headers.get("Content-Type"), "application/json");
}

TEST_F(SynapseConnectionTest, AWrongSecretIsForbidden) {
  SynapseConnection synapse = connect("not-the-secret");

  auto provisioned = synapse.provisionUser(named("alice"));

  ASSERT_FALSE(provisioned.has_value());
  EXPECT_EQ(provisioned.error().code, HomeserverErrorCode::Forbidden);
  EXPECT_EQ(provisioned.error().status, 403);
  EXPECT_FALSE(synapse_.user("alice").has_value());
}

TEST_F(SynapseConnectionTest, ReadsTheThreeWaysALocalpartIsUnavailable) {
  SynapseConnection synapse = connect();

  EXPECT_EQ(valueOf(synapse.isLocalpartAvailable("alice")), LocalpartAvailability::Available);
  EXPECT_EQ(valueOf(synapse.isLocalpartAvailable("taken")), LocalpartAvailability::InUse);
  EXPECT_EQ(valueOf(synapse.isLocalpartAvailable("TAKEN")), LocalpartAvailability::Invalid);
  EXPECT_EQ(valueOf(synapse.isLocalpartAvailable("bridge_alice")),
            LocalpartAvailability::Exclusive);
  EXPECT_EQ(valueOf(synapse.isLocalpartAvailable("al ice")), LocalpartAvailability::Invalid);
}

TEST_F(SynapseConnectionTest, UpsertsRenamesSyncsAndDeletesDevices) {
  SynapseConnection synapse = connect();
  ASSERT_TRUE(synapse.provisionUser(named("alice")).has_value());

  EXPECT_EQ(valueOf(synapse.upsertDevice("alice", "DEVICEAAAA", std::string("Element"))),
            Upsert::Created);
  EXPECT_EQ(valueOf(synapse.upsertDevice("alice", "DEVICEAAAA", std::nullopt)), Upsert::Existed);
  EXPECT_EQ(valueOf(synapse.upsertDevice("alice", "DEVICEBBBB", std::nullopt)), Upsert::Created);
  EXPECT_TRUE(synapse.updateDeviceDisplayName("alice", "DEVICEBBBB", "Phone").has_value());
  EXPECT_EQ(synapse_.user("alice")->devices.at("DEVICEBBBB").display_name, "Phone");

  EXPECT_TRUE(synapse.syncDevices("alice", {"DEVICEBBBB", "DEVICECCCC"}).has_value());
  EXPECT_FALSE(synapse_.hasDevice("alice", "DEVICEAAAA"));
  EXPECT_TRUE(synapse_.hasDevice("alice", "DEVICECCCC"));

  EXPECT_TRUE(synapse.deleteDevice("alice", "DEVICEBBBB").has_value());  // 204
  EXPECT_FALSE(synapse_.hasDevice("alice", "DEVICEBBBB"));
}

TEST_F(SynapseConnectionTest, AnUnknownUserIsUnknownUser) {
  SynapseConnection synapse = connect();

  auto upserted = synapse.upsertDevice("nobody", "DEVICEAAAA", std::nullopt);
  auto queried = synapse.queryUser("nobody");

  ASSERT_FALSE(upserted.has_value());
  EXPECT_EQ(upserted.error().code, HomeserverErrorCode::UnknownUser);
  EXPECT_EQ(upserted.error().errcode, "M_NOT_FOUND");
  ASSERT_FALSE(queried.has_value());
  EXPECT_EQ(queried.error().code, HomeserverErrorCode::UnknownUser);
}

TEST_F(SynapseConnectionTest, ProfileDeactivationAndCrossSigningCalls) {
  SynapseConnection synapse = connect();
  ASSERT_TRUE(synapse.provisionUser(named("alice")).has_value());

  EXPECT_TRUE(synapse.setDisplayname("alice", "Alice").has_value());
  EXPECT_EQ(synapse_.user("alice")->display_name, "Alice");
  EXPECT_TRUE(synapse.unsetDisplayname("alice").has_value());
  EXPECT_TRUE(synapse.allowCrossSigningReset("alice").has_value());
  EXPECT_EQ(synapse_.user("alice")->cross_signing_reset_allowances, 1);
  EXPECT_TRUE(synapse.deleteUser("alice", true).has_value());
  EXPECT_TRUE(synapse_.user("alice")->deactivated);
  EXPECT_TRUE(synapse_.user("alice")->erased);
  EXPECT_TRUE(synapse.reactivateUser("alice").has_value());
  EXPECT_FALSE(synapse_.user("alice")->deactivated);
}

TEST_F(SynapseConnectionTest, AServerErrorIsFailedAndATimeoutIsUnreachable) {
  SynapseConnection synapse = connect();
  test::Fault failing;
  failing.path = "/_synapse/mas/provision_user";
  failing.status = 500;
  failing.count = 1;
  synapse_.addFault(failing);
  test::Fault slow;
  slow.path = "/_synapse/mas/upsert_device";
  slow.delay = std::chrono::seconds(5);
  slow.count = 1;
  synapse_.addFault(slow);

  auto failed = synapse.provisionUser(named("alice"));
  auto timed_out = synapse.upsertDevice("alice", "DEVICEAAAA", std::nullopt);

  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, HomeserverErrorCode::Failed);
  EXPECT_EQ(failed.error().status, 500);
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().code, HomeserverErrorCode::Unreachable);
  EXPECT_EQ(timed_out.error().status, 0);
}

TEST(SynapseConnectionDownTest, NoHomeserverIsUnreachable) {
  SynapseOptions options;
  options.endpoint = "http://127.0.0.1:1/";
  options.secret = kSecret;
  SynapseConnection synapse(options);

  auto available = synapse.isLocalpartAvailable("alice");

  ASSERT_FALSE(available.has_value());
  EXPECT_EQ(available.error().code, HomeserverErrorCode::Unreachable);
  EXPECT_NE(available.error().message.find("is_localpart_available"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::homeserver
