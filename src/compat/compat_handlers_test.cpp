#include "compat/compat_handlers.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "compat/matrix_error.h"
#include "crypto/key_source.h"
#include "crypto/password_hasher.h"
#include "crypto/token.h"
#include "domain/localpart.h"
#include "homeserver/testing/recording_homeserver.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/token_handler.h"
#include "storage/testing/conformance.h"

// The legacy login API (spec-digest §4) on both backends, with the
// homeserver recorded in memory and the homeserver's introspection run
// through the real introspection endpoint.
namespace mxauth::compat {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "homeserver-secret";

crypto::PasswordHasherOptions cheapHashing() {
  crypto::PasswordHasherOptions options;
  options.argon2 = crypto::Argon2Params{64, 1, 1};
  return options;
}

class CompatHandlersTest : public test::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    oauth::TokenEndpointOptions token_options;
    token_options.issuer = "https://auth.example/";
    token_options.server_name = "example.com";
    token_options.matrix_secret = kSecret;
    endpoints_ = std::make_unique<oauth::TokenEndpoints>(*database_, rng_, clock_, keys_,
                                                         token_options, &homeserver_);
    CompatOptions options;
    options.server_name = "example.com";
    handlers_ = std::make_unique<CompatHandlers>(CompatContext{
        *database_, hasher_, rng_, clock_, homeserver_, endpoints_->introspectionCache(), options});
  }
  void TearDown() override {
    handlers_.reset();
    throttle_.reset();
    endpoints_.reset();
    MigratedDatabaseTest::TearDown();
  }

  // Rebuilds the handlers with login limits.
  void limitLogins(accounts::LoginThrottleOptions limits) {
    throttle_ = std::make_unique<accounts::LoginThrottle>(clock_, limits);
    CompatOptions options;
    options.server_name = "example.com";
    handlers_ = std::make_unique<CompatHandlers>(
        CompatContext{*database_, hasher_, rng_, clock_, homeserver_,
                      endpoints_->introspectionCache(), options, throttle_.get()});
  }

  domain::User addUserWithPassword(const std::string& localpart, const std::string& password) {
    domain::User user = addUser(localpart);
    auto hash = hasher_.hash(rng_, password);
    auto tx = begin();
    EXPECT_TRUE(tx->userPasswords().add(rng_, clock_, user.id, *hash, 1, std::nullopt));
    EXPECT_TRUE(tx->commit());
    return user;
  }

  static http::Request jsonPost(std::string_view path, std::string body,
                                std::optional<std::string> bearer = std::nullopt) {
    auto request = http::Request::make(http::Method::Post, path);
    EXPECT_TRUE(request.has_value());
    request->headers.set("Content-Type", "application/json");
    if (bearer) request->headers.set("Authorization", "Bearer " + *bearer);
    request->body = std::move(body);
    return std::move(*request);
  }

  http::Response login(std::string body) {
    http::Request request = jsonPost("/_matrix/client/v3/login", std::move(body));
    return handlers_->login(request);
  }
  http::Response passwordLogin(std::string_view user, std::string_view password,
                               std::string_view extra = "") {
    return login(R"({"type":"m.login.password","identifier":{"type":"m.id.user","user":")" +
                 std::string(user) + R"("},"password":")" + std::string(password) + "\"" +
                 std::string(extra) + "}");
  }
  // The same login from the client address `from`.
  http::Response passwordLoginFrom(std::string_view from, std::string_view user,
                                   std::string_view password) {
    http::Request request =
        jsonPost("/_matrix/client/v3/login",
                 R"({"type":"m.login.password","identifier":{"type":"m.id.user","user":")" +
                     std::string(user) + R"("},"password":")" + std::string(password) + "\"}");
    request.remote_address = std::string(from);
    return handlers_->login(request);
  }
  static std::int64_t retryAfterMs(const http::Response& response) {
    const auto body = json(response);
    const auto* value = body.if_contains("retry_after_ms");
    return value != nullptr && value->is_int64() ? value->as_int64() : -1;
  }

  static boost::json::object json(const http::Response& response) {
    return boost::json::parse(response.body).as_object();
  }
  static std::string str(const http::Response& response, std::string_view name) {
    auto body = json(response);
    const auto* value = body.if_contains(name);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  }
  static std::string errcode(const http::Response& response) { return str(response, "errcode"); }

  // Introspects as the homeserver does.
  boost::json::object introspect(const std::string& token) {
    auto request = http::Request::make(http::Method::Post, "/oauth2/introspect");
    request->headers.set("Content-Type", "application/x-www-form-urlencoded");
    request->headers.set("Authorization", std::string("Bearer ") + kSecret);
    request->headers.set("X-MAS-Supports-Device-Id", "1");
    request->body = "token=" + token + "&token_type_hint=access_token";  // as Synapse sends
    return boost::json::parse(endpoints_->introspectionHandler().handle(*request).body).as_object();
  }
  bool isActive(const std::string& token) { return introspect(token).at("active").as_bool(); }

  // A browser login of `user` confirmed now (web/compat_sso.h does this),
  // whose login token is `token`; answers its browser session.
  domain::BrowserSessionId confirmBrowserLogin(const domain::User& user, const std::string& token) {
    auto tx = begin();
    storage::NewBrowserSession browser;
    browser.user_id = user.id;
    auto session = tx->browserSessions().add(rng_, clock_, browser);
    auto login = tx->compatSsoLogins().add(rng_, clock_, "https://app.example/cb");
    EXPECT_TRUE(session && login);
    EXPECT_TRUE(*tx->compatSsoLogins().fulfil(clock_, login->id, user.id, session->id,
                                              crypto::tokenHashHex(token)));
    EXPECT_TRUE(tx->commit());
    return session->id;
  }
  http::Response tokenLogin(std::string_view token, std::string_view extra = "") {
    return login(R"({"type":"m.login.token","token":")" + std::string(token) + "\"" +
                 std::string(extra) + "}");
  }

  std::size_t unfinishedJobs() {
    auto tx = begin();
    auto count = tx->jobs().countUnfinished();
    return count ? static_cast<std::size_t>(*count) : 0;
  }

  crypto::PasswordHasher hasher_{cheapHashing()};
  crypto::KeySource keys_;
  mxauth::test::RecordingHomeserver homeserver_{"example.com"};
  std::unique_ptr<oauth::TokenEndpoints> endpoints_;
  std::unique_ptr<accounts::LoginThrottle> throttle_;
  std::unique_ptr<CompatHandlers> handlers_;
};

