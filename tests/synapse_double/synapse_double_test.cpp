// The double against the digest (spec-digest §5): every /_synapse/mas
// endpoint's answers, whoami against a fake introspection endpoint, the
// re-served metadata, the compat proxy against a fake upstream, faults, the
// HTTP controls and the executable.

#include "tests/synapse_double/synapse_double.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <csignal>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/testing/fakes.h"
#include "core/worker_pool.h"
#include "http/client.h"
#include "http/router.h"
#include "http/testing/running_server.h"
#include "http/testing/test_client.h"
#include "http/url_encoding.h"

extern char** environ;

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "shared-secret-for-tests";
constexpr std::string_view kToken = "mat_access_token_1";

boost::json::value json(const RawResponse& response) { return boost::json::parse(response.body); }

std::string errcodeOf(const RawResponse& response) {
  const boost::json::value body = json(response);
  return std::string(body.at("errcode").as_string());
}

// A request mxauth's side saw.
struct SeenRequest {
  std::string method;
  std::string target;
  http::Headers headers;
  std::string body;
};

// Plays mxauth for the double: the discovery document, the introspection
// endpoint and the compat paths, each with a canned answer, recording what
// arrives.
class FakeMxauth {
 public:
  FakeMxauth() {
    router_.add(http::Method::Get, "/.well-known/openid-configuration",
                [this](http::Request& request) { return answer(request, metadata_); });
    router_.add(http::Method::Post, "/oauth2/introspect",
                [this](http::Request& request) { return answer(request, introspection_); });
    for (const char* pattern :
         {"/_matrix/client/{version}/login", "/_matrix/client/{version}/login/sso/redirect/{idp}",
          "/_matrix/client/{version}/login/get_token", "/_matrix/client/{version}/logout",
          "/_matrix/client/{version}/logout/all", "/_matrix/client/{version}/refresh",
          "/_matrix/client/unstable/{feature}/refresh"}) {
      for (http::Method method : {http::Method::Get, http::Method::Post}) {
        router_.add(method, pattern,
                    [this](http::Request& request) { return answer(request, compat_); });
      }
    }
    setMetadata(R"({"issuer":"https://auth.example.test/",)"
                R"("account_management_uri":"https://auth.example.test/account/",)"
                R"("token_endpoint":"https://auth.example.test/oauth2/token"})");
    server_ = std::make_unique<RunningServer>(http::ServerOptions{}, router_, pool_);
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }
  // Stops listening: connections are refused from now on.
  void stop() { server_.reset(); }

  void setMetadata(std::string body) { set(metadata_, http::Response::json(200, std::move(body))); }
  void setMetadataResponse(http::Response response) { set(metadata_, std::move(response)); }
  void setIntrospection(const boost::json::object& body) {
    set(introspection_, http::Response::json(200, boost::json::serialize(body)));
  }
  void setIntrospectionResponse(http::Response response) {
    set(introspection_, std::move(response));
  }
  void setCompat(http::Response response) { set(compat_, std::move(response)); }

  std::vector<SeenRequest> seen(std::string_view path) const {
    std::lock_guard lock(mutex_);
    std::vector<SeenRequest> out;
    for (const SeenRequest& request : seen_) {
      if (request.target.substr(0, request.target.find('?')) == path) out.push_back(request);
    }
    return out;
  }

 private:
  void set(http::Response& slot, http::Response response) {
    std::lock_guard lock(mutex_);
    slot = std::move(response);
  }
  http::Response answer(const http::Request& request, const http::Response& canned) {
    std::lock_guard lock(mutex_);
    seen_.push_back({std::string(http::methodName(request.method)), request.target, request.headers,
                     request.body});
    return canned;
  }

  mutable std::mutex mutex_;
  http::Response metadata_;
  http::Response introspection_ = http::Response::json(200, R"({"active":false})");
  http::Response compat_ = http::Response::json(200, "{}");
  std::vector<SeenRequest> seen_;
  http::Router router_;
  core::WorkerPool pool_{"fake-mxauth", 2, 64};
  std::unique_ptr<RunningServer> server_;
};

class SynapseDoubleTest : public ::testing::Test {
 protected:
  SynapseDoubleOptions options() {
    SynapseDoubleOptions options;
    options.server_name = "example.test";
    options.secret = std::string(kSecret);
    options.existing_localparts = {"BOB"};
    options.exclusive_localpart_prefix = "bridge_";
    options.clock = &clock_;
    return options;
  }

  RawResponse call(std::string_view method, std::string_view target, std::string_view body = {},
                   const std::vector<std::string>& headers = {}) {
    return roundTrip(synapse_.port(), method, target, headers, body);
  }
  // A call to /_synapse/mas/* with the shared secret.
  RawResponse mas(std::string_view method, std::string_view target, std::string_view body = {}) {
    return call(
        method, target, body,
        {"Authorization: Bearer " + std::string(kSecret), "Content-Type: application/json"});
  }
  RawResponse whoami(std::string_view token = kToken) {
    return call("GET", "/_matrix/client/v3/account/whoami", {},
                {"Authorization: Bearer " + std::string(token)});
  }
  // The introspection answer for an active token of `user`.
  static boost::json::object activeToken(std::string_view username, std::string_view scope) {
    return boost::json::object{{"active", true},
                               {"scope", scope},
                               {"username", username},
                               {"sub", "01J0000000000000000000USER"},
                               {"client_id", "01J0000000000000000000CLNT"},
                               {"token_type", "access_token"},
                               {"expires_in", 300}};
  }

  FakeClock clock_;
  FakeMxauth mxauth_;
  SynapseDouble synapse_{options()};
};

// --- /_synapse/mas/*: the shared secret (§5.2) -------------------------------

struct Endpoint {
  std::string method;
  std::string target;
  std::string body;
};

std::vector<Endpoint> everyMasEndpoint() {
  return {
      {"GET", "/_synapse/mas/query_user?localpart=alice", ""},
      {"POST", "/_synapse/mas/provision_user", R"({"localpart":"alice"})"},
      {"GET", "/_synapse/mas/is_localpart_available?localpart=alice", ""},
      {"POST", "/_synapse/mas/delete_user", R"({"localpart":"alice","erase":false})"},
      {"POST", "/_synapse/mas/reactivate_user", R"({"localpart":"alice"})"},
      {"POST", "/_synapse/mas/set_displayname", R"({"localpart":"alice","displayname":"A"})"},
      {"POST", "/_synapse/mas/unset_displayname", R"({"localpart":"alice"})"},
      {"POST", "/_synapse/mas/allow_cross_signing_reset", R"({"localpart":"alice"})"},
      {"POST", "/_synapse/mas/upsert_device", R"({"localpart":"alice","device_id":"D"})"},
      {"POST", "/_synapse/mas/update_device_display_name",
       R"({"localpart":"alice","device_id":"D","display_name":"x"})"},
      {"POST", "/_synapse/mas/delete_device", R"({"localpart":"alice","device_id":"D"})"},
      {"POST", "/_synapse/mas/sync_devices", R"({"localpart":"alice","devices":["D"]})"},
  };
}

TEST_F(SynapseDoubleTest, RefusesEveryMasEndpointCalledWithAnotherToken) {
  synapse_.addUser("alice");
  for (const Endpoint& endpoint : everyMasEndpoint()) {
    SCOPED_TRACE(endpoint.target);

    RawResponse response = call(endpoint.method, endpoint.target, endpoint.body,
                                {"Authorization: Bearer not-the-secret"});

    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(errcodeOf(response), "M_UNKNOWN");
    EXPECT_EQ(json(response).at("error"), "This endpoint must only be called by MAS");
  }
  EXPECT_FALSE(synapse_.user("alice")->deactivated);
  EXPECT_FALSE(synapse_.hasDevice("alice", "D"));
}

TEST_F(SynapseDoubleTest, AsksForATokenWhenAMasCallHasNone) {
  for (const Endpoint& endpoint : everyMasEndpoint()) {
    SCOPED_TRACE(endpoint.target);

    RawResponse response = call(endpoint.method, endpoint.target, endpoint.body);

    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errcodeOf(response), "M_MISSING_TOKEN");
  }
  EXPECT_FALSE(synapse_.user("alice"));
}

