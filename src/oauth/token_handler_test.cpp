#include "oauth/token_handler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "crypto/jws.h"
#include "crypto/token.h"
#include "oauth/id_token.h"
#include "oauth/token_test_fixture.h"

namespace mxauth::oauth {
namespace {

using test::IssuedCode;
using test::TestClient;

class TokenHandlerTest : public test::TokenEndpointTest {
 protected:
  std::string stringOf(const http::Response& response, std::string_view name) {
    boost::json::object body = json(response);
    const boost::json::value* value = body.if_contains(name);
    return value && value->is_string() ? std::string(value->as_string()) : std::string();
  }
};

TEST_P(TokenHandlerTest, ExchangesACodeForAnAccessAndARefreshToken) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);

  http::Response response = exchangeCode(client, code);

  ASSERT_EQ(response.status, 200) << response.body;
  boost::json::object body = json(response);
  EXPECT_EQ(body.at("token_type").as_string(), "Bearer");
  EXPECT_EQ(body.at("expires_in").as_int64(), 300);
  EXPECT_EQ(body.at("scope").as_string(), test::kLoginScope);
  EXPECT_EQ(crypto::parseToken(body.at("access_token").as_string()).value(),
            crypto::TokenType::AccessToken);
  EXPECT_EQ(crypto::parseToken(body.at("refresh_token").as_string()).value(),
            crypto::TokenType::RefreshToken);
  EXPECT_FALSE(body.contains("id_token"));
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  EXPECT_EQ(response.header("Pragma"), "no-cache");
}

TEST_P(TokenHandlerTest, StoresOnlyTheHashesOfIssuedTokens) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response response = exchangeCode(client, issueCode(client, alice));
  std::string access = stringOf(response, "access_token");

  auto tx = begin();
  auto by_hash = tx->accessTokens().findByHash(crypto::tokenHashHex(access));
  auto by_plain = tx->accessTokens().findByHash(access);

  ASSERT_TRUE(by_hash.has_value() && by_hash->has_value());
  ASSERT_TRUE(by_plain.has_value());
  EXPECT_FALSE(by_plain->has_value());
}

TEST_P(TokenHandlerTest, ReplayedCodeIsInvalidGrantAndRevokesEveryTokenIssuedFromIt) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);
  http::Response first = exchangeCode(client, code);
  ASSERT_EQ(first.status, 200);

  http::Response replay = exchangeCode(client, code);

  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(errorOf(replay), "invalid_grant");
  EXPECT_FALSE(isActive(introspect(stringOf(first, "access_token"))));
  EXPECT_EQ(errorOf(refresh(client, stringOf(first, "refresh_token"))), "invalid_grant");
  EXPECT_EQ(userinfo(stringOf(first, "access_token")).status, 401);
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(errorOf(exchangeCode(client, code)), "invalid_grant");
}

TEST_P(TokenHandlerTest, CodeIsRefusedOneSecondAfterItsLifetime) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode fresh = issueCode(client, alice);
  IssuedCode old = issueCode(client, alice);

  clock_.advance(std::chrono::seconds(600));
  EXPECT_EQ(exchangeCode(client, fresh).status, 200);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(errorOf(exchangeCode(client, old)), "invalid_grant");
}

TEST_P(TokenHandlerTest, CodeOfAnotherClientIsInvalidGrant) {
  domain::User alice = addUser("alice");
  TestClient owner = addPublicClient();
  TestClient other = addClient(TokenEndpointAuthMethod::ClientSecretBasic);
  IssuedCode code = issueCode(owner, alice);

  http::Response stolen = exchangeCode(other, code);

  EXPECT_EQ(errorOf(stolen), "invalid_grant");
  EXPECT_EQ(exchangeCode(owner, code).status, 200);
}

TEST_P(TokenHandlerTest, RedirectUriMustBeSentAndEqualTheAuthorizationRequests) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);

  http::Response other = token(clientPost(client, "/oauth2/token",
                                          {{"grant_type", "authorization_code"},
                                           {"code", code.code},
                                           {"redirect_uri", "https://app.example.test/other"},
                                           {"code_verifier", code.verifier}}));
  http::Response missing = token(clientPost(client, "/oauth2/token",
                                            {{"grant_type", "authorization_code"},
                                             {"code", code.code},
                                             {"code_verifier", code.verifier}}));

  EXPECT_EQ(errorOf(other), "invalid_grant");
  EXPECT_EQ(errorOf(missing), "invalid_request");
}