TEST_P(CompatHandlersTest, AdvertisesPasswordSsoAndTokenLoginAsAnOAuthAwareServer) {
  auto request = http::Request::make(http::Method::Get, "/_matrix/client/v3/login");
  http::Response response = handlers_->loginFlows(*request);

  EXPECT_EQ(response.status, 200);
  boost::json::array flows = json(response).at("flows").as_array();
  ASSERT_EQ(flows.size(), 3u);
  EXPECT_EQ(flows[0].at("type").as_string(), "m.login.password");
  EXPECT_EQ(flows[1].at("type").as_string(), "m.login.sso");
  EXPECT_TRUE(flows[1].at("oauth_aware_preferred").as_bool());
  EXPECT_TRUE(flows[1].at("org.matrix.msc3824.delegated_oidc_compatibility").as_bool());
  EXPECT_FALSE(flows[1].as_object().contains("identity_providers"));
  EXPECT_EQ(flows[2].at("type").as_string(), "m.login.token");
}

TEST_P(CompatHandlersTest, ALoginTokenLogsInOnceAndProvisionsTheDeviceFirst) {
  domain::User alice = addUser("alice");
  confirmBrowserLogin(alice, "the-login-token");

  http::Response response =
      tokenLogin("the-login-token", R"(,"device_id":"SSODEVICE1","refresh_token":true)");

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response, "user_id"), "@alice:example.com");
  EXPECT_EQ(str(response, "device_id"), "SSODEVICE1");
  EXPECT_TRUE(str(response, "refresh_token").starts_with("mcr_"));
  EXPECT_EQ(homeserver_.calls(),
            (std::vector<std::string>{"provision_user alice", "upsert_device alice SSODEVICE1"}));
  EXPECT_TRUE(isActive(str(response, "access_token")));
  // Single use.
  http::Response again = tokenLogin("the-login-token");
  EXPECT_EQ(again.status, 403);
  EXPECT_EQ(errcode(again), "M_FORBIDDEN");
  EXPECT_EQ(homeserver_.calls().size(), 2u);
}