TEST_F(SynapseDoubleTest, RefusesASecretThatIsNotABearerToken) {
  RawResponse response = call("GET", "/_synapse/mas/query_user?localpart=BOB", {},
                              {"Authorization: Basic " + std::string(kSecret)});

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errcodeOf(response), "M_MISSING_TOKEN");
}

TEST_F(SynapseDoubleTest, AnswersNotFoundForAnUnknownUserOnEveryUserEndpoint) {
  for (const Endpoint& endpoint : everyMasEndpoint()) {
    if (endpoint.target.find("provision_user") != std::string::npos ||
        endpoint.target.find("is_localpart_available") != std::string::npos) {
      continue;
    }
    SCOPED_TRACE(endpoint.target);

    RawResponse response = mas(endpoint.method, endpoint.target, endpoint.body);

    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(errcodeOf(response), "M_NOT_FOUND");
  }
  EXPECT_TRUE(synapse_.users().size() == 1);  // only the seeded BOB
}

// --- query_user and provision_user -------------------------------------------

TEST_F(SynapseDoubleTest, QueryUserReturnsProfileAndAccountState) {
  DoubleUser alice;
  alice.localpart = "alice";
  alice.display_name = "Alice";
  alice.suspended = true;
  synapse_.addUser(alice);

  RawResponse response = mas("GET", "/_synapse/mas/query_user?localpart=alice");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response), boost::json::parse(R"({"user_id":"@alice:example.test",)"
                                               R"("display_name":"Alice","avatar_url":null,)"
                                               R"("is_suspended":true,"is_deactivated":false})"));
}

TEST_F(SynapseDoubleTest, QueryUserNeedsALocalpart) {
  RawResponse response = mas("GET", "/_synapse/mas/query_user");

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errcodeOf(response), "M_MISSING_PARAM");
}

TEST_F(SynapseDoubleTest, ProvisionUserCreatesWith201AndUpdatesWith200) {
  RawResponse created =
      mas("POST", "/_synapse/mas/provision_user",
          R"({"localpart":"alice","set_displayname":"Alice",)"
          R"("set_avatar_url":"mxc://example.test/a","locked":true,)"
          R"("set_emails":["b@example.test","a@example.test","a@example.test"]})");

  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "{}");
  std::optional<DoubleUser> alice = synapse_.user("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->user_id, "@alice:example.test");
  EXPECT_EQ(alice->display_name, "Alice");
  EXPECT_EQ(alice->avatar_url, "mxc://example.test/a");
  EXPECT_EQ(alice->emails, (std::vector<std::string>{"a@example.test", "b@example.test"}));
  EXPECT_TRUE(alice->locked);

  RawResponse updated = mas("POST", "/_synapse/mas/provision_user",
                            R"({"localpart":"alice","unset_displayname":true,)"
                            R"("unset_avatar_url":true,"set_emails":["c@example.test"],)"
                            R"("locked":false})");

  ASSERT_EQ(updated.status, 200);
  EXPECT_EQ(updated.body, "{}");
  alice = synapse_.user("alice");
  EXPECT_EQ(alice->display_name, std::nullopt);
  EXPECT_EQ(alice->avatar_url, std::nullopt);
  EXPECT_EQ(alice->emails, std::vector<std::string>{"c@example.test"});
  EXPECT_FALSE(alice->locked);
}

TEST_F(SynapseDoubleTest, ProvisionUserGivesANewUserItsLocalpartAsDisplayName) {
  ASSERT_EQ(mas("POST", "/_synapse/mas/provision_user", R"({"localpart":"carol"})").status, 201);

  EXPECT_EQ(synapse_.user("carol")->display_name, "carol");
  EXPECT_FALSE(synapse_.user("carol")->locked);
}

TEST_F(SynapseDoubleTest, ProvisionUserUnsetsEmails) {
  DoubleUser alice;
  alice.localpart = "alice";
  alice.emails = {"a@example.test"};
  synapse_.addUser(alice);

  ASSERT_EQ(
      mas("POST", "/_synapse/mas/provision_user", R"({"localpart":"alice","unset_emails":true})")
          .status,
      200);

  EXPECT_TRUE(synapse_.user("alice")->emails.empty());
}

TEST_F(SynapseDoubleTest, ProvisionUserRefusesSetAndUnsetOfTheSameField) {
  for (std::string_view body :
       {R"({"localpart":"alice","set_displayname":"A","unset_displayname":true})",
        R"({"localpart":"alice","set_displayname":"A","unset_displayname":false})",
        R"({"localpart":"alice","set_avatar_url":"mxc://x/y","unset_avatar_url":true})",
        R"({"localpart":"alice","set_emails":[],"unset_emails":true})"}) {
    SCOPED_TRACE(body);

    RawResponse response = mas("POST", "/_synapse/mas/provision_user", body);

    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(errcodeOf(response), "M_INVALID_PARAM");
  }
  EXPECT_FALSE(synapse_.user("alice"));
}

TEST_F(SynapseDoubleTest, ProvisionUserRefusesMalformedBodies) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "M_NOT_JSON"},
      {"[]", "M_BAD_JSON"},
      {"{}", "M_MISSING_PARAM"},
      {R"({"localpart":123})", "M_INVALID_PARAM"},
      {R"({"localpart":"alice","set_displayname":123})", "M_INVALID_PARAM"},
      {R"({"localpart":"alice","set_emails":"a@example.test"})", "M_INVALID_PARAM"},
      {R"({"localpart":"alice","set_emails":[1]})", "M_INVALID_PARAM"},
      {R"({"localpart":"alice","unset_displayname":"yes"})", "M_INVALID_PARAM"},
      {R"({"localpart":"alice","locked":"yes"})", "M_INVALID_PARAM"},
  };
  for (const auto& [body, errcode] : cases) {
    SCOPED_TRACE(body);

    RawResponse response = mas("POST", "/_synapse/mas/provision_user", body);

    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(errcodeOf(response), errcode);
  }
  EXPECT_FALSE(synapse_.user("alice"));
}

