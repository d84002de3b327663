#include "oauth/userinfo_handler.h"

#include <gtest/gtest.h>

#include <string>

#include "oauth/token_test_fixture.h"

namespace mxauth::oauth {
namespace {

using test::TestClient;

class UserinfoHandlerTest : public test::TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = addUser("alice");
    client_ = addPublicClient();
  }

  std::string accessToken(std::string_view scope) {
    boost::json::object body = json(exchangeCode(client_, issueCode(client_, alice_, scope)));
    return std::string(body.at("access_token").as_string());
  }

  domain::User alice_;
  TestClient client_;
};

TEST_P(UserinfoHandlerTest, AnswersSubAloneForOpenid) {
  http::Response response = userinfo(accessToken("openid"));

  ASSERT_EQ(response.status, 200) << response.body;
  boost::json::object body = json(response);
  EXPECT_EQ(body.at("sub").as_string(), alice_.id.str());
  EXPECT_FALSE(body.contains("preferred_username"));
  EXPECT_FALSE(body.contains("email"));
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
}

TEST_P(UserinfoHandlerTest, AddsTheUsernameWithProfileAndTheConfirmedEmailWithEmail) {
  {
    auto tx = begin();
    auto unconfirmed = tx->userEmails().add(rng_, clock_, alice_.id, "old@example.test");
    auto confirmed = tx->userEmails().add(rng_, clock_, alice_.id, "alice@example.test");
    ASSERT_TRUE(unconfirmed.has_value() && confirmed.has_value());
    ASSERT_TRUE(tx->userEmails().confirm(clock_, confirmed->id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  boost::json::object body = json(userinfo(accessToken("openid profile email")));

  EXPECT_EQ(body.at("preferred_username").as_string(), "alice");
  EXPECT_EQ(body.at("email").as_string(), "alice@example.test");
  EXPECT_EQ(body.at("email_verified").as_bool(), true);
}

TEST_P(UserinfoHandlerTest, TokenWithoutOpenidIs403InsufficientScope) {
  http::Response response = userinfo(accessToken(test::kLoginScope));

  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(errorOf(response), "insufficient_scope");
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer error=\"insufficient_scope\"");
}

TEST_P(UserinfoHandlerTest, BadOrExpiredTokensAre401InvalidToken) {
  std::string token = accessToken("openid");

  http::Response garbage = userinfo("garbage");
  clock_.advance(std::chrono::seconds(301));
  http::Response expired = userinfo(token);

  for (const http::Response* response : {&garbage, &expired}) {
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(response->header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
  }
}

TEST_P(UserinfoHandlerTest, RequestWithoutATokenGetsABareChallenge) {
  auto request = http::Request::make(http::Method::Get, "/oauth2/userinfo");
  ASSERT_TRUE(request.has_value());

  http::Response response = endpoints_->userinfoHandler().handle(*request);

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer");
}

TEST_P(UserinfoHandlerTest, AcceptsTheTokenInAPostBodyButNotTwice) {
  std::string token = accessToken("openid");
  http::Request in_body = post("/oauth2/userinfo", {{"access_token", token}});
  http::Request both = in_body;
  both.headers.set("Authorization", "Bearer " + token);

  EXPECT_EQ(endpoints_->userinfoHandler().handle(in_body).status, 200);
  EXPECT_EQ(errorOf(endpoints_->userinfoHandler().handle(both)), "invalid_request");
}

TEST_P(UserinfoHandlerTest, NeverReadsTheTokenFromTheQueryString) {
  std::string token = accessToken("openid");
  auto request = http::Request::make(http::Method::Get, "/oauth2/userinfo?access_token=" + token);
  ASSERT_TRUE(request.has_value());

  EXPECT_EQ(endpoints_->userinfoHandler().handle(*request).status, 401);
}

TEST_P(UserinfoHandlerTest, LockedUserIs401) {
  std::string token = accessToken("openid");
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, alice_.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(userinfo(token).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UserinfoHandlerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserinfoHandlerTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