TEST_P(CompatHandlersTest, ALoginTokenExpiresThirtySecondsAfterTheUserConfirmed) {
  domain::User alice = addUser("alice");
  confirmBrowserLogin(alice, "on-time");
  confirmBrowserLogin(alice, "too-late");
  clock_.advance(30s);
  EXPECT_EQ(tokenLogin("on-time").status, 200);

  clock_.advance(1ms);
  http::Response late = tokenLogin("too-late");

  EXPECT_EQ(late.status, 403);
  EXPECT_EQ(errcode(late), "M_FORBIDDEN");
  EXPECT_EQ(str(late, "error"), "Login token expired");
}

TEST_P(CompatHandlersTest, ALoginTokenDiesWithItsBrowserSessionAndItsUsersAccount) {
  domain::User alice = addUser("alice");
  domain::User locked = addUser("locked");
  domain::User gone = addUser("gone");
  const domain::BrowserSessionId signed_out = confirmBrowserLogin(alice, "signed-out");
  confirmBrowserLogin(locked, "locked-token");
  confirmBrowserLogin(gone, "gone-token");
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->browserSessions().finish(clock_, signed_out));
    ASSERT_TRUE(tx->users().lock(clock_, locked.id));
    ASSERT_TRUE(tx->users().deactivate(clock_, gone.id));
    ASSERT_TRUE(tx->commit());
  }

  EXPECT_EQ(errcode(tokenLogin("signed-out")), "M_FORBIDDEN");
  http::Response locked_out = tokenLogin("locked-token");
  EXPECT_EQ(locked_out.status, 401);
  EXPECT_EQ(errcode(locked_out), "M_USER_LOCKED");
  http::Response deactivated = tokenLogin("gone-token");
  EXPECT_EQ(deactivated.status, 403);
  EXPECT_EQ(errcode(deactivated), "M_USER_DEACTIVATED");
  EXPECT_EQ(errcode(login(R"({"type":"m.login.token"})")), "M_BAD_JSON");
  EXPECT_EQ(errcode(login(R"({"type":"m.login.token","token":5})")), "M_BAD_JSON");
  EXPECT_TRUE(homeserver_.calls().empty());
}

TEST_P(CompatHandlersTest, AHomeserverThatIsDownDuringATokenLoginLeavesTheTokenUsable) {
  domain::User alice = addUser("alice");
  confirmBrowserLogin(alice, "keep-me");
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "refused"});

  http::Response failed = tokenLogin("keep-me", R"(,"device_id":"DEV0000002")");

  EXPECT_EQ(failed.status, 503);
  auto tx = begin();
  auto sessions = tx->compatSessions().findActiveByDevice(alice.id, "DEV0000002");
  ASSERT_TRUE(sessions.has_value());
  EXPECT_TRUE(sessions->empty());
  tx.reset();
  homeserver_.clearFailure();
  EXPECT_EQ(tokenLogin("keep-me", R"(,"device_id":"DEV0000002")").status, 200);
}

TEST_P(CompatHandlersTest, PasswordLoginProvisionsTheDeviceFirstAndIssuesAWorkingToken) {
  addUserWithPassword("alice", "correct horse");

  http::Response response = passwordLogin(
      "alice", "correct horse", R"(,"device_id":"PHONE12345","initial_device_display_name":"P")");

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(str(response, "user_id"), "@alice:example.com");
  EXPECT_EQ(str(response, "device_id"), "PHONE12345");
  EXPECT_TRUE(str(response, "access_token").starts_with("mct_"));
  EXPECT_FALSE(json(response).contains("refresh_token"));
  EXPECT_FALSE(json(response).contains("expires_in_ms"));  // never expires
  EXPECT_EQ(homeserver_.calls(),
            (std::vector<std::string>{"provision_user alice", "upsert_device alice PHONE12345"}));
  boost::json::object answer = introspect(str(response, "access_token"));
  ASSERT_TRUE(answer.at("active").as_bool());
  EXPECT_EQ(answer.at("username").as_string(), "alice");
  EXPECT_EQ(answer.at("device_id").as_string(), "PHONE12345");
  const std::string scope(answer.at("scope").as_string());
  EXPECT_NE(scope.find("urn:matrix:client:api:*"), std::string::npos);
  EXPECT_NE(scope.find("urn:matrix:org.matrix.msc2967.client:api:*"), std::string::npos);
  EXPECT_EQ(scope.find("urn:synapse:admin:*"), std::string::npos);
  EXPECT_FALSE(answer.contains("expires_in"));
  clock_.advance(24h * 400);
  EXPECT_TRUE(isActive(str(response, "access_token")));
}