TEST_F(SynapseDoubleTest, ProvisionUserValidatesTheLocalpartOfANewUserOnly) {
  RawResponse invalid = mas("POST", "/_synapse/mas/provision_user", R"({"localpart":"Alice"})");
  RawResponse clash = mas("POST", "/_synapse/mas/provision_user", R"({"localpart":"bob"})");
  RawResponse existing =
      mas("POST", "/_synapse/mas/provision_user", R"({"localpart":"BOB","set_displayname":"Bob"})");

  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(errcodeOf(invalid), "M_INVALID_USERNAME");
  EXPECT_EQ(clash.status, 400);
  EXPECT_EQ(errcodeOf(clash), "M_USER_IN_USE");
  EXPECT_EQ(existing.status, 200);
  EXPECT_EQ(synapse_.user("BOB")->display_name, "Bob");
  EXPECT_FALSE(synapse_.user("Alice"));
  EXPECT_FALSE(synapse_.user("bob"));
}

// --- is_localpart_available ----------------------------------------------------

TEST_F(SynapseDoubleTest, LocalpartIsAvailableWhenNobodyHasIt) {
  RawResponse response = mas("GET", "/_synapse/mas/is_localpart_available?localpart=carol");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
}

TEST_F(SynapseDoubleTest, LocalpartIsInUseAlsoWhenItDiffersOnlyInCase) {
  synapse_.addUser("alice");

  RawResponse taken = mas("GET", "/_synapse/mas/is_localpart_available?localpart=alice");
  RawResponse seeded = mas("GET", "/_synapse/mas/is_localpart_available?localpart=bob");

  EXPECT_EQ(taken.status, 400);
  EXPECT_EQ(errcodeOf(taken), "M_USER_IN_USE");
  EXPECT_EQ(seeded.status, 400);
  EXPECT_EQ(errcodeOf(seeded), "M_USER_IN_USE");
}

TEST_F(SynapseDoubleTest, LocalpartOutsideTheGrammarIsAnInvalidUsername) {
  const std::string too_long(255 - std::string("@:example.test").size() + 1, 'a');
  for (const std::string& localpart :
       {std::string("Alice"), std::string("al ice"), std::string("alice:x"), std::string("alice@x"),
        std::string("al%23ice"), std::string("_alice"), std::string("123"), std::string("-5"),
        std::string("1_000"), std::string(""), too_long}) {
    SCOPED_TRACE(localpart);

    RawResponse response = mas(
        "GET", "/_synapse/mas/is_localpart_available?localpart=" + http::percentEncode(localpart));

    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(errcodeOf(response), "M_INVALID_USERNAME");
  }
}

TEST_F(SynapseDoubleTest, LocalpartsThatFitTheGrammarAreAvailable) {
  const std::string longest(255 - std::string("@:example.test").size(), 'a');
  for (const std::string& localpart :
       {std::string("a.b_c=d/e+f-g"), std::string("1a"), std::string("1__0"), longest}) {
    SCOPED_TRACE(localpart);

    RawResponse response = mas(
        "GET", "/_synapse/mas/is_localpart_available?localpart=" + http::percentEncode(localpart));

    EXPECT_EQ(response.status, 200);
  }
}

TEST_F(SynapseDoubleTest, LocalpartInTheApplicationServiceNamespaceIsExclusive) {
  RawResponse response = mas("GET", "/_synapse/mas/is_localpart_available?localpart=bridge_alice");

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errcodeOf(response), "M_EXCLUSIVE");
}

TEST_F(SynapseDoubleTest, LocalpartAvailabilityNeedsALocalpart) {
  RawResponse response = mas("GET", "/_synapse/mas/is_localpart_available");

  EXPECT_EQ(response.status, 400);
}

// --- delete_user, reactivate_user, display names, cross-signing ---------------

TEST_F(SynapseDoubleTest, DeleteUserDeactivatesAndRemovesDevicesAndEmails) {
  DoubleUser alice;
  alice.localpart = "alice";
  alice.display_name = "Alice";
  alice.emails = {"a@example.test"};
  alice.devices["DEV1"] = DoubleDevice{"DEV1", {}, false};
  synapse_.addUser(alice);

  RawResponse response =
      mas("POST", "/_synapse/mas/delete_user", R"({"localpart":"alice","erase":false})");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  std::optional<DoubleUser> after = synapse_.user("alice");
  EXPECT_TRUE(after->deactivated);
  EXPECT_FALSE(after->erased);
  EXPECT_TRUE(after->devices.empty());
  EXPECT_TRUE(after->emails.empty());
  EXPECT_EQ(after->display_name, "Alice");
  EXPECT_EQ(json(mas("GET", "/_synapse/mas/query_user?localpart=alice")).at("is_deactivated"),
            true);
}

TEST_F(SynapseDoubleTest, DeleteUserWithEraseAlsoClearsTheProfile) {
  DoubleUser alice;
  alice.localpart = "alice";
  alice.display_name = "Alice";
  alice.avatar_url = "mxc://example.test/a";
  synapse_.addUser(alice);

  ASSERT_EQ(
      mas("POST", "/_synapse/mas/delete_user", R"({"localpart":"alice","erase":true})").status,
      200);

  std::optional<DoubleUser> after = synapse_.user("alice");
  EXPECT_TRUE(after->deactivated);
  EXPECT_TRUE(after->erased);
  EXPECT_EQ(after->display_name, std::nullopt);
  EXPECT_EQ(after->avatar_url, std::nullopt);
}

TEST_F(SynapseDoubleTest, DeleteUserNeedsABooleanErase) {
  synapse_.addUser("alice");

  RawResponse missing = mas("POST", "/_synapse/mas/delete_user", R"({"localpart":"alice"})");
  RawResponse wrong =
      mas("POST", "/_synapse/mas/delete_user", R"({"localpart":"alice","erase":"true"})");

  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(errcodeOf(missing), "M_MISSING_PARAM");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(errcodeOf(wrong), "M_INVALID_PARAM");
  EXPECT_FALSE(synapse_.user("alice")->deactivated);
}

TEST_F(SynapseDoubleTest, ReactivateUserLiftsDeactivationAndErasure) {
  DoubleUser alice;
  alice.localpart = "alice";
  alice.deactivated = true;
  alice.erased = true;
  synapse_.addUser(alice);

  RawResponse response = mas("POST", "/_synapse/mas/reactivate_user", R"({"localpart":"alice"})");

  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(synapse_.user("alice")->deactivated);
  EXPECT_FALSE(synapse_.user("alice")->erased);
}

TEST_F(SynapseDoubleTest, SetsAndUnsetsTheDisplayName) {
  synapse_.addUser("alice");

  RawResponse set = mas("POST", "/_synapse/mas/set_displayname",
                        R"({"localpart":"alice","displayname":"Alice 👋"})");
  std::optional<std::string> after_set = synapse_.user("alice")->display_name;
  RawResponse unset = mas("POST", "/_synapse/mas/unset_displayname", R"({"localpart":"alice"})");

  EXPECT_EQ(set.status, 200);
  EXPECT_EQ(after_set, "Alice 👋");
  EXPECT_EQ(unset.status, 200);
  EXPECT_EQ(synapse_.user("alice")->display_name, std::nullopt);
}

