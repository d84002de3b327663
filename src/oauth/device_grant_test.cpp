#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "crypto/token.h"
#include "homeserver/testing/recording_homeserver.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/device_authorization_handler.h"
#include "oauth/grants/device_code_grant.h"
#include "oauth/token_handler.h"
#include "oauth/token_test_fixture.h"
#include "oauth/user_code.h"

// The device authorization grant end to end at the protocol level
// (RFC 8628): POST /oauth2/device, the approval as /device/{id} leaves it
// (storage), and polling the token endpoint; plus the homeserver learning
// of the device before the tokens exist.
namespace mxauth::oauth {
namespace {

using namespace std::chrono_literals;
using test::TestClient;

constexpr std::string_view kQrScope =
    "openid urn:matrix:client:api:* urn:matrix:client:device:QRDEVICE01";

struct DeviceAuthorization {
  std::string device_code;
  std::string user_code;
  domain::DeviceCodeGrant grant;
};

class DeviceGrantTest : public test::TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    endpoints_ = std::make_unique<TokenEndpoints>(*database_, rng_, clock_, keySource(), options_,
                                                  &homeserver_);
    alice_ = addUser("alice");
  }

  TestClient addDeviceClient(TokenEndpointAuthMethod method = TokenEndpointAuthMethod::None) {
    return addClient(method, {GrantType::DeviceCode, GrantType::RefreshToken});
  }

  http::Response deviceAuthorization(const http::Request& request) {
    return endpoints_->deviceAuthorizationHandler().handle(request);
  }

  DeviceAuthorization start(const TestClient& client, std::string_view scope = kQrScope) {
    http::Response response = deviceAuthorization(
        clientPost(client, kDeviceAuthorizationPath, {{"scope", std::string(scope)}}));
    EXPECT_EQ(response.status, 200) << response.body;
    boost::json::object body = json(response);
    DeviceAuthorization started;
    started.device_code = std::string(body["device_code"].as_string());
    started.user_code = std::string(body["user_code"].as_string());
    started.grant = stored(started.device_code).value_or(domain::DeviceCodeGrant{});
    return started;
  }

  std::optional<domain::DeviceCodeGrant> stored(std::string_view device_code) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->deviceCodeGrants().findByDeviceCodeHash(crypto::tokenHashHex(device_code));
    EXPECT_TRUE(found.has_value());
    return found ? *found : std::nullopt;
  }

  void approve(const DeviceAuthorization& started, const domain::User& user) {
    auto tx = begin();
    auto browser = tx->browserSessions().add(rng_, clock_, {user.id, "Browser/1.0", "192.0.2.9"});
    ASSERT_TRUE(browser.has_value());
    auto approved = tx->deviceCodeGrants().approve(clock_, started.grant.id, user.id, browser->id);
    ASSERT_TRUE(approved.has_value() && *approved);
    ASSERT_TRUE(tx->commit().has_value());
  }

  void deny(const DeviceAuthorization& started) {
    auto tx = begin();
    ASSERT_TRUE(tx->deviceCodeGrants().deny(clock_, started.grant.id).value_or(false));
    ASSERT_TRUE(tx->commit().has_value());
  }

  http::Response poll(const TestClient& client, const std::string& device_code) {
    return token(clientPost(
        client, "/oauth2/token",
        {{"grant_type", std::string(kDeviceCodeGrantType)}, {"device_code", device_code}}));
  }

  test::RecordingHomeserver homeserver_;
  domain::User alice_;
};