TEST_P(CompatHandlersTest, IntrospectionRecordsTheSessionsActivityInBatches) {
  addUserWithPassword("alice", "correct horse");
  http::Response response = passwordLogin("alice", "correct horse");
  const std::string token = str(response, "access_token");
  clock_.advance(1min);

  ASSERT_TRUE(isActive(token));
  clock_.advance(1min);
  ASSERT_TRUE(isActive(token));  // from the cache: recorded all the same
  EXPECT_EQ(endpoints_->activityTracker().pending(), 1u);
  auto flushed = endpoints_->activityTracker().flush();

  ASSERT_TRUE(flushed.has_value()) << flushed.error().detail;
  EXPECT_EQ(*flushed, 1u);
  auto tx = begin();
  auto alice = tx->users().findByLocalpart("alice");
  auto sessions = tx->compatSessions().listActiveForUser((*alice)->id, {});
  ASSERT_TRUE(sessions.has_value());
  ASSERT_EQ(sessions->size(), 1u);
  EXPECT_EQ(sessions->front().last_active_at, clock_.now());
}

TEST_P(CompatHandlersTest, AcceptsAFullMatrixIdAndTheDeprecatedUserField) {
  addUserWithPassword("alice", "correct horse");

  EXPECT_EQ(passwordLogin("@alice:example.com", "correct horse").status, 200);
  EXPECT_EQ(
      login(R"({"type":"m.login.password","user":"alice","password":"correct horse"})").status,
      200);
  EXPECT_EQ(errcode(passwordLogin("@alice:elsewhere.example", "correct horse")), "M_FORBIDDEN");
}

TEST_P(CompatHandlersTest, GeneratesATenLetterDeviceIdWhenNoneIsGiven) {
  addUserWithPassword("alice", "correct horse");

  const std::string device = str(passwordLogin("alice", "correct horse"), "device_id");

  ASSERT_EQ(device.size(), 10u);
  for (char c : device) EXPECT_TRUE(c >= 'A' && c <= 'Z') << device;
}

TEST_P(CompatHandlersTest, EveryFailureHasItsMatrixError) {
  domain::User locked = addUserWithPassword("locked", "correct horse");
  domain::User gone = addUserWithPassword("gone", "correct horse");
  addUserWithPassword("alice", "correct horse");
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, locked.id));
    ASSERT_TRUE(tx->users().deactivate(clock_, gone.id));
    ASSERT_TRUE(tx->commit());
  }
  const auto expect = [](const http::Response& response, int status, std::string_view code) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(errcode(response), code) << response.body;
    EXPECT_EQ(response.header("Cache-Control"), "no-store");
  };

  expect(passwordLogin("alice", "wrong"), 403, "M_FORBIDDEN");
  expect(passwordLogin("nobody", "correct horse"), 403, "M_FORBIDDEN");
  expect(passwordLogin("locked", "wrong"), 403, "M_FORBIDDEN");  // named only when right
  expect(passwordLogin("locked", "correct horse"), 401, "M_USER_LOCKED");
  expect(passwordLogin("gone", "correct horse"), 403, "M_USER_DEACTIVATED");
  expect(login(R"({"type":"m.login.application_service","identifier":{}})"), 400,
         "M_APPSERVICE_LOGIN_UNSUPPORTED");
  expect(login(R"({"type":"m.login.fancy"})"), 400, "M_UNKNOWN");
  expect(login(R"({"type":"m.login.token","token":"abc"})"), 403, "M_FORBIDDEN");
  expect(login("{not json"), 400, "M_NOT_JSON");
  expect(login("[1]"), 400, "M_BAD_JSON");
  expect(login(R"({"type":7})"), 400, "M_BAD_JSON");
  expect(login(R"({"type":"m.login.password","password":"x"})"), 400, "M_BAD_JSON");
  expect(passwordLogin("alice", "correct horse", R"(,"device_id":"bad device")"), 400,
         "M_INVALID_PARAM");
  http::Request form = jsonPost("/_matrix/client/v3/login", "type=m.login.password");
  form.headers.set("Content-Type", "application/x-www-form-urlencoded");
  expect(handlers_->login(form), 400, "M_NOT_JSON");
  EXPECT_TRUE(homeserver_.calls().empty());  // nothing reached the homeserver
}