TEST_P(TokenHandlerTest, PkceVerifierIsRequiredAndMustMatch) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);
  IssuedCode without_verifier = code;
  without_verifier.verifier.clear();
  IssuedCode wrong = code;
  wrong.verifier = std::string(43, 'x');
  IssuedCode too_short = code;
  too_short.verifier = code.verifier.substr(0, 42);

  EXPECT_EQ(errorOf(exchangeCode(client, without_verifier)), "invalid_grant");
  EXPECT_EQ(errorOf(exchangeCode(client, wrong)), "invalid_grant");
  EXPECT_EQ(errorOf(exchangeCode(client, too_short)), "invalid_grant");
  EXPECT_EQ(exchangeCode(client, code).status, 200);
}

TEST_P(TokenHandlerTest, VerifierForACodeWithoutChallengeIsInvalidRequest) {
  domain::User alice = addUser("alice");
  TestClient client = addClient(TokenEndpointAuthMethod::ClientSecretPost);
  IssuedCode code = issueCode(client, alice, test::kLoginScope, false);
  IssuedCode downgraded = code;
  downgraded.verifier = std::string(43, 'x');

  EXPECT_EQ(errorOf(exchangeCode(client, downgraded)), "invalid_request");
  EXPECT_EQ(exchangeCode(client, code).status, 200);
}

TEST_P(TokenHandlerTest, PublicClientCodeWithoutChallengeIsRefused) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice, test::kLoginScope, false);

  EXPECT_EQ(errorOf(exchangeCode(client, code)), "invalid_grant");
}

TEST_P(TokenHandlerTest, LockedUserCannotExchangeOrRefresh) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response issued = exchangeCode(client, issueCode(client, alice));
  IssuedCode pending = issueCode(client, alice);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(errorOf(exchangeCode(client, pending)), "invalid_grant");
  EXPECT_EQ(errorOf(refresh(client, stringOf(issued, "refresh_token"))), "invalid_grant");
}

TEST_P(TokenHandlerTest, RefreshRotatesThePairAndRevokesTheOldAccessToken) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));

  http::Response second = refresh(client, stringOf(first, "refresh_token"));

  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(stringOf(second, "refresh_token"), stringOf(first, "refresh_token"));
  EXPECT_EQ(stringOf(second, "scope"), test::kLoginScope);
  EXPECT_EQ(second.header("Cache-Control"), "no-store");
  EXPECT_FALSE(isActive(introspect(stringOf(first, "access_token"))));
  EXPECT_TRUE(isActive(introspect(stringOf(second, "access_token"))));
}

// Security checklist D.30: a refresh token dies after tokens.refresh_token_ttl
// (30 days by default), at the token endpoint, not only in the domain rule.
TEST_P(TokenHandlerTest, RefreshTokenIsRefusedOneSecondAfterItsLifetime) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response fresh = exchangeCode(client, issueCode(client, alice));
  http::Response old = exchangeCode(client, issueCode(client, alice));

  clock_.advance(std::chrono::seconds(2592000) - std::chrono::seconds(1));
  EXPECT_EQ(refresh(client, stringOf(fresh, "refresh_token")).status, 200);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(errorOf(refresh(client, stringOf(old, "refresh_token"))), "invalid_grant");
}

TEST_P(TokenHandlerTest, SessionCannotBeRefreshedPastItsAbsoluteLifetime) {
  options_.lifetimes.session_lifetime = std::chrono::hours(24);
  endpoints_ = std::make_unique<TokenEndpoints>(*database_, rng_, clock_, keySource(), options_);
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  std::string refresh_token =
      stringOf(exchangeCode(client, issueCode(client, alice)), "refresh_token");

  // Refreshed every 12 hours, the session is never idle, but it still ends
  // 24 hours after it began.
  clock_.advance(std::chrono::hours(12));
  http::Response kept = refresh(client, refresh_token);
  ASSERT_EQ(kept.status, 200) << kept.body;
  clock_.advance(std::chrono::hours(12) - std::chrono::seconds(1));
  http::Response last = refresh(client, stringOf(kept, "refresh_token"));
  ASSERT_EQ(last.status, 200) << last.body;
  clock_.advance(std::chrono::seconds(1));

  EXPECT_EQ(errorOf(refresh(client, stringOf(last, "refresh_token"))), "invalid_grant");
  EXPECT_FALSE(isActive(introspect(stringOf(last, "access_token"))));
}