TEST_F(SynapseDoubleTest, RefusesADisplayNameLongerThan256Characters) {
  synapse_.addUser("alice");
  const std::string name(257, 'A');

  RawResponse response = mas("POST", "/_synapse/mas/set_displayname",
                             R"({"localpart":"alice","displayname":")" + name + R"("})");
  RawResponse wrong_type =
      mas("POST", "/_synapse/mas/set_displayname", R"({"localpart":"alice","displayname":null})");

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(synapse_.user("alice")->display_name, std::nullopt);
}

TEST_F(SynapseDoubleTest, AllowCrossSigningResetOpensATenMinuteWindow) {
  synapse_.addUser("alice");

  RawResponse response =
      mas("POST", "/_synapse/mas/allow_cross_signing_reset", R"({"localpart":"alice"})");

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(synapse_.user("alice")->cross_signing_reset_allowances, 1);
  EXPECT_EQ(synapse_.user("alice")->cross_signing_reset_allowed_until, clock_.now() + 10min);
}

// --- devices --------------------------------------------------------------------

TEST_F(SynapseDoubleTest, UpsertDeviceCreatesWith201ThenAnswers200AndKeepsTheFirstName) {
  synapse_.addUser("alice");

  RawResponse created = mas("POST", "/_synapse/mas/upsert_device",
                            R"({"localpart":"alice","device_id":"DEV1","display_name":"Phone"})");
  RawResponse existed = mas("POST", "/_synapse/mas/upsert_device",
                            R"({"localpart":"alice","device_id":"DEV1","display_name":"Laptop"})");

  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "{}");
  EXPECT_EQ(existed.status, 200);
  EXPECT_EQ(existed.body, "{}");
  EXPECT_EQ(synapse_.user("alice")->devices.at("DEV1").display_name, "Phone");
}

TEST_F(SynapseDoubleTest, UpsertDeviceRefusesADisplayNameLongerThan100Characters) {
  synapse_.addUser("alice");
  const std::string name(101, 'x');

  RawResponse response =
      mas("POST", "/_synapse/mas/upsert_device",
          R"({"localpart":"alice","device_id":"DEV1","display_name":")" + name + R"("})");

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errcodeOf(response), "M_TOO_LARGE");
  EXPECT_FALSE(synapse_.hasDevice("alice", "DEV1"));
}

TEST_F(SynapseDoubleTest, UpsertDeviceNeedsADeviceId) {
  synapse_.addUser("alice");

  RawResponse response = mas("POST", "/_synapse/mas/upsert_device", R"({"localpart":"alice"})");

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errcodeOf(response), "M_MISSING_PARAM");
}

TEST_F(SynapseDoubleTest, UpdateDeviceDisplayNameRenamesOnlyAnExistingDevice) {
  synapse_.addUser("alice");
  synapse_.addDevice("alice", DoubleDevice{"DEV1", "Old", false});

  RawResponse renamed = mas("POST", "/_synapse/mas/update_device_display_name",
                            R"({"localpart":"alice","device_id":"DEV1","display_name":"New"})");
  RawResponse unknown = mas("POST", "/_synapse/mas/update_device_display_name",
                            R"({"localpart":"alice","device_id":"NOPE","display_name":"New"})");

  EXPECT_EQ(renamed.status, 200);
  EXPECT_EQ(synapse_.user("alice")->devices.at("DEV1").display_name, "New");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(errcodeOf(unknown), "M_NOT_FOUND");
  EXPECT_FALSE(synapse_.hasDevice("alice", "NOPE"));
}

TEST_F(SynapseDoubleTest, DeleteDeviceAnswers204AlsoForADeviceThatIsGone) {
  synapse_.addUser("alice");
  synapse_.addDevice("alice", DoubleDevice{"DEV1", {}, false});

  RawResponse deleted =
      mas("POST", "/_synapse/mas/delete_device", R"({"localpart":"alice","device_id":"DEV1"})");
  RawResponse again =
      mas("POST", "/_synapse/mas/delete_device", R"({"localpart":"alice","device_id":"DEV1"})");

  EXPECT_EQ(deleted.status, 204);
  EXPECT_EQ(deleted.body, "");
  EXPECT_EQ(again.status, 204);
  EXPECT_FALSE(synapse_.hasDevice("alice", "DEV1"));
}

TEST_F(SynapseDoubleTest, SyncDevicesMakesTheSetEqualButKeepsTheDehydratedDevice) {
  synapse_.addUser("alice");
  synapse_.addDevice("alice", DoubleDevice{"KEEP", "Kept", false});
  synapse_.addDevice("alice", DoubleDevice{"GONE", {}, false});
  synapse_.addDevice("alice", DoubleDevice{"DEHYDRATED", {}, true});

  RawResponse response = mas("POST", "/_synapse/mas/sync_devices",
                             R"({"localpart":"alice","devices":["KEEP","NEW"]})");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  const std::optional<DoubleUser> alice = synapse_.user("alice");
  std::vector<std::string> ids;
  for (const auto& [id, device] : alice->devices) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::string>{"DEHYDRATED", "KEEP", "NEW"}));
  EXPECT_EQ(alice->devices.at("KEEP").display_name, "Kept");
  EXPECT_EQ(alice->devices.at("NEW").display_name, std::nullopt);
}

TEST_F(SynapseDoubleTest, SyncDevicesNeedsAListOfStrings) {
  synapse_.addUser("alice");
  synapse_.addDevice("alice", DoubleDevice{"DEV1", {}, false});

  RawResponse response =
      mas("POST", "/_synapse/mas/sync_devices", R"({"localpart":"alice","devices":"DEV2"})");

  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(synapse_.hasDevice("alice", "DEV1"));
}

// --- client-facing: versions and metadata (§5.3) ---------------------------------

TEST_F(SynapseDoubleTest, VersionsAdvertisesTheOAuthEraSpecVersions) {
  RawResponse response = call("GET", "/_matrix/client/versions");

  ASSERT_EQ(response.status, 200);
  const boost::json::value body = json(response);
  const boost::json::array& versions = body.at("versions").as_array();
  EXPECT_NE(std::find(versions.begin(), versions.end(), boost::json::value("v1.15")),
            versions.end());
  EXPECT_TRUE(body.at("unstable_features").is_object());
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
}

TEST_F(SynapseDoubleTest, AnswersCorsPreflightsOnItsOwnClientPaths) {
  RawResponse response =
      call("OPTIONS", "/_matrix/client/v3/account/whoami", {},
           {"Origin: https://app.example.test", "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: authorization"});

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
  EXPECT_NE(response.header("Access-Control-Allow-Headers")->find("Authorization"),
            std::string::npos);
  EXPECT_EQ(synapse_.introspectionRequests(), 0U);
}