TEST_P(DeviceGrantTest, TheDeviceGetsALongDeviceCodeAndAShortGroupedUserCode) {
  TestClient client = addDeviceClient();

  http::Response response = deviceAuthorization(
      clientPost(client, kDeviceAuthorizationPath, {{"scope", std::string(kQrScope)}}));

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  boost::json::object body = json(response);
  const std::string device_code(body["device_code"].as_string());
  const std::string user_code(body["user_code"].as_string());
  EXPECT_EQ(device_code.size(), 43u);  // 32 bytes, base64url
  ASSERT_EQ(user_code.size(), 9u);
  EXPECT_EQ(user_code[4], '-');
  const auto normalized = normalizeUserCode(user_code);
  ASSERT_TRUE(normalized.has_value()) << user_code;
  EXPECT_EQ(body["verification_uri"].as_string(), std::string(test::kIssuer) + "link");
  EXPECT_EQ(body["verification_uri_complete"].as_string(),
            std::string(test::kIssuer) + "link?code=" + *normalized);
  EXPECT_EQ(body["expires_in"].as_int64(), 1200);
  EXPECT_EQ(body["interval"].as_int64(), 5);

  const auto grant = stored(device_code);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->user_code, *normalized);
  EXPECT_EQ(grant->client_id, client.client.id);
  EXPECT_EQ(grant->scope, kQrScope);
  EXPECT_EQ(grant->expires_at, clock_.now() + 1200s);
}