// Security checklist G.45 and I.57: ten wrong passwords from one address
// end in 429 with Retry-After after the burst, before any hashing.
TEST_P(CompatHandlersTest, LoginsOverTheAddressLimitAre429BeforeThePasswordIsHashed) {
  addUserWithPassword("alice", "correct horse");
  limitLogins({core::RateLimit{3, 3s}, core::RateLimit{}});
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(passwordLoginFrom("192.0.2.1", "alice", "wrong").status, 403);
  }
  const std::uint64_t hashed = hasher_.started();

  const http::Response limited = passwordLoginFrom("192.0.2.1", "alice", "correct horse");

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(errcode(limited), "M_LIMIT_EXCEEDED");
  EXPECT_FALSE(str(limited, "error").empty());
  EXPECT_EQ(retryAfterMs(limited), 3000);
  EXPECT_EQ(limited.header("Retry-After"), "3");
  EXPECT_EQ(limited.header("Cache-Control"), "no-store");
  EXPECT_EQ(hasher_.started(), hashed) << "the limited attempt was hashed";
  EXPECT_TRUE(homeserver_.calls().empty());
  // Another client is not affected; this one gets an attempt back in time.
  EXPECT_EQ(passwordLoginFrom("192.0.2.2", "alice", "correct horse").status, 200);
  clock_.advance(1s);
  EXPECT_EQ(retryAfterMs(passwordLoginFrom("192.0.2.1", "alice", "correct horse")), 2000);
  clock_.advance(2s);
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "correct horse").status, 200);
}

TEST_P(CompatHandlersTest, AddressesOfOneIpv6Slash64ShareTheirLimit) {
  limitLogins({core::RateLimit{1, 60s}, core::RateLimit{}});

  EXPECT_EQ(passwordLoginFrom("2001:db8:1:2::1", "nobody", "x").status, 403);
  EXPECT_EQ(passwordLoginFrom("2001:db8:1:2::ffff", "nobody", "x").status, 429);
  EXPECT_EQ(passwordLoginFrom("2001:db8:1:3::1", "nobody", "x").status, 403);
}

// Checklist G.45: one wrong password from each of many addresses trips the
// account's limit, and the right password is refused during the block.
TEST_P(CompatHandlersTest, WrongPasswordsFromManyAddressesTripTheAccountLimit) {
  addUserWithPassword("alice", "correct horse");
  addUserWithPassword("bob", "battery staple");
  limitLogins({core::RateLimit{100, 1s}, core::RateLimit{3, 60s}});
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(passwordLoginFrom("198.51.100." + std::to_string(i), "alice", "guess").status, 403);
  }
  const std::uint64_t hashed = hasher_.started();

  const http::Response limited = passwordLoginFrom("198.51.100.50", "alice", "correct horse");

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(retryAfterMs(limited), 60000);
  EXPECT_EQ(limited.header("Retry-After"), "60");
  EXPECT_EQ(hasher_.started(), hashed);
  EXPECT_EQ(passwordLoginFrom("198.51.100.50", "bob", "battery staple").status, 200);
  clock_.advance(60s);
  EXPECT_EQ(passwordLoginFrom("198.51.100.50", "alice", "correct horse").status, 200);
}

TEST_P(CompatHandlersTest, OnlyWrongPasswordsUseUpTheAccountLimit) {
  addUserWithPassword("alice", "correct horse");
  limitLogins({core::RateLimit{}, core::RateLimit{2, 60s}});

  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(passwordLoginFrom("192.0.2.1", "alice", "correct horse").status, 200) << i;
  }
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "typo").status, 403);
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "correct horse").status, 200);
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "typo").status, 403);
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "correct horse").status, 429);
}