TEST_P(TokenHandlerTest, NoAbsoluteSessionLifetimeByDefault) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  std::string refresh_token =
      stringOf(exchangeCode(client, issueCode(client, alice)), "refresh_token");

  // Two years of refreshes, each well within the 30-day idle lifetime.
  for (int month = 0; month < 24; ++month) {
    clock_.advance(std::chrono::days(29));
    http::Response rotated = refresh(client, refresh_token);
    ASSERT_EQ(rotated.status, 200) << "month " << month << ": " << rotated.body;
    refresh_token = stringOf(rotated, "refresh_token");
  }
}

TEST_P(TokenHandlerTest, OldAccessTokenServedFromTheCacheIsInactiveAfterRotation) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  ASSERT_TRUE(isActive(introspect(stringOf(first, "access_token"))));
  clock_.advance(std::chrono::seconds(5));

  // The successor of the used access token cannot be retried, so this is a
  // plain rotation; its pair must stop the cached answer.
  ASSERT_EQ(refresh(client, stringOf(first, "refresh_token")).status, 200);

  EXPECT_FALSE(isActive(introspect(stringOf(first, "access_token"))));
}

TEST_P(TokenHandlerTest, ALateRacerFailsWithoutEndingTheSessionEvenIfTheWinnerUsedItsToken) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  http::Response winner = refresh(client, stringOf(first, "refresh_token"));
  ASSERT_EQ(winner.status, 200);
  ASSERT_TRUE(isActive(introspect(stringOf(winner, "access_token"))));  // used at once
  clock_.advance(std::chrono::milliseconds(500));

  EXPECT_EQ(errorOf(refresh(client, stringOf(first, "refresh_token"))), "invalid_grant");

  EXPECT_TRUE(isActive(introspect(stringOf(winner, "access_token"))));
  EXPECT_EQ(refresh(client, stringOf(winner, "refresh_token")).status, 200);
}

TEST_P(TokenHandlerTest, LostResponseRetrySucceedsAndRevokesTheUnusedSuccessor) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  http::Response lost = refresh(client, stringOf(first, "refresh_token"));
  ASSERT_EQ(lost.status, 200);
  clock_.advance(std::chrono::seconds(5));

  http::Response retry = refresh(client, stringOf(first, "refresh_token"));

  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_FALSE(isActive(introspect(stringOf(lost, "access_token"))));
  EXPECT_EQ(errorOf(refresh(client, stringOf(lost, "refresh_token"))), "invalid_grant");
  EXPECT_TRUE(isActive(introspect(stringOf(retry, "access_token"))));
}

TEST_P(TokenHandlerTest, ReuseAfterTheSuccessorWasUsedEndsTheWholeSession) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first =
      exchangeCode(client, issueCode(client, alice, "openid urn:matrix:client:api:*"));
  http::Response second = refresh(client, stringOf(first, "refresh_token"));
  ASSERT_EQ(second.status, 200);
  clock_.advance(std::chrono::seconds(5));
  ASSERT_EQ(userinfo(stringOf(second, "access_token")).status, 200);

  http::Response reuse = refresh(client, stringOf(first, "refresh_token"));

  EXPECT_EQ(errorOf(reuse), "invalid_grant");
  EXPECT_EQ(errorOf(refresh(client, stringOf(second, "refresh_token"))), "invalid_grant");
  EXPECT_FALSE(isActive(introspect(stringOf(second, "access_token"))));
  EXPECT_EQ(userinfo(stringOf(second, "access_token")).status, 401);
}