TEST_F(SynapseDoubleTest, AuthMetadataReservesMxauthsDiscoveryDocument) {
  synapse_.setMxauthBase(mxauth_.base());

  RawResponse stable = call("GET", "/_matrix/client/v1/auth_metadata");
  RawResponse unstable = call("GET", "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata");
  RawResponse issuer = call("GET", "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer");

  const boost::json::value expected =
      boost::json::parse(R"({"issuer":"https://auth.example.test/",)"
                         R"("account_management_uri":"https://auth.example.test/account/",)"
                         R"("token_endpoint":"https://auth.example.test/oauth2/token"})");
  ASSERT_EQ(stable.status, 200);
  EXPECT_EQ(json(stable), expected);
  ASSERT_EQ(unstable.status, 200);
  EXPECT_EQ(json(unstable), expected);
  ASSERT_EQ(issuer.status, 200);
  EXPECT_EQ(json(issuer), boost::json::parse(R"({"issuer":"https://auth.example.test/"})"));
  EXPECT_EQ(mxauth_.seen("/.well-known/openid-configuration").size(), 1U);  // fetched once
}

TEST_F(SynapseDoubleTest, AuthMetadataFailsUntilTheDocumentHasAnAccountManagementUri) {
  synapse_.setMxauthBase(mxauth_.base());
  mxauth_.setMetadata(R"({"issuer":"https://auth.example.test/"})");

  RawResponse without = call("GET", "/_matrix/client/v1/auth_metadata");
  mxauth_.setMetadata(R"({"issuer":"https://auth.example.test/","account_management_uri":7})");
  RawResponse wrong_type = call("GET", "/_matrix/client/v1/auth_metadata");
  mxauth_.setMetadata(R"({"issuer":"https://auth.example.test/",)"
                      R"("account_management_uri":"https://auth.example.test/account/"})");
  RawResponse fixed = call("GET", "/_matrix/client/v1/auth_metadata");

  EXPECT_EQ(without.status, 500);
  EXPECT_EQ(errcodeOf(without), "M_UNKNOWN");
  EXPECT_EQ(wrong_type.status, 500);
  EXPECT_EQ(fixed.status, 200);
}

TEST_F(SynapseDoubleTest, AuthMetadataFailsWhenMxauthAnswersAnError) {
  synapse_.setMxauthBase(mxauth_.base());
  mxauth_.setMetadataResponse(http::Response::json(503, R"({"error":"temporarily_unavailable"})"));

  EXPECT_EQ(call("GET", "/_matrix/client/v1/auth_metadata").status, 500);
}

TEST_F(SynapseDoubleTest, WellKnownNamesTheHomeserverAndTheAuthService) {
  synapse_.setMxauthBase(mxauth_.base());

  RawResponse response = call("GET", "/.well-known/matrix/client");

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response).at("m.homeserver").at("base_url"),
            boost::json::value(synapse_.baseUrl()));
  EXPECT_EQ(json(response).at("org.matrix.msc2965.authentication").at("account"),
            "https://auth.example.test/account/");
}

// --- client-facing: whoami and introspection (§5.4) -----------------------------

class WhoamiTest : public SynapseDoubleTest {
 protected:
  WhoamiTest() {
    synapse_.setMxauthBase(mxauth_.base());
    synapse_.addUser("alice");
    synapse_.addDevice("alice", DoubleDevice{"DEV1", {}, false});
  }
};

TEST_F(WhoamiTest, AnswersForAnActiveTokenWhoseDeviceExists) {
  mxauth_.setIntrospection(
      activeToken("alice", "urn:matrix:client:api:* urn:matrix:client:device:DEV1"));

  RawResponse response = whoami();

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response),
            boost::json::parse(
                R"({"user_id":"@alice:example.test","is_guest":false,"device_id":"DEV1"})"));
  const std::vector<SeenRequest> seen = mxauth_.seen("/oauth2/introspect");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].headers.get("Authorization"), "Bearer " + std::string(kSecret));
  EXPECT_EQ(seen[0].headers.get("X-MAS-Supports-Device-Id"), "1");
  EXPECT_EQ(seen[0].headers.get("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(seen[0].headers.get("Accept"), "application/json");
  auto form = http::parseUrlEncoded(seen[0].body);
  ASSERT_TRUE(form);
  EXPECT_EQ(form->get("token"), kToken);
  EXPECT_EQ(form->get("token_type_hint"), "access_token");
}

TEST_F(WhoamiTest, AcceptsTheUnstableScopesToo) {
  mxauth_.setIntrospection(activeToken("alice",
                                       "urn:matrix:org.matrix.msc2967.client:api:* "
                                       "urn:matrix:org.matrix.msc2967.client:device:DEV1"));

  RawResponse response = call("GET", "/_matrix/client/r0/account/whoami", {},
                              {"Authorization: Bearer " + std::string(kToken)});

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response).at("device_id"), "DEV1");
}

TEST_F(WhoamiTest, TakesTheDeviceFromTheDeviceIdFieldBeforeTheScope) {
  boost::json::object answer = activeToken("alice", "urn:matrix:client:api:*");
  answer["device_id"] = "DEV1";
  answer.erase("expires_in");  // a compat token without refresh never expires
  mxauth_.setIntrospection(answer);

  RawResponse response = whoami();

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response).at("device_id"), "DEV1");
}

TEST_F(WhoamiTest, LeavesOutTheDeviceWhenTheTokenHasNone) {
  mxauth_.setIntrospection(activeToken("alice", "urn:matrix:client:api:* urn:synapse:admin:*"));

  RawResponse response = whoami();

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json(response),
            boost::json::parse(R"({"user_id":"@alice:example.test","is_guest":false})"));
}

TEST_F(WhoamiTest, RefusesATokenWhoseDeviceIsGone) {
  mxauth_.setIntrospection(
      activeToken("alice", "urn:matrix:client:api:* urn:matrix:client:device:GONE"));

  RawResponse response = whoami();

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json(response),
            boost::json::parse(R"({"errcode":"M_UNKNOWN_TOKEN",)"
                               R"("error":"Token is not active","soft_logout":false})"));
}

TEST_F(WhoamiTest, RefusesAnInactiveToken) {
  mxauth_.setIntrospection(boost::json::object{{"active", false}});

  RawResponse response = whoami();

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errcodeOf(response), "M_UNKNOWN_TOKEN");
}

TEST_F(WhoamiTest, RefusesATokenWithoutTheClientServerApiScope) {
  mxauth_.setIntrospection(activeToken("alice", "openid urn:matrix:client:device:DEV1"));

  RawResponse response = whoami();

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errcodeOf(response), "M_UNKNOWN_TOKEN");
}

TEST_F(WhoamiTest, AnswersServerErrorForAUserTheHomeserverDoesNotHave) {
  mxauth_.setIntrospection(activeToken("mallory", "urn:matrix:client:api:*"));

  RawResponse response = whoami();

  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json(response).at("error"), "User not found");
}

TEST_F(WhoamiTest, AnswersServerErrorForTwoDeviceScopes) {
  mxauth_.setIntrospection(activeToken(
      "alice",
      "urn:matrix:client:api:* urn:matrix:client:device:DEV1 urn:matrix:client:device:DEV2"));

  EXPECT_EQ(whoami().status, 500);
}