TEST_P(CompatHandlersTest, ProbingIsLimitedPerNormalisedNameWhetherOrNotTheAccountExists) {
  addUserWithPassword("alice", "correct horse");
  limitLogins({core::RateLimit{}, core::RateLimit{2, 60s}});

  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "nobody", "x").status, 403);
  EXPECT_EQ(passwordLoginFrom("192.0.2.2", "NoBody", "x").status, 403);
  const http::Response unknown = passwordLoginFrom("192.0.2.3", "@nobody:example.com", "x");
  EXPECT_EQ(passwordLoginFrom("192.0.2.1", "alice", "x").status, 403);
  EXPECT_EQ(passwordLoginFrom("192.0.2.2", "@Alice:example.com", "x").status, 403);
  const http::Response known = passwordLoginFrom("192.0.2.3", "ALICE", "x");

  // The same answer for both: the limit does not tell who exists.
  EXPECT_EQ(unknown.status, 429);
  EXPECT_EQ(known.status, 429);
  EXPECT_EQ(unknown.body, known.body);
}

TEST(MatrixErrorTest, LimitExceededGivesRetryAfterInWholeSecondsRoundedUp) {
  EXPECT_EQ(limitExceeded(1500).header("Retry-After"), "2");
  EXPECT_EQ(limitExceeded(1000).header("Retry-After"), "1");
  EXPECT_EQ(limitExceeded(1).header("Retry-After"), "1");
  EXPECT_EQ(limitExceeded(0).header("Retry-After"), "0");
  EXPECT_NE(limitExceeded(1500).body.find(R"("retry_after_ms":1500)"), std::string::npos);
}

TEST_P(CompatHandlersTest, ReusingADeviceEndsTheEarlierSession) {
  addUserWithPassword("alice", "correct horse");
  const std::string first =
      str(passwordLogin("alice", "correct horse", R"(,"device_id":"PHONE12345")"), "access_token");
  ASSERT_TRUE(isActive(first));

  http::Response second = passwordLogin("alice", "correct horse", R"(,"device_id":"PHONE12345")");

  ASSERT_EQ(second.status, 200);
  EXPECT_FALSE(isActive(first));
  EXPECT_TRUE(isActive(str(second, "access_token")));
}

// A device sync that runs while a login is between putting its device on
// the homeserver and committing its session (another instance's job runner,
// say) must not take the device away: the login answers with a token for it.
TEST_P(CompatHandlersTest, ADeviceSyncDuringALoginLeavesTheLoginsDeviceOnTheHomeserver) {
  domain::User alice = addUserWithPassword("alice", "correct horse");
  jobs::JobRunnerOptions runner_options;
  runner_options.worker_id = "other-instance";
  jobs::JobRunner runner(*database_, clock_, runner_options);
  jobs::registerHomeserverJobs(runner, *database_, clock_, homeserver_);
  {
    auto tx = begin();
    ASSERT_TRUE(jobs::enqueueDeviceSync(*tx, rng_, clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  std::optional<std::size_t> ran;
  homeserver_.afterUpsertDevice([&] {
    auto count = runner.runDueJobs();
    ran = count ? *count : 0;
  });

  http::Response response = passwordLogin("alice", "correct horse", R"(,"device_id":"PHONE12345")");
  homeserver_.afterUpsertDevice({});

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(ran, 1u);
  EXPECT_EQ(unfinishedJobs(), 0u);
  EXPECT_TRUE(isActive(str(response, "access_token")));
  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"PHONE12345"}));
}

TEST_P(CompatHandlersTest, AHomeserverThatIsDownLeavesNoSession) {
  addUserWithPassword("alice", "correct horse");
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "refused"});

  http::Response response = passwordLogin("alice", "correct horse", R"(,"device_id":"DEV0000001")");

  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(errcode(response), "M_UNKNOWN");
  auto tx = begin();
  auto alice = tx->users().findByLocalpart("alice");
  auto sessions = tx->compatSessions().findActiveByDevice((*alice)->id, "DEV0000001");
  ASSERT_TRUE(sessions.has_value());
  EXPECT_TRUE(sessions->empty());
}