TEST_P(DeviceGrantTest, TheEndpointRefusesBadRequestsWithOAuthErrors) {
  TestClient device_client = addDeviceClient();
  TestClient code_only = addPublicClient();
  TestClient confidential = addDeviceClient(TokenEndpointAuthMethod::ClientSecretPost);

  const auto errorFor = [&](const http::Request& request) {
    http::Response response = deviceAuthorization(request);
    return std::to_string(response.status) + " " + errorOf(response);
  };
  EXPECT_EQ(errorFor(clientPost(code_only, kDeviceAuthorizationPath, {{"scope", "openid"}})),
            "400 unauthorized_client");
  EXPECT_EQ(errorFor(post(kDeviceAuthorizationPath,
                          {{"client_id", "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, {"scope", "openid"}})),
            "401 invalid_client");
  EXPECT_EQ(errorFor(post(kDeviceAuthorizationPath,
                          {{"client_id", confidential.id()}, {"scope", "openid"}})),
            "401 invalid_client");
  EXPECT_EQ(errorFor(clientPost(device_client, kDeviceAuthorizationPath,
                                {{"scope", std::string(kQrScope)}, {"prompt", "create"}})),
            "400 invalid_request");
  EXPECT_EQ(errorFor(clientPost(device_client, kDeviceAuthorizationPath, {})), "400 invalid_scope");
  EXPECT_EQ(errorFor(clientPost(device_client, kDeviceAuthorizationPath,
                                {{"scope", "urn:matrix:client:device:QRDEVICE01"}})),
            "400 invalid_scope");
  EXPECT_EQ(errorFor(clientPost(device_client, kDeviceAuthorizationPath,
                                {{"scope", "openid"}, {"scope", "openid"}})),
            "400 invalid_request");
  EXPECT_EQ(
      deviceAuthorization(clientPost(confidential, kDeviceAuthorizationPath, {{"scope", "openid"}}))
          .status,
      200);
}

TEST_P(DeviceGrantTest, PollingWhilePendingSaysPendingAndSlowsDownAFastDevice) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);

  http::Response first = poll(client, started.device_code);
  clock_.advance(2s);
  http::Response too_soon = poll(client, started.device_code);
  clock_.advance(9s);  // 5 s were not enough any more: the interval is 10 s
  http::Response still_too_soon = poll(client, started.device_code);
  clock_.advance(15s);
  http::Response patient = poll(client, started.device_code);

  EXPECT_EQ(first.status, 400);
  EXPECT_EQ(errorOf(first), "authorization_pending");
  EXPECT_EQ(too_soon.status, 400);
  EXPECT_EQ(errorOf(too_soon), "slow_down");
  EXPECT_EQ(errorOf(still_too_soon), "slow_down");
  EXPECT_EQ(errorOf(patient), "authorization_pending");
  EXPECT_EQ(stored(started.device_code)->interval_seconds, 15);
  EXPECT_TRUE(homeserver_.calls().empty());
}

TEST_P(DeviceGrantTest, DeniedExpiredUnknownAndForeignCodesEachGetTheirError) {
  TestClient client = addDeviceClient();
  TestClient other = addDeviceClient();
  DeviceAuthorization denied = start(client);
  DeviceAuthorization approved_late = start(client);
  DeviceAuthorization foreign = start(other);
  deny(denied);
  approve(approved_late, alice_);

  EXPECT_EQ(errorOf(poll(client, denied.device_code)), "access_denied");
  EXPECT_EQ(errorOf(poll(client, foreign.device_code)), "invalid_grant");
  EXPECT_EQ(errorOf(poll(client, "not-a-device-code")), "invalid_grant");
  clock_.advance(1200s);
  http::Response expired = poll(client, approved_late.device_code);
  EXPECT_EQ(expired.status, 400);
  EXPECT_EQ(errorOf(expired), "expired_token");
  EXPECT_EQ(errorOf(poll(other, foreign.device_code)), "expired_token");
  EXPECT_TRUE(homeserver_.calls().empty());
}

TEST_P(DeviceGrantTest, AnApprovedCodeGivesTokensOnceAfterTheDeviceIsOnTheHomeserver) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  EXPECT_EQ(errorOf(poll(client, started.device_code)), "authorization_pending");
  approve(started, alice_);
  clock_.advance(5s);

  http::Response granted = poll(client, started.device_code);

  ASSERT_EQ(granted.status, 200) << granted.body;
  boost::json::object body = json(granted);
  EXPECT_TRUE(body.contains("access_token"));
  EXPECT_TRUE(body.contains("refresh_token"));
  EXPECT_TRUE(body.contains("id_token"));
  EXPECT_EQ(body["scope"].as_string(), kQrScope);
  EXPECT_EQ(homeserver_.calls(),
            (std::vector<std::string>{"provision_user alice", "upsert_device alice QRDEVICE01"}));
  http::Response introspection = introspect(std::string(body["access_token"].as_string()), true);
  EXPECT_TRUE(isActive(introspection)) << introspection.body;
  EXPECT_NE(introspection.body.find("QRDEVICE01"), std::string::npos);
  const auto exchanged = stored(started.device_code);
  ASSERT_TRUE(exchanged && exchanged->session_id);
  {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto session = tx->oauthSessions().lookup(*exchanged->session_id);
    ASSERT_TRUE(session && *session);
    EXPECT_EQ((*session)->device_id, "QRDEVICE01");
    EXPECT_EQ((*session)->user_id, alice_.id);
  }

  // Single use (checklist H.53).
  clock_.advance(5s);
  http::Response again = poll(client, started.device_code);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(errorOf(again), "invalid_grant");
}

TEST_P(DeviceGrantTest, TheHomeserverBeingDownLeavesTheApprovedCodeUsable) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  approve(started, alice_);
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "connect refused"});

  http::Response refused = poll(client, started.device_code);
  homeserver_.clearFailure();
  http::Response retried = poll(client, started.device_code);

  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(errorOf(refused), "temporarily_unavailable");
  EXPECT_EQ(retried.status, 200) << retried.body;
}

// The session is created after the device is on the homeserver: a device
// sync running in between (another instance's job runner) keeps the device,
// which the exchange reserved first (jobs/homeserver_jobs.h).
TEST_P(DeviceGrantTest, ADeviceSyncDuringTheExchangeLeavesTheDeviceOnTheHomeserver) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  approve(started, alice_);
  jobs::JobRunnerOptions runner_options;
  runner_options.worker_id = "other-instance";
  jobs::JobRunner runner(*database_, clock_, runner_options);
  jobs::registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(jobs::enqueueDeviceSync(*tx, rng_, clock_, alice_.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  std::size_t ran = 0;
  homeserver_.afterUpsertDevice([&] { ran += runner.runDueJobs().value_or(0); });

  http::Response granted = poll(client, started.device_code);
  homeserver_.afterUpsertDevice({});

  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(ran, 1u);
  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"QRDEVICE01"}));
  EXPECT_TRUE(isActive(introspect(std::string(json(granted)["access_token"].as_string()), true)));
}