TEST_F(WhoamiTest, AsksForATokenWithoutIntrospecting) {
  RawResponse response = call("GET", "/_matrix/client/v3/account/whoami");

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errcodeOf(response), "M_MISSING_TOKEN");
  EXPECT_EQ(synapse_.introspectionRequests(), 0U);
}

TEST_F(WhoamiTest, AnswersUnavailableWhenIntrospectionFails) {
  const std::vector<http::Response> failures = {
      http::Response::json(500, R"({"error":"server_error"})"),
      http::Response::json(401, R"({"error":"access_denied"})"),
      http::Response::text(200, "not json"),
      http::Response::json(200, R"({"scope":"urn:matrix:client:api:*"})"),
      http::Response::json(200, R"({"active":"true"})"),
      http::Response::json(200, R"({"active":true,"username":5})"),
      http::Response::json(200, R"({"active":true,"expires_in":1.5})"),
      http::Response::json(200, R"([true])"),
  };
  for (const http::Response& failure : failures) {
    SCOPED_TRACE(failure.body);
    mxauth_.setIntrospectionResponse(failure);

    RawResponse response = whoami();

    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(json(response).at("error"), "Unable to introspect the access token");
  }
  // Failures are not cached: the next answer is used at once.
  mxauth_.setIntrospection(activeToken("alice", "urn:matrix:client:api:*"));
  EXPECT_EQ(whoami().status, 200);
}

TEST_F(WhoamiTest, AnswersUnavailableWhenMxauthIsDown) {
  mxauth_.stop();

  RawResponse response = whoami();

  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(synapse_.introspectionRequests(), 1U);
}

TEST_F(WhoamiTest, ReusesAnIntrospectionAnswerForTwoMinutes) {
  mxauth_.setIntrospection(
      activeToken("alice", "urn:matrix:client:api:* urn:matrix:client:device:DEV1"));

  ASSERT_EQ(whoami().status, 200);
  clock_.advance(119s);
  ASSERT_EQ(whoami().status, 200);
  const std::size_t within = synapse_.introspectionRequests();
  clock_.advance(2s);
  ASSERT_EQ(whoami().status, 200);

  EXPECT_EQ(within, 1U);
  EXPECT_EQ(synapse_.introspectionRequests(), 2U);
}

TEST_F(WhoamiTest, CachesInactiveAnswersToo) {
  mxauth_.setIntrospection(boost::json::object{{"active", false}});

  ASSERT_EQ(whoami().status, 401);
  mxauth_.setIntrospection(activeToken("alice", "urn:matrix:client:api:*"));

  EXPECT_EQ(whoami().status, 401);
  EXPECT_EQ(synapse_.introspectionRequests(), 1U);
}

TEST_F(WhoamiTest, ADeletedDeviceEndsACachedTokenAndDropsItFromTheCache) {
  mxauth_.setIntrospection(
      activeToken("alice", "urn:matrix:client:api:* urn:matrix:client:device:DEV1"));
  ASSERT_EQ(whoami().status, 200);

  ASSERT_EQ(
      mas("POST", "/_synapse/mas/delete_device", R"({"localpart":"alice","device_id":"DEV1"})")
          .status,
      204);
  RawResponse after_logout = whoami();
  const std::size_t before_readding = synapse_.introspectionRequests();
  synapse_.addDevice("alice", DoubleDevice{"DEV1", {}, false});
  RawResponse after_readding = whoami();

  EXPECT_EQ(after_logout.status, 401);
  EXPECT_EQ(before_readding, 1U);  // the cached answer was used, then dropped
  EXPECT_EQ(after_readding.status, 200);
  EXPECT_EQ(synapse_.introspectionRequests(), 2U);
}

TEST_F(WhoamiTest, ACachedTokenExpiresWithItsExpiresIn) {
  boost::json::object answer =
      activeToken("alice", "urn:matrix:client:api:* urn:matrix:client:device:DEV1");
  answer["expires_in"] = 60;
  mxauth_.setIntrospection(answer);
  ASSERT_EQ(whoami().status, 200);

  clock_.advance(61s);
  RawResponse response = whoami();

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(synapse_.introspectionRequests(), 1U);
}

TEST(SynapseDoubleWithoutCache, IntrospectsEveryRequestWhenTheCacheIsOff) {
  FakeMxauth mxauth;
  SynapseDoubleOptions options;
  options.secret = std::string(kSecret);
  options.mxauth_base = mxauth.base();
  options.introspection_cache_ttl = Duration::zero();
  SynapseDouble synapse(options);
  synapse.addUser("alice");
  mxauth.setIntrospection(boost::json::object{
      {"active", true}, {"scope", "urn:matrix:client:api:*"}, {"username", "alice"}});

  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(roundTrip(synapse.port(), "GET", "/_matrix/client/v3/account/whoami",
                        {"Authorization: Bearer " + std::string(kToken)})
                  .status,
              200);
  }

  EXPECT_EQ(synapse.introspectionRequests(), 2U);
  EXPECT_EQ(mxauth.seen("/oauth2/introspect").size(), 2U);
}

// --- the compat proxy (§2) ---------------------------------------------------------

TEST_F(SynapseDoubleTest, ProxiesCompatLoginWithMethodBodyAndHeaders) {
  synapse_.setMxauthBase(mxauth_.base());
  http::Response canned = http::Response::json(403, R"({"errcode":"M_FORBIDDEN"})");
  canned.setHeader("Cache-Control", "no-store, private");
  canned.addHeader("Set-Cookie", "a=1; Path=/");
  canned.addHeader("Set-Cookie", "b=2; Path=/");
  mxauth_.setCompat(canned);
  const std::string body = R"({"type":"m.login.password","identifier":{"type":"m.id.user",)"
                           R"("user":"alice"},"password":"pw"})";

  RawResponse response = call("POST", "/_matrix/client/v3/login?x=1", body,
                              {"Content-Type: application/json", "User-Agent: test-client/1.0",
                               "Authorization: Bearer mct_abc", "X-Forwarded-For: 203.0.113.9"});

  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, R"({"errcode":"M_FORBIDDEN"})");
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  EXPECT_EQ(response.header("Cache-Control"), "no-store, private");
  EXPECT_EQ(response.headerCount("Set-Cookie"), 2U);
  const std::vector<SeenRequest> seen = mxauth_.seen("/_matrix/client/v3/login");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/_matrix/client/v3/login?x=1");
  EXPECT_EQ(seen[0].body, body);
  EXPECT_EQ(seen[0].headers.get("Content-Type"), "application/json");
  EXPECT_EQ(seen[0].headers.get("User-Agent"), "test-client/1.0");
  EXPECT_EQ(seen[0].headers.get("Authorization"), "Bearer mct_abc");
  EXPECT_EQ(seen[0].headers.get("X-Forwarded-For"), "203.0.113.9, 127.0.0.1");
}