TEST_P(TokenHandlerTest, RetryAfterTheRetriedPairWasUsedEndsTheSession) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  ASSERT_EQ(refresh(client, stringOf(first, "refresh_token")).status, 200);
  clock_.advance(std::chrono::seconds(5));
  http::Response retry = refresh(client, stringOf(first, "refresh_token"));
  ASSERT_EQ(retry.status, 200);
  ASSERT_TRUE(isActive(introspect(stringOf(retry, "access_token"))));
  clock_.advance(std::chrono::seconds(5));

  EXPECT_EQ(errorOf(refresh(client, stringOf(first, "refresh_token"))), "invalid_grant");
  EXPECT_EQ(errorOf(refresh(client, stringOf(retry, "refresh_token"))), "invalid_grant");
}

TEST_P(TokenHandlerTest, RefreshTokenOfAnotherClientIsInvalidGrant) {
  domain::User alice = addUser("alice");
  TestClient owner = addPublicClient();
  TestClient other = addPublicClient();
  http::Response first = exchangeCode(owner, issueCode(owner, alice));

  EXPECT_EQ(errorOf(refresh(other, stringOf(first, "refresh_token"))), "invalid_grant");
  EXPECT_EQ(refresh(owner, stringOf(first, "refresh_token")).status, 200);
}

TEST_P(TokenHandlerTest, RefreshNeverWidensTheScope) {
  domain::User alice = addUser("alice", true);
  TestClient client = addPublicClient();
  http::Response first = exchangeCode(client, issueCode(client, alice));
  std::string rt = stringOf(first, "refresh_token");

  http::Response wider =
      token(clientPost(client, "/oauth2/token",
                       {{"grant_type", "refresh_token"},
                        {"refresh_token", rt},
                        {"scope", std::string(test::kLoginScope) + " urn:synapse:admin:*"}}));
  http::Response same = token(clientPost(client, "/oauth2/token",
                                         {{"grant_type", "refresh_token"},
                                          {"refresh_token", rt},
                                          {"scope", std::string(test::kLoginScope)}}));

  EXPECT_EQ(errorOf(wider), "invalid_scope");
  EXPECT_EQ(same.status, 200) << same.body;
}

// Checklist D.28: mxauth does not narrow a session on refresh (the device
// scope and the API scope belong together); a narrower request is refused
// rather than silently answered with the full scope.
TEST_P(TokenHandlerTest, RefreshRefusesANarrowerScopeAndKeepsTheToken) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  std::string rt = stringOf(
      exchangeCode(client, issueCode(client, alice, "openid " + std::string(test::kLoginScope))),
      "refresh_token");

  http::Response narrower = token(clientPost(client, "/oauth2/token",
                                             {{"grant_type", "refresh_token"},
                                              {"refresh_token", rt},
                                              {"scope", std::string(test::kLoginScope)}}));

  EXPECT_EQ(errorOf(narrower), "invalid_scope");
  http::Response unchanged = refresh(client, rt);
  ASSERT_EQ(unchanged.status, 200) << unchanged.body;
  EXPECT_EQ(stringOf(unchanged, "scope"), "openid " + std::string(test::kLoginScope));
}

TEST_P(TokenHandlerTest, DeactivatedUserCannotExchangeOrRefresh) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  http::Response issued = exchangeCode(client, issueCode(client, alice));
  IssuedCode pending = issueCode(client, alice);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().deactivate(clock_, alice.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_EQ(errorOf(exchangeCode(client, pending)), "invalid_grant");
  EXPECT_EQ(errorOf(refresh(client, stringOf(issued, "refresh_token"))), "invalid_grant");
}

TEST_P(TokenHandlerTest, ClientCredentialsIssuesAnAccessTokenOnly) {
  TestClient client =
      addClient(TokenEndpointAuthMethod::ClientSecretBasic, {GrantType::ClientCredentials});

  http::Response response = token(clientPost(
      client, "/oauth2/token", {{"grant_type", "client_credentials"}, {"scope", "openid"}}));

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_FALSE(json(response).contains("refresh_token"));
  EXPECT_FALSE(json(response).contains("id_token"));
  http::Response introspection = introspect(stringOf(response, "access_token"));
  EXPECT_TRUE(isActive(introspection));
  EXPECT_FALSE(json(introspection).contains("username"));
}

