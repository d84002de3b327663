#include "oauth/revoke_handler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "jobs/homeserver_jobs.h"
#include "oauth/token_test_fixture.h"
#include "storage/testing/failing_database.h"

namespace mxauth::oauth {
namespace {

using test::TestClient;

class RevokeHandlerTest : public test::TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = addUser("alice");
    client_ = addPublicClient();
  }

  boost::json::object login() {
    return json(exchangeCode(
        client_, issueCode(client_, alice_, "openid " + std::string(test::kLoginScope))));
  }
  static std::string field(const boost::json::object& body, std::string_view name) {
    return std::string(body.at(name).as_string());
  }

  domain::User alice_;
  TestClient client_;
};

TEST_P(RevokeHandlerTest, RevokingTheAccessTokenEndsTheWholeSession) {
  boost::json::object tokens = login();

  http::Response response = revoke({{"token", field(tokens, "access_token")},
                                    {"token_type_hint", "access_token"},
                                    {"client_id", client_.id()}});

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  EXPECT_FALSE(isActive(introspect(field(tokens, "access_token"))));
  EXPECT_EQ(errorOf(refresh(client_, field(tokens, "refresh_token"))), "invalid_grant");
}

// The homeserver must forget the device too: a device sync for the user is
// enqueued in the revocation's transaction (jobs/homeserver_jobs.h).
TEST_P(RevokeHandlerTest, RevocationQueuesADeviceSyncForTheUser) {
  boost::json::object tokens = login();

  ASSERT_EQ(revoke({{"token", field(tokens, "access_token")}}).status, 200);
  ASSERT_EQ(revoke({{"token", field(tokens, "refresh_token")}}).status, 200);  // already ended

  auto tx = begin();
  auto jobs = tx->jobs().claimDue(clock_, "test", std::chrono::minutes(1), 10);
  ASSERT_TRUE(jobs.has_value());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].kind, jobs::kSyncDevicesJob);
  EXPECT_NE((*jobs)[0].payload.find(alice_.id.str()), std::string::npos);
}

TEST_P(RevokeHandlerTest, FailsClosedWhenTheDatabaseCannotCommit) {
  boost::json::object tokens = login();
  ASSERT_TRUE(isActive(introspect(field(tokens, "access_token"))));  // now cached too
  test::CommitFailingDatabase failing(*database_);
  failing.failCommits(true);
  RevokeHandler handler(failing, rng_, clock_, endpoints_->clientAuthenticator(),
                        endpoints_->introspectionCache());

  for (std::string_view name : {"access_token", "refresh_token"}) {
    http::Request request = post("/oauth2/revoke", {{"token", field(tokens, name)}});
    http::Response response = handler.handle(request);

    EXPECT_GE(response.status, 500) << name << ": " << response.body;
    EXPECT_EQ(errorOf(response), "temporarily_unavailable") << name;
  }
  EXPECT_EQ(failing.refusedCommits(), 2);
  {
    auto tx = begin();
    auto unfinished = tx->jobs().countUnfinished();
    ASSERT_TRUE(unfinished.has_value());
    EXPECT_EQ(*unfinished, 0);  // the job went with the rollback
  }
  // Never "200 and still live": the token is exactly as it was.
  EXPECT_TRUE(isActive(introspect(field(tokens, "access_token"))));
  EXPECT_EQ(refresh(client_, field(tokens, "refresh_token")).status, 200);
}

TEST_P(RevokeHandlerTest, RevokingTheRefreshTokenAlsoKillsItsAccessToken) {
  boost::json::object tokens = login();

  EXPECT_EQ(revoke({{"token", field(tokens, "refresh_token")}}).status, 200);

  EXPECT_FALSE(isActive(introspect(field(tokens, "access_token"))));
  EXPECT_EQ(userinfo(field(tokens, "access_token")).status, 401);
  EXPECT_EQ(errorOf(refresh(client_, field(tokens, "refresh_token"))), "invalid_grant");
}

TEST_P(RevokeHandlerTest, UnknownMalformedAndAlreadyRevokedTokensAnswer200) {
  boost::json::object tokens = login();
  ASSERT_EQ(revoke({{"token", field(tokens, "access_token")}}).status, 200);

  EXPECT_EQ(revoke({{"token", field(tokens, "access_token")}}).status, 200);
  EXPECT_EQ(revoke({{"token", "garbage"}}).status, 200);
  EXPECT_EQ(revoke({{"token", "mat_000000000000000000000000000000_000000"}}).status, 200);
}

TEST_P(RevokeHandlerTest, RevokesEvenWithoutOrWithAMismatchedClientId) {
  boost::json::object first = login();
  boost::json::object second = login();
  boost::json::object third = login();
  TestClient other = addPublicClient();
  TestClient confidential = addClient(TokenEndpointAuthMethod::ClientSecretBasic);

  EXPECT_EQ(revoke({{"token", field(first, "access_token")}}).status, 200);
  EXPECT_EQ(revoke({{"token", field(second, "refresh_token")}, {"client_id", other.id()}}).status,
            200);

  EXPECT_EQ(
      revoke({{"token", field(third, "access_token")}, {"client_id", "01J00000000000000000000000"}})
          .status,
      200);
  EXPECT_EQ(
      revoke({{"token", field(first, "refresh_token")}, {"client_id", confidential.id()}}).status,
      200);

  EXPECT_FALSE(isActive(introspect(field(first, "access_token"))));
  EXPECT_FALSE(isActive(introspect(field(second, "access_token"))));
  EXPECT_FALSE(isActive(introspect(field(third, "access_token"))));
}

TEST_P(RevokeHandlerTest, WrongClientCredentialsAre401AndRevokeNothing) {
  boost::json::object tokens = login();
  TestClient confidential = addClient(TokenEndpointAuthMethod::ClientSecretPost);
  confidential.secret = "wrong";

  http::Response response = endpoints_->revokeHandler().handle(
      clientPost(confidential, "/oauth2/revoke", {{"token", field(tokens, "access_token")}}));

  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorOf(response), "invalid_client");
  EXPECT_TRUE(isActive(introspect(field(tokens, "access_token"))));
}

TEST_P(RevokeHandlerTest, MissingTokenIsInvalidRequest) {
  EXPECT_EQ(errorOf(revoke({{"client_id", client_.id()}})), "invalid_request");
}

TEST_P(RevokeHandlerTest, UnsupportedHintIsIgnored) {
  boost::json::object tokens = login();

  EXPECT_EQ(
      revoke({{"token", field(tokens, "access_token")}, {"token_type_hint", "id_token"}}).status,
      200);
  EXPECT_FALSE(isActive(introspect(field(tokens, "access_token"))));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RevokeHandlerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RevokeHandlerTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