TEST_F(SynapseDoubleTest, ProxiesTheSsoRedirectWithItsLocation) {
  synapse_.setMxauthBase(mxauth_.base());
  mxauth_.setCompat(
      http::Response::redirect("https://auth.example.test/complete-compat-sso/1", 302));

  RawResponse response = call(
      "GET", "/_matrix/client/v3/login/sso/redirect/oidc-github?redirectUrl=https%3A%2F%2Fapp%2F");

  EXPECT_EQ(response.status, 302);
  EXPECT_EQ(response.header("Location"), "https://auth.example.test/complete-compat-sso/1");
  ASSERT_EQ(mxauth_.seen("/_matrix/client/v3/login/sso/redirect/oidc-github").size(), 1U);
  EXPECT_EQ(mxauth_.seen("/_matrix/client/v3/login/sso/redirect/oidc-github")[0].target,
            "/_matrix/client/v3/login/sso/redirect/oidc-github?redirectUrl=https%3A%2F%2Fapp%2F");
}

TEST_F(SynapseDoubleTest, ProxiesEveryCompatPathOnEveryVersion) {
  synapse_.setMxauthBase(mxauth_.base());
  for (std::string_view path :
       {"/_matrix/client/r0/login", "/_matrix/client/v3/logout", "/_matrix/client/r0/logout/all",
        "/_matrix/client/v3/refresh", "/_matrix/client/unstable/org.matrix.msc2918/refresh",
        "/_matrix/client/v1/login/get_token"}) {
    SCOPED_TRACE(path);

    RawResponse response = call("POST", path, "{}", {"Content-Type: application/json"});

    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(mxauth_.seen(path).size(), 1U);
  }
}

TEST_F(SynapseDoubleTest, ProxyAddsNoHeadersTheClientDidNotSend) {
  synapse_.setMxauthBase(mxauth_.base());

  ASSERT_EQ(call("POST", "/_matrix/client/v3/logout").status, 200);

  const std::vector<SeenRequest> seen = mxauth_.seen("/_matrix/client/v3/logout");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_FALSE(seen[0].headers.contains("Content-Type"));
  EXPECT_FALSE(seen[0].headers.contains("User-Agent"));
  EXPECT_FALSE(seen[0].headers.contains("Accept"));
  EXPECT_FALSE(seen[0].headers.contains("Authorization"));
}

TEST_F(SynapseDoubleTest, ProxyAnswersBadGatewayWhenMxauthIsDown) {
  synapse_.setMxauthBase(mxauth_.base());
  mxauth_.stop();

  EXPECT_EQ(call("POST", "/_matrix/client/v3/login", "{}").status, 502);
}

// --- faults ----------------------------------------------------------------------

TEST_F(SynapseDoubleTest, AFaultAnswersWithItsStatusForCountRequestsAndLeavesStateAlone) {
  synapse_.addUser("alice");
  synapse_.addFault(Fault{"/_synapse/mas/upsert_device", 500, "", Duration::zero(), 1});
  const std::string body = R"({"localpart":"alice","device_id":"DEV1"})";

  RawResponse faulted = mas("POST", "/_synapse/mas/upsert_device", body);
  const bool device_after_fault = synapse_.hasDevice("alice", "DEV1");
  RawResponse next = mas("POST", "/_synapse/mas/upsert_device", body);

  EXPECT_EQ(faulted.status, 500);
  EXPECT_EQ(errcodeOf(faulted), "M_UNKNOWN");
  EXPECT_FALSE(device_after_fault);
  EXPECT_EQ(next.status, 201);
  EXPECT_TRUE(synapse_.hasDevice("alice", "DEV1"));
  const std::vector<RecordedCall> calls = synapse_.calls("/_synapse/mas/upsert_device");
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_TRUE(calls[0].faulted);
  EXPECT_EQ(calls[0].status, 500);
  EXPECT_FALSE(calls[1].faulted);
  EXPECT_EQ(calls[1].status, 201);
  EXPECT_TRUE(synapse_.faults().empty());
}

TEST_F(SynapseDoubleTest, AFaultCanCarryItsOwnBody) {
  synapse_.addFault(Fault{"/_synapse/mas/is_localpart_available",
                          400,
                          R"({"errcode":"M_USER_IN_USE","error":"taken"})",
                          Duration::zero(),
                          {}});

  RawResponse first = mas("GET", "/_synapse/mas/is_localpart_available?localpart=carol");
  RawResponse second = mas("GET", "/_synapse/mas/is_localpart_available?localpart=dave");

  EXPECT_EQ(first.status, 400);
  EXPECT_EQ(errcodeOf(first), "M_USER_IN_USE");
  EXPECT_EQ(second.status, 400);  // no count: until cleared
  synapse_.clearFaults();
  EXPECT_EQ(mas("GET", "/_synapse/mas/is_localpart_available?localpart=carol").status, 200);
}

TEST_F(SynapseDoubleTest, ADelayedAnswerOutlastsTheClientWithoutHoldingUpOtherRequests) {
  synapse_.addUser("alice");
  synapse_.addFault(Fault{"/_synapse/mas/upsert_device", 0, "", 10min, 1});
  http::HttpClient impatient(http::HttpClientOptions{.connect_timeout = 2s,
                                                     .total_timeout = 300ms,
                                                     .max_response_bytes = std::size_t{1} << 20,
                                                     .user_agent = "mxauth",
                                                     .https_only = false,
                                                     .public_addresses_only = false,
                                                     .ca_file = {}});
  http::OutboundRequest upsert;
  upsert.method = "POST";
  upsert.url = synapse_.baseUrl() + "_synapse/mas/upsert_device";
  upsert.headers = {{"Authorization", "Bearer " + std::string(kSecret)}};
  upsert.body = R"({"localpart":"alice","device_id":"DEV1"})";

  auto held = std::async(std::launch::async, [&] { return impatient.send(upsert); });
  ASSERT_TRUE(synapse_.waitForCalls("/_synapse/mas/upsert_device", 1, 5s, CallPhase::Arrived));
  RawResponse meanwhile = mas("GET", "/_synapse/mas/query_user?localpart=alice");
  auto result = held.get();

  EXPECT_EQ(meanwhile.status, 200);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, http::TransportErrorCode::Timeout);
  EXPECT_EQ(synapse_.calls("/_synapse/mas/upsert_device").at(0).status, 0);  // still held
  EXPECT_FALSE(synapse_.hasDevice("alice", "DEV1"));
}

// --- /_double/* ----------------------------------------------------------------------