TEST_P(TokenHandlerTest, ClientCredentialsNeverGrantsMatrixScopes) {
  TestClient client =
      addClient(TokenEndpointAuthMethod::ClientSecretPost, {GrantType::ClientCredentials});

  http::Response api = token(
      clientPost(client, "/oauth2/token",
                 {{"grant_type", "client_credentials"}, {"scope", "urn:matrix:client:api:*"}}));
  http::Response admin =
      token(clientPost(client, "/oauth2/token",
                       {{"grant_type", "client_credentials"}, {"scope", "urn:synapse:admin:*"}}));

  EXPECT_EQ(errorOf(api), "invalid_scope");
  EXPECT_EQ(errorOf(admin), "invalid_scope");
}

TEST_P(TokenHandlerTest, PublicClientCannotUseClientCredentials) {
  TestClient client = addClient(TokenEndpointAuthMethod::None,
                                {GrantType::AuthorizationCode, GrantType::ClientCredentials});

  http::Response response =
      token(clientPost(client, "/oauth2/token", {{"grant_type", "client_credentials"}}));

  EXPECT_EQ(errorOf(response), "unauthorized_client");
}

TEST_P(TokenHandlerTest, GrantTheClientDidNotRegisterIsUnauthorizedClient) {
  TestClient client = addClient(TokenEndpointAuthMethod::ClientSecretBasic,
                                {GrantType::AuthorizationCode, GrantType::RefreshToken});

  http::Response response =
      token(clientPost(client, "/oauth2/token", {{"grant_type", "client_credentials"}}));

  EXPECT_EQ(errorOf(response), "unauthorized_client");
}

TEST_P(TokenHandlerTest, UnknownOrPasswordGrantIsUnsupported) {
  TestClient client = addPublicClient();

  EXPECT_EQ(errorOf(token(clientPost(
                client, "/oauth2/token",
                {{"grant_type", "password"}, {"username", "alice"}, {"password", "x"}}))),
            "unsupported_grant_type");
  EXPECT_EQ(errorOf(token(clientPost(client, "/oauth2/token", {}))), "invalid_request");
}

TEST_P(TokenHandlerTest, RepeatedParameterIsInvalidRequest) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);

  http::Response response = token(clientPost(client, "/oauth2/token",
                                             {{"grant_type", "authorization_code"},
                                              {"code", code.code},
                                              {"code", code.code},
                                              {"redirect_uri", std::string(test::kRedirectUri)},
                                              {"code_verifier", code.verifier}}));

  EXPECT_EQ(errorOf(response), "invalid_request");
}

TEST_P(TokenHandlerTest, NonFormBodyIsInvalidRequest) {
  http::Request request = post("/oauth2/token", {});
  request.headers.set("Content-Type", "application/json");
  request.body = R"({"grant_type":"client_credentials"})";

  EXPECT_EQ(errorOf(token(request)), "invalid_request");
}