TEST_P(CompatHandlersTest, LogoutEndsTheSessionAndQueuesTheDeviceRemoval) {
  addUserWithPassword("alice", "correct horse");
  const std::string token = str(passwordLogin("alice", "correct horse"), "access_token");
  ASSERT_TRUE(isActive(token));  // also cached now

  http::Request request = jsonPost("/_matrix/client/v3/logout", "{}", token);
  http::Response response = handlers_->logout(request);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  EXPECT_FALSE(isActive(token));
  EXPECT_EQ(unfinishedJobs(), 1u);
  EXPECT_EQ(errcode(handlers_->logout(request)), "M_UNKNOWN_TOKEN");
}

TEST_P(CompatHandlersTest, LogoutNeedsACompatToken) {
  http::Request none = jsonPost("/_matrix/client/v3/logout", "{}");
  http::Request oauth = jsonPost("/_matrix/client/v3/logout", "{}",
                                 std::string("mat_0123456789abcdefghijABCDEFGHIJ_000000"));

  EXPECT_EQ(handlers_->logout(none).status, 401);
  EXPECT_EQ(errcode(handlers_->logout(none)), "M_MISSING_TOKEN");
  EXPECT_EQ(errcode(handlers_->logout(oauth)), "M_UNKNOWN_TOKEN");
}

TEST_P(CompatHandlersTest, LogoutAllEndsEverySessionOfTheUser) {
  addUserWithPassword("alice", "correct horse");
  addUserWithPassword("bob", "correct horse");
  const std::string a1 = str(passwordLogin("alice", "correct horse"), "access_token");
  const std::string a2 = str(passwordLogin("alice", "correct horse"), "access_token");
  const std::string b1 = str(passwordLogin("bob", "correct horse"), "access_token");

  http::Request request = jsonPost("/_matrix/client/v3/logout/all", "{}", a1);
  EXPECT_EQ(handlers_->logoutAll(request).status, 200);

  EXPECT_FALSE(isActive(a1));
  EXPECT_FALSE(isActive(a2));
  EXPECT_TRUE(isActive(b1));
}

TEST_P(CompatHandlersTest, RefreshRotatesAndTheOldTokenStaysValidUntilTheNewOneIsUsed) {
  addUserWithPassword("alice", "correct horse");
  http::Response logged_in = passwordLogin("alice", "correct horse", R"(,"refresh_token":true)");
  ASSERT_EQ(logged_in.status, 200);
  EXPECT_TRUE(str(logged_in, "refresh_token").starts_with("mcr_"));
  EXPECT_EQ(json(logged_in).at("expires_in_ms").as_int64(), 300000);
  const std::string old_refresh = str(logged_in, "refresh_token");
  const auto refresh = [&](const std::string& token) {
    http::Request request =
        jsonPost("/_matrix/client/v3/refresh", R"({"refresh_token":")" + token + "\"}");
    return handlers_->refresh(request);
  };

  http::Response lost = refresh(old_refresh);
  ASSERT_EQ(lost.status, 200) << lost.body;
  EXPECT_FALSE(isActive(str(logged_in, "access_token")));
  clock_.advance(5s);
  // The response was lost: the old refresh token still works once.
  http::Response retried = refresh(old_refresh);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_FALSE(isActive(str(lost, "access_token")));
  ASSERT_TRUE(isActive(str(retried, "access_token")));  // now used
  clock_.advance(5s);

  // After the new access token was used, the old refresh token is dead, and
  // presenting it ends the session.
  EXPECT_EQ(errcode(refresh(old_refresh)), "M_UNKNOWN_TOKEN");
  EXPECT_FALSE(isActive(str(retried, "access_token")));
  EXPECT_EQ(errcode(refresh(str(retried, "refresh_token"))), "M_UNKNOWN_TOKEN");
}

TEST_P(CompatHandlersTest, RefreshWithAnythingButACompatRefreshTokenIsUnknownToken) {
  http::Request missing = jsonPost("/_matrix/client/v3/refresh", "{}");
  http::Request bogus = jsonPost("/_matrix/client/v3/refresh", R"({"refresh_token":"mcr_x"})");

  EXPECT_EQ(errcode(handlers_->refresh(missing)), "M_MISSING_PARAM");
  EXPECT_EQ(handlers_->refresh(bogus).status, 401);
  EXPECT_EQ(errcode(handlers_->refresh(bogus)), "M_UNKNOWN_TOKEN");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CompatHandlersTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatHandlersTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::compat