TEST_F(SynapseDoubleTest, StateShowsUsersDevicesCallsAndFaults) {
  synapse_.addUser("alice");
  synapse_.addDevice("alice", DoubleDevice{"DEV1", "Phone", true});
  ASSERT_EQ(mas("GET", "/_synapse/mas/query_user?localpart=alice").status, 200);
  synapse_.addFault(Fault{"/_synapse/mas/sync_devices", 503, "", 5ms, 2});

  RawResponse response = call("GET", "/_double/state");

  ASSERT_EQ(response.status, 200);
  const boost::json::value state = json(response);
  EXPECT_EQ(state.at("server_name"), "example.test");
  const boost::json::value& alice = state.at("users").at("alice");
  EXPECT_EQ(alice.at("user_id"), "@alice:example.test");
  EXPECT_EQ(alice.at("devices").at("DEV1"),
            boost::json::parse(R"({"display_name":"Phone","dehydrated":true})"));
  EXPECT_EQ(state.at("users").at("BOB").at("deactivated"), false);
  EXPECT_EQ(state.at("call_counts").at("/_synapse/mas/query_user"), 1);
  EXPECT_EQ(state.at("calls").as_array().at(0).at("query"), "localpart=alice");
  EXPECT_EQ(state.at("calls").as_array().at(0).at("status"), 200);
  EXPECT_EQ(state.at("faults").as_array().at(0).at("count"), 2);
  EXPECT_EQ(state.at("faults").as_array().at(0).at("delay_ms"), 5);
}

TEST_F(SynapseDoubleTest, SeedsUsersAndDevicesOverHttp) {
  RawResponse user = call("POST", "/_double/users",
                          R"({"localpart":"alice","display_name":"Alice","locked":true,)"
                          R"("emails":["a@example.test"],"devices":["DEV1",)"
                          R"({"device_id":"DEHYD","dehydrated":true}]})");
  RawResponse device = call("POST", "/_double/devices",
                            R"({"localpart":"alice","device_id":"DEV2","display_name":"Tab"})");
  RawResponse orphan =
      call("POST", "/_double/devices", R"({"localpart":"nobody","device_id":"X"})");

  EXPECT_EQ(user.status, 201);
  EXPECT_EQ(device.status, 201);
  EXPECT_EQ(orphan.status, 404);
  std::optional<DoubleUser> alice = synapse_.user("alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->display_name, "Alice");
  EXPECT_TRUE(alice->locked);
  EXPECT_EQ(alice->emails, std::vector<std::string>{"a@example.test"});
  EXPECT_TRUE(alice->hasDevice("DEV1"));
  EXPECT_TRUE(alice->devices.at("DEHYD").dehydrated);
  EXPECT_EQ(alice->devices.at("DEV2").display_name, "Tab");
}

TEST_F(SynapseDoubleTest, SetsAndClearsFaultsOverHttp) {
  synapse_.addUser("alice");

  RawResponse added = call("POST", "/_double/faults",
                           R"({"path":"/_synapse/mas/query_user","status":500,"count":1})");
  RawResponse faulted = mas("GET", "/_synapse/mas/query_user?localpart=alice");
  RawResponse recovered = mas("GET", "/_synapse/mas/query_user?localpart=alice");
  ASSERT_EQ(
      call("POST", "/_double/faults", R"({"path":"/_synapse/mas/query_user","status":502})").status,
      201);
  RawResponse cleared = call("DELETE", "/_double/faults");
  RawResponse after_clear = mas("GET", "/_synapse/mas/query_user?localpart=alice");
  RawResponse bad = call("POST", "/_double/faults", R"({"status":500})");

  EXPECT_EQ(added.status, 201);
  EXPECT_EQ(faulted.status, 500);
  EXPECT_EQ(recovered.status, 200);
  EXPECT_EQ(cleared.status, 204);
  EXPECT_EQ(after_clear.status, 200);
  EXPECT_EQ(bad.status, 400);
}

TEST_F(SynapseDoubleTest, ConfigPointsTheDoubleAtMxauth) {
  RawResponse before = call("GET", "/_matrix/client/v1/auth_metadata");

  RawResponse configured =
      call("POST", "/_double/config", R"({"mxauth_base":")" + mxauth_.base() + R"("})");
  RawResponse after = call("GET", "/_matrix/client/v1/auth_metadata");

  EXPECT_EQ(before.status, 500);
  EXPECT_EQ(configured.status, 200);
  EXPECT_EQ(synapse_.mxauthBase(), mxauth_.base());
  EXPECT_EQ(after.status, 200);
}

TEST_F(SynapseDoubleTest, WaitReportsWhetherTheCallsCame) {
  ASSERT_EQ(mas("GET", "/_synapse/mas/query_user?localpart=BOB").status, 200);

  RawResponse came =
      call("GET", "/_double/wait?path=/_synapse/mas/query_user&count=1&timeout_ms=1000");
  RawResponse did_not =
      call("GET", "/_double/wait?path=/_synapse/mas/sync_devices&count=1&timeout_ms=0");

  ASSERT_EQ(came.status, 200);
  EXPECT_EQ(json(came), boost::json::parse(R"({"reached":true,"count":1})"));
  ASSERT_EQ(did_not.status, 200);
  EXPECT_EQ(json(did_not), boost::json::parse(R"({"reached":false,"count":0})"));
}

TEST_F(SynapseDoubleTest, WaitForCallsWakesWhenTheCallIsAnswered) {
  synapse_.addUser("alice");
  auto waiter = std::async(std::launch::async, [&] {
    return synapse_.waitForCalls("/_synapse/mas/upsert_device", 1, 10s);
  });

  ASSERT_EQ(
      mas("POST", "/_synapse/mas/upsert_device", R"({"localpart":"alice","device_id":"D"})").status,
      201);

  EXPECT_TRUE(waiter.get());
  EXPECT_TRUE(synapse_.waitUntil([&] { return synapse_.hasDevice("alice", "D"); }, 1s));
  EXPECT_FALSE(synapse_.waitUntil([&] { return synapse_.hasDevice("alice", "E"); }, 10ms));
}

TEST_F(SynapseDoubleTest, ControlPathsNeedNoSecretAndAreNotRecorded) {
  ASSERT_EQ(call("GET", "/_double/state").status, 200);
  ASSERT_EQ(call("DELETE", "/_double/calls").status, 204);
  ASSERT_EQ(call("DELETE", "/_double/caches").status, 204);

  EXPECT_TRUE(synapse_.calls().empty());
}

TEST_F(SynapseDoubleTest, UnknownPathsAreUnrecognized) {
  RawResponse response = call("GET", "/_matrix/client/v3/sync");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(errcodeOf(response), "M_UNRECOGNIZED");
}

// --- the executable --------------------------------------------------------------------

// Reads one line from `fd` within `timeout`.
std::optional<std::string> readLine(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string line;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char c = 0;
    if (::read(fd, &c, 1) != 1) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

TEST(SynapseDoubleExecutable, PrintsItsPortServesAndExitsCleanlyOnSigterm) {
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<std::string> args = {
      SYNAPSE_DOUBLE_BINARY, "--server-name", "double.test", "--secret", "s", "--listen",
      "127.0.0.1:0"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, SYNAPSE_DOUBLE_BINARY, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);

  std::optional<std::string> line = readLine(out[0], 10s);
  ::close(out[0]);
  ASSERT_TRUE(line);
  ASSERT_TRUE(line->starts_with("listening on 127.0.0.1:")) << *line;
  const auto port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
  RawResponse state = roundTrip(port, "GET", "/_double/state");
  ::kill(pid, SIGTERM);
  int status = 0;
  const bool exited =
      RunningServer::eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 10s);

  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(json(state).at("server_name"), "double.test");
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace mxauth::test