TEST_P(TokenHandlerTest, BasicCredentialsAreFormDecodedAfterBase64) {
  TestClient client =
      addClient(TokenEndpointAuthMethod::ClientSecretBasic, {GrantType::ClientCredentials});

  http::Response response =
      token(clientPost(client, "/oauth2/token", {{"grant_type", "client_credentials"}}));

  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_P(TokenHandlerTest, WrongSecretAndUnknownClientAreTheSame401) {
  TestClient client =
      addClient(TokenEndpointAuthMethod::ClientSecretBasic, {GrantType::ClientCredentials});
  TestClient wrong = client;
  wrong.secret += "x";
  TestClient unknown = client;
  unknown.client.id = domain::ClientId("01J00000000000000000000000");

  http::Response bad_secret =
      token(clientPost(wrong, "/oauth2/token", {{"grant_type", "client_credentials"}}));
  http::Response no_client =
      token(clientPost(unknown, "/oauth2/token", {{"grant_type", "client_credentials"}}));

  EXPECT_EQ(bad_secret.status, 401);
  EXPECT_EQ(errorOf(bad_secret), "invalid_client");
  EXPECT_TRUE(bad_secret.header("WWW-Authenticate").has_value());
  EXPECT_EQ(bad_secret.body, no_client.body);
  EXPECT_EQ(no_client.status, 401);
  // Security checklist C.25: errors are JSON and never cached.
  for (const http::Response* error : {&bad_secret, &no_client}) {
    EXPECT_EQ(error->header("Content-Type"), "application/json");
    EXPECT_EQ(error->header("Cache-Control"), "no-store");
    EXPECT_EQ(error->header("Pragma"), "no-cache");
  }
}

TEST_P(TokenHandlerTest, BasicTogetherWithAPostedSecretIsInvalidRequest) {
  TestClient client =
      addClient(TokenEndpointAuthMethod::ClientSecretBasic, {GrantType::ClientCredentials});
  http::Request request =
      clientPost(client, "/oauth2/token",
                 {{"grant_type", "client_credentials"}, {"client_secret", client.secret}});

  EXPECT_EQ(errorOf(token(request)), "invalid_request");
}

TEST_P(TokenHandlerTest, ClientMustUseTheMethodItRegistered) {
  TestClient basic =
      addClient(TokenEndpointAuthMethod::ClientSecretBasic, {GrantType::ClientCredentials});
  TestClient as_post = basic;
  as_post.metadata.token_endpoint_auth_method = TokenEndpointAuthMethod::ClientSecretPost;
  TestClient as_public = basic;
  as_public.metadata.token_endpoint_auth_method = TokenEndpointAuthMethod::None;

  EXPECT_EQ(
      errorOf(token(clientPost(as_post, "/oauth2/token", {{"grant_type", "client_credentials"}}))),
      "invalid_client");
  EXPECT_EQ(errorOf(token(
                clientPost(as_public, "/oauth2/token", {{"grant_type", "client_credentials"}}))),
            "invalid_client");
}

TEST_P(TokenHandlerTest, PublicClientSendingASecretIsRefused) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code = issueCode(client, alice);

  http::Response response =
      token(post("/oauth2/token", {{"grant_type", "authorization_code"},
                                   {"code", code.code},
                                   {"redirect_uri", std::string(test::kRedirectUri)},
                                   {"code_verifier", code.verifier},
                                   {"client_id", client.id()},
                                   {"client_secret", "anything"}}));

  EXPECT_EQ(errorOf(response), "invalid_client");
}

TEST_P(TokenHandlerTest, IdTokenCarriesTheOidcClaimsAndVerifiesWithTheJwks) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  IssuedCode code =
      issueCode(client, alice, "openid urn:matrix:client:api:*", true, "n-0S6_WzA2Mj");

  http::Response response = exchangeCode(client, code);

  ASSERT_EQ(response.status, 200) << response.body;
  std::string id_token = stringOf(response, "id_token");
  std::array<crypto::SigningAlgorithm, 1> allowed{crypto::SigningAlgorithm::Rs256};
  auto verified = crypto::verify(id_token, keys(), allowed);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->header.at("kid").as_string(),
            keys().signingKey(crypto::SigningAlgorithm::Rs256)->kid());
  boost::json::object claims = boost::json::parse(verified->payload).as_object();
  EXPECT_EQ(claims.at("iss").as_string(), test::kIssuer);
  EXPECT_EQ(claims.at("sub").as_string(), alice.id.str());
  EXPECT_EQ(claims.at("aud").as_string(), client.id());
  EXPECT_EQ(claims.at("nonce").as_string(), "n-0S6_WzA2Mj");
  EXPECT_EQ(claims.at("iat").as_int64(), toUnixSeconds(clock_.now()));
  EXPECT_EQ(claims.at("exp").as_int64(), toUnixSeconds(clock_.now()) + 300);
  EXPECT_EQ(claims.at("auth_time").as_int64(), toUnixSeconds(code.session.created_at));
  EXPECT_EQ(claims.at("at_hash").as_string(),
            oidcHalfHash(stringOf(response, "access_token"), crypto::SigningAlgorithm::Rs256));
  EXPECT_EQ(claims.at("c_hash").as_string(),
            oidcHalfHash(code.code, crypto::SigningAlgorithm::Rs256));
}

