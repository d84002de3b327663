#include "oauth/homeserver_provisioning.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "homeserver/testing/recording_homeserver.h"
#include "oauth/token_handler.h"
#include "oauth/token_test_fixture.h"

namespace mxauth::oauth {
namespace {

using test::IssuedCode;
using test::TestClient;

// spec-digest §5.7: the homeserver knows the user and the device before the
// client holds a token for them.
class HomeserverProvisioningTest : public test::TokenEndpointTest {
 protected:
  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    endpoints_ = std::make_unique<TokenEndpoints>(*database_, rng_, clock_, keySource(), options_,
                                                  &homeserver_);
  }

  test::RecordingHomeserver homeserver_;
};

TEST_P(HomeserverProvisioningTest, ExchangeProvisionsTheUserAndUpsertsTheDeviceFirst) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();

  http::Response response = exchangeCode(client, issueCode(client, alice));

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(homeserver_.calls(),
            (std::vector<std::string>{"provision_user alice", "upsert_device alice ABCDEFGHIJ"}));
  EXPECT_EQ(homeserver_.devices("alice"), (std::set<std::string>{"ABCDEFGHIJ"}));
}

TEST_P(HomeserverProvisioningTest, NoDeviceScopeMeansNoDeviceUpsert) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();

  http::Response response =
      exchangeCode(client, issueCode(client, alice, "openid urn:matrix:client:api:*"));

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(homeserver_.calls(), (std::vector<std::string>{"provision_user alice"}));
}

TEST_P(HomeserverProvisioningTest, HomeserverDownMeansNoTokenAndTheCodeStillWorksLater) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "connect refused"});

  http::Response refused = exchangeCode(client, code);

  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(errorOf(refused), "temporarily_unavailable");
  EXPECT_EQ(refused.body.find("connect refused"), std::string::npos);  // log detail only
  {
    auto tx = begin();
    auto grant = tx->authorizationGrants().lookup(code.grant.id);
    ASSERT_TRUE(grant.has_value() && grant->has_value());
    EXPECT_TRUE((*grant)->isExchangeable());  // not consumed
  }

  homeserver_.clearFailure();
  http::Response retried = exchangeCode(client, code);
  EXPECT_EQ(retried.status, 200) << retried.body;
}

TEST_P(HomeserverProvisioningTest, HomeserverRefusingTheDeviceIsAServerErrorAndNoToken) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);
  homeserver_.failWith(
      {homeserver::HomeserverErrorCode::Rejected, 400, "M_INVALID_PARAM", "bad device"});

  http::Response refused = exchangeCode(client, code);

  EXPECT_EQ(refused.status, 500) << refused.body;
  EXPECT_EQ(errorOf(refused), "server_error");
  // The code was never consumed, so no token was issued for it.
  auto tx = begin();
  auto grant = tx->authorizationGrants().lookup(code.grant.id);
  ASSERT_TRUE(grant.has_value() && grant->has_value());
  EXPECT_TRUE((*grant)->isExchangeable());
}

TEST_P(HomeserverProvisioningTest, AnUnknownOrReplayedCodeNeverReachesTheHomeserver) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);
  ASSERT_EQ(exchangeCode(client, code).status, 200);
  const std::size_t calls_after_first = homeserver_.calls().size();

  EXPECT_EQ(errorOf(exchangeCode(client, code)), "invalid_grant");
  IssuedCode unknown = code;
  unknown.code = "not-a-code";
  EXPECT_EQ(errorOf(exchangeCode(client, unknown)), "invalid_grant");

  EXPECT_EQ(homeserver_.calls().size(), calls_after_first);
}

// A stolen code without its verifier, or presented by another client or
// with another redirect URI, never puts a device on the user's account.
TEST_P(HomeserverProvisioningTest, AnExchangeTheGrantWillRefuseNeverReachesTheHomeserver) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  TestClient other = addPublicClient();
  IssuedCode code = issueCode(client, alice);

  IssuedCode wrong_verifier = code;
  wrong_verifier.verifier = std::string(43, 'a');
  EXPECT_EQ(errorOf(exchangeCode(client, wrong_verifier)), "invalid_grant");
  EXPECT_EQ(errorOf(exchangeCode(other, code)), "invalid_grant");
  EXPECT_EQ(errorOf(token(clientPost(client, "/oauth2/token",
                                     {{"grant_type", "authorization_code"},
                                      {"code", code.code},
                                      {"redirect_uri", "https://elsewhere.example/cb"},
                                      {"code_verifier", code.verifier}}))),
            "invalid_grant");
  clock_.advance(std::chrono::seconds(601));
  EXPECT_EQ(errorOf(exchangeCode(client, code)), "invalid_grant");

  EXPECT_TRUE(homeserver_.calls().empty());
}

TEST_P(HomeserverProvisioningTest, RefreshDoesNotCallTheHomeserver) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  const std::size_t calls = homeserver_.calls().size();

  ASSERT_EQ(refresh(client, std::string(json(first).at("refresh_token").as_string())).status, 200);

  EXPECT_EQ(homeserver_.calls().size(), calls);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, HomeserverProvisioningTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, HomeserverProvisioningTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
