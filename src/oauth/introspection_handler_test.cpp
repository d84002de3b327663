#include "oauth/introspection_handler.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/token.h"
#include "oauth/token_test_fixture.h"

namespace mxauth::oauth {
namespace {

using test::TestClient;

class IntrospectionHandlerTest : public test::TokenEndpointTest {
 protected:
  // Tokens of a fresh login of `alice` through a public client.
  struct Login {
    std::string access_token;
    std::string refresh_token;
    domain::OAuthSession session;
  };

  Login login(std::string_view scope = test::kLoginScope) {
    if (!alice_) alice_ = addUser("alice");
    if (!client_) client_ = addPublicClient();
    test::IssuedCode code = issueCode(*client_, *alice_, scope);
    boost::json::object body = json(exchangeCode(*client_, code));
    return {std::string(body.at("access_token").as_string()),
            std::string(body.at("refresh_token").as_string()), code.session};
  }

  http::Request homeserverRequest(std::vector<std::pair<std::string, std::string>> params) {
    http::Request request = post("/oauth2/introspect", params);
    request.headers.set("Authorization", "Bearer " + std::string(test::kMatrixSecret));
    return request;
  }

  const IntrospectionHandler& handler() { return endpoints_->introspectionHandler(); }

  std::optional<domain::User> alice_;
  std::optional<TestClient> client_;
};

TEST_P(IntrospectionHandlerTest, AnswersAnActiveAccessTokenWithTheMatrixFields) {
  Login tokens = login();

  http::Response response = introspect(tokens.access_token);

  ASSERT_EQ(response.status, 200);
  boost::json::object body = json(response);
  EXPECT_EQ(body.at("active").as_bool(), true);
  EXPECT_EQ(body.at("scope").as_string(),
            std::string(test::kLoginScope) +
                " urn:matrix:org.matrix.msc2967.client:api:* "
                "urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ");
  EXPECT_EQ(body.at("client_id").as_string(), client_->id());
  EXPECT_EQ(body.at("username").as_string(), "alice");
  EXPECT_EQ(body.at("sub").as_string(), alice_->id.str());
  EXPECT_EQ(body.at("token_type").as_string(), "access_token");
  EXPECT_EQ(body.at("iat").as_int64(), toUnixSeconds(clock_.now()));
  EXPECT_EQ(body.at("exp").as_int64(), toUnixSeconds(clock_.now()) + 300);
  EXPECT_EQ(body.at("expires_in").as_int64(), 300);
  EXPECT_FALSE(body.contains("device_id"));
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
}

TEST_P(IntrospectionHandlerTest, SendsDeviceIdOnlyToHomeserversThatSupportIt) {
  Login tokens = login();

  EXPECT_EQ(json(introspect(tokens.access_token, true)).at("device_id").as_string(), "ABCDEFGHIJ");
  EXPECT_FALSE(json(introspect(tokens.access_token, false)).contains("device_id"));
}

TEST_P(IntrospectionHandlerTest, AccessTokenIsInactiveOneSecondAfterExpiresIn) {
  Login tokens = login();
  ASSERT_TRUE(isActive(introspect(tokens.access_token)));  // now cached

  clock_.advance(std::chrono::seconds(299));
  http::Response last = introspect(tokens.access_token);
  clock_.advance(std::chrono::seconds(2));
  http::Response expired = introspect(tokens.access_token);

  EXPECT_EQ(json(last).at("expires_in").as_int64(), 1);
  EXPECT_EQ(expired.body, R"({"active":false})");
}

TEST_P(IntrospectionHandlerTest, RequiresTheHomeserverSecretOrClientCredentials) {
  Login tokens = login();
  http::Request anonymous = post("/oauth2/introspect", {{"token", tokens.access_token}});
  http::Request wrong = anonymous;
  wrong.headers.set("Authorization", "Bearer not-the-secret");
  http::Request public_client =
      clientPost(*client_, "/oauth2/introspect", {{"token", tokens.access_token}});
  TestClient confidential = addClient(TokenEndpointAuthMethod::ClientSecretPost);
  http::Request with_credentials =
      clientPost(confidential, "/oauth2/introspect", {{"token", tokens.access_token}});

  for (const http::Request* request : {&anonymous, &wrong, &public_client}) {
    EXPECT_FALSE(handler().fastPath(*request).has_value());
    http::Response response = handler().handle(*request);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(errorOf(response), "invalid_client");
  }
  EXPECT_TRUE(isActive(handler().handle(with_credentials)));
}

TEST_P(IntrospectionHandlerTest, NoHomeserverSecretConfiguredMeansNoBearerAccess) {
  Login tokens = login();
  options_.matrix_secret.clear();
  endpoints_ = std::make_unique<TokenEndpoints>(*database_, rng_, clock_, keySource(), options_);
  http::Request request = post("/oauth2/introspect", {{"token", tokens.access_token}});
  request.headers.set("Authorization", "Bearer ");

  EXPECT_EQ(handler().handle(request).status, 401);
}

TEST_P(IntrospectionHandlerTest, MalformedTokensAreInactiveOnTheFastPath) {
  Login tokens = login();
  std::string bad_checksum = tokens.access_token;
  bad_checksum.back() = bad_checksum.back() == 'A' ? 'B' : 'A';

  for (std::string token : {bad_checksum, std::string("garbage"), std::string("syt_abc")}) {
    std::optional<http::Response> fast = handler().fastPath(homeserverRequest({{"token", token}}));
    ASSERT_TRUE(fast.has_value()) << token;
    EXPECT_EQ(fast->body, R"({"active":false})");
  }
}

TEST_P(IntrospectionHandlerTest, MissingTokenIsInvalidRequest) {
  http::Response response = handler().handle(homeserverRequest({}));

  EXPECT_EQ(errorOf(response), "invalid_request");
}

TEST_P(IntrospectionHandlerTest, HintNamingTheOtherTypeIsInactive) {
  Login tokens = login();

  http::Response as_refresh = handler().handle(
      homeserverRequest({{"token", tokens.access_token}, {"token_type_hint", "refresh_token"}}));
  http::Response unknown_hint = handler().handle(
      homeserverRequest({{"token", tokens.access_token}, {"token_type_hint", "something"}}));

  EXPECT_FALSE(isActive(as_refresh));
  EXPECT_TRUE(isActive(unknown_hint));
}

TEST_P(IntrospectionHandlerTest, RefreshTokensIntrospectWithTheirType) {
  Login tokens = login();

  boost::json::object body = json(introspect(tokens.refresh_token));

  EXPECT_EQ(body.at("active").as_bool(), true);
  EXPECT_EQ(body.at("token_type").as_string(), "refresh_token");
  EXPECT_EQ(body.at("username").as_string(), "alice");
}

TEST_P(IntrospectionHandlerTest, FirstIntrospectionMarksTheAccessTokenUsed) {
  Login tokens = login();
  auto before = begin()->accessTokens().findByHash(crypto::tokenHashHex(tokens.access_token));
  ASSERT_TRUE(before.has_value() && before->has_value());
  EXPECT_FALSE((*before)->first_used_at.has_value());

  introspect(tokens.access_token);

  auto after = begin()->accessTokens().findByHash(crypto::tokenHashHex(tokens.access_token));
  ASSERT_TRUE(after.has_value() && after->has_value());
  EXPECT_EQ((*after)->first_used_at, clock_.now());
}

TEST_P(IntrospectionHandlerTest, SecondIntrospectionIsServedFromTheCacheOnTheFastPath) {
  Login tokens = login();
  http::Request request = homeserverRequest({{"token", tokens.access_token}});
  ASSERT_FALSE(handler().fastPath(request).has_value());
  ASSERT_TRUE(isActive(handler().handle(request)));

  std::optional<http::Response> cached = handler().fastPath(request);

  ASSERT_TRUE(cached.has_value());
  EXPECT_TRUE(isActive(*cached));
  EXPECT_EQ(endpoints_->introspectionCache().size(), 1u);
}

TEST_P(IntrospectionHandlerTest, RevocationInThisProcessIsSeenAtOnceDespiteTheCache) {
  Login tokens = login();
  ASSERT_TRUE(isActive(introspect(tokens.access_token)));

  ASSERT_EQ(revoke({{"token", tokens.refresh_token}}).status, 200);

  EXPECT_FALSE(isActive(introspect(tokens.access_token)));
}

TEST_P(IntrospectionHandlerTest, LockedUserIsInactiveWithinTheStalenessBound) {
  Login tokens = login();
  ASSERT_TRUE(isActive(introspect(tokens.access_token)));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, alice_->id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  clock_.advance(options_.introspection_cache_staleness);

  EXPECT_FALSE(isActive(introspect(tokens.access_token)));
  EXPECT_FALSE(isActive(introspect(tokens.refresh_token)));
}

TEST_P(IntrospectionHandlerTest, DeactivatedUserIsInactive) {
  Login tokens = login();
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().deactivate(clock_, alice_->id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_FALSE(isActive(introspect(tokens.access_token)));
}

TEST_P(IntrospectionHandlerTest, ActivityIsBatchedAndFlushedToTheSession) {
  Login tokens = login();
  introspect(tokens.access_token);
  clock_.advance(std::chrono::seconds(3));
  introspect(tokens.access_token);
  auto unchanged = begin()->oauthSessions().lookup(tokens.session.id);
  ASSERT_TRUE(unchanged.has_value() && unchanged->has_value());
  EXPECT_FALSE((*unchanged)->last_active_at.has_value());
  EXPECT_EQ(endpoints_->activityTracker().pending(), 1u);

  auto flushed = endpoints_->activityTracker().flush();

  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(*flushed, 1u);
  auto session = begin()->oauthSessions().lookup(tokens.session.id);
  ASSERT_TRUE(session.has_value() && session->has_value());
  EXPECT_EQ((*session)->last_active_at, clock_.now());
  EXPECT_EQ((*session)->last_active_ip, "192.0.2.10");
}

TEST_P(IntrospectionHandlerTest, StopWritesThePendingActivity) {
  Login tokens = login();
  endpoints_->start();
  introspect(tokens.access_token);

  endpoints_->stop();

  EXPECT_EQ(endpoints_->activityTracker().pending(), 0u);
  auto session = begin()->oauthSessions().lookup(tokens.session.id);
  ASSERT_TRUE(session.has_value() && session->has_value());
  EXPECT_EQ((*session)->last_active_at, clock_.now());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, IntrospectionHandlerTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, IntrospectionHandlerTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