TEST_P(TokenHandlerTest, IdTokenUsesTheAlgorithmTheClientRegistered) {
  domain::User alice = addUser("alice");
  TestClient client = addClient(TokenEndpointAuthMethod::None,
                                {GrantType::AuthorizationCode, GrantType::RefreshToken},
                                crypto::SigningAlgorithm::Es256);

  http::Response response = exchangeCode(client, issueCode(client, alice, "openid"));

  std::array<crypto::SigningAlgorithm, 1> allowed{crypto::SigningAlgorithm::Es256};
  EXPECT_TRUE(crypto::verify(stringOf(response, "id_token"), keys(), allowed).has_value());
  EXPECT_FALSE(json(response).contains("nonce"));
}

TEST(IdToken, HalfHashIsTheLeftHalfOfTheDigestInBase64Url) {
  // OIDC Core §3.3.2.11 with SHA-256: 16 bytes → 22 base64url characters.
  EXPECT_EQ(oidcHalfHash("x", crypto::SigningAlgorithm::Rs256).size(), 22u);
  EXPECT_EQ(oidcHalfHash("x", crypto::SigningAlgorithm::Es256),
            oidcHalfHash("x", crypto::SigningAlgorithm::Rs256));
  // EdDSA (Ed25519) uses SHA-512: 32 bytes → 43 characters.
  EXPECT_EQ(oidcHalfHash("x", crypto::SigningAlgorithm::EdDsa).size(), 43u);
  crypto::Sha256Digest digest = crypto::sha256("x");
  EXPECT_EQ(oidcHalfHash("x", crypto::SigningAlgorithm::Rs256),
            core::base64UrlEncode(std::span<const std::uint8_t>(digest).first(16)));
}

// Two requests with one code or one refresh token at the same moment:
// exactly one succeeds (security checklist C.20). Threads start together
// behind a latch so that the exchanges really overlap.
TEST_P(TokenHandlerTest, ConcurrentExchangesOfOneCodeYieldExactlyOneSuccess) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  for (int round = 0; round < 5; ++round) {
    IssuedCode code = issueCode(client, alice);
    constexpr int kThreads = 4;
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<http::Response>> results;
    for (int i = 0; i < kThreads; ++i) {
      results.push_back(std::async(std::launch::async, [&, start] {
        start.wait();
        return exchangeCode(client, code);
      }));
    }
    go.set_value();
    std::vector<http::Response> winners;
    for (auto& result : results) {
      http::Response response = result.get();
      if (response.status == 200) {
        winners.push_back(std::move(response));
      } else {
        EXPECT_EQ(errorOf(response), "invalid_grant");
      }
    }
    ASSERT_EQ(winners.size(), 1u) << "round " << round;
    // The losers' replays ended the session: the winner's tokens are dead
    // too (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
    EXPECT_FALSE(isActive(introspect(stringOf(winners[0], "access_token")))) << round;
    EXPECT_EQ(errorOf(refresh(client, stringOf(winners[0], "refresh_token"))), "invalid_grant");
  }
}

TEST_P(TokenHandlerTest, ConcurrentRefreshesOfOneTokenYieldExactlyOneSuccess) {
  domain::User alice = addUser("alice");
  TestClient client = addPublicClient();
  for (int round = 0; round < 5; ++round) {
    http::Response first = exchangeCode(client, issueCode(client, alice));
    std::string rt = stringOf(first, "refresh_token");
    constexpr int kThreads = 4;
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<http::Response>> results;
    for (int i = 0; i < kThreads; ++i) {
      results.push_back(std::async(std::launch::async, [&, start] {
        start.wait();
        return refresh(client, rt);
      }));
    }
    go.set_value();
    std::vector<http::Response> winners;
    for (auto& result : results) {
      http::Response response = result.get();
      if (response.status == 200) {
        winners.push_back(std::move(response));
      } else {
        EXPECT_EQ(errorOf(response), "invalid_grant");
      }
    }
    ASSERT_EQ(winners.size(), 1u) << "round " << round;
    // Within refresh_retry_min_age the losers are a client racing itself,
    // not a thief: they fail, and the winner keeps its pair (docs/oauth.md).
    EXPECT_TRUE(isActive(introspect(stringOf(winners[0], "access_token")))) << round;
    EXPECT_EQ(refresh(client, stringOf(winners[0], "refresh_token")).status, 200) << round;
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, TokenHandlerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, TokenHandlerTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