// A reservation outlived (purged by a sync as expired) may have let a sync
// remove the device: the exchange then stores nothing and may be retried.
TEST_P(DeviceGrantTest, AnExchangeWhoseDeviceReservationWasPurgedGetsNoTokensAndMayRetry) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  approve(started, alice_);
  jobs::JobRunner runner(*database_, clock_, jobs::JobRunnerOptions{});
  jobs::registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  homeserver_.afterUpsertDevice([&] {
    homeserver_.afterUpsertDevice({});
    clock_.advance(jobs::kDeviceReservationTtl);
    auto tx = begin();
    ASSERT_TRUE(jobs::enqueueDeviceSync(*tx, rng_, clock_, alice_.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
    ASSERT_EQ(runner.runDueJobs().value_or(0), 1u);
  });

  http::Response refused = poll(client, started.device_code);

  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(errorOf(refused), "temporarily_unavailable");
  EXPECT_TRUE(homeserver_.devices("alice").empty());
  const auto grant = stored(started.device_code);
  ASSERT_TRUE(grant.has_value());
  EXPECT_FALSE(grant->exchanged_at.has_value());
  http::Response retried = poll(client, started.device_code);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"QRDEVICE01"}));
}

// The token endpoint reads the code to provision before the grant's
// transaction; a user approving in between must not get a session whose
// device the homeserver never heard of. The grant sees what the endpoint
// did (homeserver_ready) and makes the client poll again.
TEST_P(DeviceGrantTest, ACodeApprovedAfterTheEndpointLookedWaitsForThePollThatProvisions) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  approve(started, alice_);
  const AuthenticatedClient authenticated{client.client, client.metadata,
                                          TokenEndpointAuthMethod::None};
  const http::FormParams form(
      {{"grant_type", std::string(kDeviceCodeGrantType)}, {"device_code", started.device_code}});
  const std::shared_ptr<const crypto::KeySet> keys = keySource().current();
  const TokenIssuer issuer(rng_, clock_, options_.lifetimes);
  IntrospectionCache cache(16, 1s);
  {
    auto tx = begin();
    const GrantContext looked_before_approval{
        *tx,   clock_,        rng_, *keys, options_,     issuer,
        cache, authenticated, form, "",    std::nullopt, /*homeserver_ready=*/false};

    auto answer = deviceCodeGrant(looked_before_approval);

    ASSERT_FALSE(answer.has_value());
    EXPECT_EQ(answer.error().code, OAuthErrorCode::AuthorizationPending);
  }
  const auto grant = stored(started.device_code);
  ASSERT_TRUE(grant.has_value());
  EXPECT_FALSE(grant->exchanged_at.has_value()) << "no session was created";
  EXPECT_TRUE(homeserver_.calls().empty());

  clock_.advance(5s);
  http::Response granted = poll(client, started.device_code);

  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(homeserver_.calls(),
            (std::vector<std::string>{"provision_user alice", "upsert_device alice QRDEVICE01"}));
}

TEST_P(DeviceGrantTest, AUserLockedAfterApprovingGetsNoTokens) {
  TestClient client = addDeviceClient();
  DeviceAuthorization started = start(client);
  approve(started, alice_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, alice_.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  http::Response refused = poll(client, started.device_code);

  EXPECT_EQ(errorOf(refused), "invalid_grant");
  EXPECT_TRUE(homeserver_.calls().empty());
}

TEST_P(DeviceGrantTest, AClientNotRegisteredForTheGrantCannotPoll) {
  TestClient client = addDeviceClient();
  TestClient code_only = addPublicClient();
  DeviceAuthorization started = start(client);

  EXPECT_EQ(errorOf(poll(code_only, started.device_code)), "unauthorized_client");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DeviceGrantTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DeviceGrantTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
