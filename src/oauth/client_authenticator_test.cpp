#include "oauth/client_authenticator.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/jwk_set.h"
#include "crypto/jws.h"
#include "oauth/client_store.h"
#include "oauth/token_test_fixture.h"

// Client authentication with signed assertions (client_secret_jwt,
// private_key_jwt) through the token, revocation and introspection
// endpoints; security checklist C.23 and E.34.
namespace mxauth::oauth {
namespace {

using namespace std::chrono_literals;
using test::TestClient;

constexpr std::string_view kTokenEndpoint = "https://auth.example.test/oauth2/token";
const crypto::EncryptionSecret kAssertionTestSecret{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
                                                    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

// A JwksSource that serves what the test sets and counts its calls.
class ScriptedJwks final : public JwksSource {
 public:
  Result<JwkSetKeys, std::string> keys(std::string_view uri, bool refresh) override {
    calls.emplace_back(std::string(uri), refresh);
    const std::string& json = refresh && refreshed ? *refreshed : current;
    auto parsed = crypto::parseJwkSet(std::string_view(json));
    if (!parsed) return unexpected(parsed.error().detail);
    return std::make_shared<const std::vector<crypto::JwkSetKey>>(std::move(*parsed));
  }

  std::string current;
  std::optional<std::string> refreshed;
  std::vector<std::pair<std::string, bool>> calls;
};

class ClientAssertionTest : public test::TokenEndpointTest {
 protected:
  static void SetUpTestSuite() {
    for (auto alg : {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256,
                     crypto::SigningAlgorithm::EdDsa}) {
      client_keys_.push_back(crypto::SigningKey::generate(alg).value());
    }
  }
  static void TearDownTestSuite() { client_keys_.clear(); }

  void SetUp() override {
    TokenEndpointTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    options_.client_authentication.secret_aead = &aead_;
    options_.client_authentication.jwks = &jwks_;
    endpoints_ = std::make_unique<TokenEndpoints>(*database_, rng_, clock_, keySource(), options_);
  }

  static const crypto::SigningKey& key(crypto::SigningAlgorithm alg) {
    for (const crypto::SigningKey& key : client_keys_) {
      if (key.algorithm() == alg) return key;
    }
    std::abort();
  }

  static std::string jwksOf(std::initializer_list<const crypto::SigningKey*> keys) {
    boost::json::array list;
    for (const crypto::SigningKey* key : keys) {
      // Without "alg", so that the RSA key serves RS256 and PS256 alike.
      boost::json::object jwk = key->publicKey().jwk();
      jwk.erase("alg");
      list.emplace_back(std::move(jwk));
    }
    return boost::json::serialize(boost::json::object{{"keys", std::move(list)}});
  }

  // A client_credentials client of `method`: private_key_jwt with every
  // test key inline (or at a jwks_uri), client_secret_jwt with a sealed
  // secret.
  TestClient addAssertionClient(TokenEndpointAuthMethod method, bool by_uri = false,
                                std::optional<crypto::JwsAlgorithm> signing_alg = std::nullopt) {
    TestClient out;
    out.metadata.redirect_uris = {std::string(test::kRedirectUri)};
    out.metadata.grant_types = {GrantType::ClientCredentials};
    out.metadata.response_type_code = false;
    out.metadata.token_endpoint_auth_method = method;
    out.metadata.token_endpoint_auth_signing_alg = signing_alg;
    storage::NewOAuthClient record;
    if (method == TokenEndpointAuthMethod::PrivateKeyJwt) {
      std::string jwks = jwksOf({&client_keys_[0], &client_keys_[1], &client_keys_[2]});
      if (by_uri) {
        out.metadata.jwks_uri = "https://client.example.test/jwks.json";
        jwks_.current = jwks;
      } else {
        out.metadata.jwks = boost::json::parse(jwks).as_object();
      }
    } else {
      auto issued = issueClientSecret(rng_, method, &aead_).value();
      out.secret = issued->secret;
      record.secret_hash = issued->hash;
      record.encrypted_secret = issued->sealed;
    }
    record.metadata_json = canonicalMetadataJson(out.metadata);
    auto tx = begin();
    auto added = tx->oauthClients().add(rng_, clock_, record);
    EXPECT_TRUE(added.has_value());
    out.client = *added;
    EXPECT_TRUE(tx->commit().has_value());
    return out;
  }

  // The claims of a good assertion for `client`, valid for a minute.
  boost::json::object claimsFor(const TestClient& client) {
    std::int64_t now = toUnixMillis(clock_.now()) / 1000;
    return {{"iss", client.id()},
            {"sub", client.id()},
            {"aud", std::string(test::kIssuer)},
            {"iat", now},
            {"exp", now + 60},
            {"jti", "jti-" + std::to_string(++jti_counter_)}};
  }

  static std::string signWith(const crypto::SigningKey& key, const boost::json::object& claims) {
    return crypto::signJson(key, {{"typ", "JWT"}}, claims).value();
  }
  static std::string signPs256(const crypto::SigningKey& key, const boost::json::object& claims) {
    std::string input = core::base64UrlEncode(R"({"alg":"PS256","kid":")" + key.kid() + R"("})") +
                        "." + core::base64UrlEncode(boost::json::serialize(claims));
    return input + "." + core::base64UrlEncode(key.signPs256ForTesting(input).value());
  }
  static std::string signHmac(crypto::JwsAlgorithm alg, std::string_view secret,
                              const boost::json::object& claims) {
    return crypto::signWithSecretForTesting(alg, secret, {{"typ", "JWT"}},
                                            boost::json::serialize(claims))
        .value();
  }

  static std::vector<std::pair<std::string, std::string>> withAssertion(
      std::string assertion, std::vector<std::pair<std::string, std::string>> params = {
                                 {"grant_type", "client_credentials"}}) {
    params.emplace_back("client_assertion_type", std::string(kJwtBearerAssertionType));
    params.emplace_back("client_assertion", std::move(assertion));
    return params;
  }

  http::Response tokenWith(std::string assertion) {
    return token(post("/oauth2/token", withAssertion(std::move(assertion))));
  }

  // A refusal as the client sees it: 401 invalid_client with the one
  // description every authentication failure shares.
  static void expectInvalidClient(const http::Response& response) {
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(errorOf(response), "invalid_client") << response.body;
    EXPECT_EQ(json(response).at("error_description"), "Client authentication failed.");
  }

  static inline std::vector<crypto::SigningKey> client_keys_;
  crypto::Aead aead_{kAssertionTestSecret};
  ScriptedJwks jwks_;
  int jti_counter_ = 0;
};

TEST_P(ClientAssertionTest, PrivateKeyJwtWithEveryAsymmetricAlgorithmGetsAToken) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  const crypto::SigningKey& rsa = key(crypto::SigningAlgorithm::Rs256);

  for (const std::string& assertion :
       {signWith(rsa, claimsFor(client)), signPs256(rsa, claimsFor(client)),
        signWith(key(crypto::SigningAlgorithm::Es256), claimsFor(client)),
        signWith(key(crypto::SigningAlgorithm::EdDsa), claimsFor(client))}) {
    http::Response response = tokenWith(assertion);
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_TRUE(json(response).contains("access_token"));
  }
}

TEST_P(ClientAssertionTest, ClientSecretJwtWithEveryHmacAlgorithmGetsAToken) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::ClientSecretJwt);
  EXPECT_GE(client.secret.size(), 64u);  // as long as an HS512 output

  for (crypto::JwsAlgorithm alg : crypto::kHmacJwsAlgorithms) {
    http::Response response = tokenWith(signHmac(alg, client.secret, claimsFor(client)));
    EXPECT_EQ(response.status, 200) << crypto::jwsAlgorithmName(alg) << response.body;
  }
  expectInvalidClient(
      tokenWith(signHmac(crypto::JwsAlgorithm::Hs256, client.secret + "x", claimsFor(client))));
}

TEST_P(ClientAssertionTest, ASecretJwtClientStoresItsSecretSealedAndHashed) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::ClientSecretJwt);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto loaded = loadClient(*tx, client.client.id).value();
  ASSERT_TRUE(loaded.has_value());
  ASSERT_TRUE(loaded->client.encrypted_secret.has_value());
  EXPECT_EQ(loaded->client.encrypted_secret->find(client.secret), std::string::npos);
  EXPECT_EQ(loaded->client.secret_hash, hashClientSecret(client.secret));
  EXPECT_EQ(openClientSecret(*loaded, aead_), client.secret);
}

TEST_P(ClientAssertionTest, TheSameAssertionIsAcceptedOnce) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  std::string assertion = signWith(key(crypto::SigningAlgorithm::Es256), claimsFor(client));

  EXPECT_EQ(tokenWith(assertion).status, 200);
  expectInvalidClient(tokenWith(assertion));
  // Also at the other endpoints.
  http::Response revoked = endpoints_->revokeHandler().handle(
      post("/oauth2/revoke", withAssertion(assertion, {{"token", "whatever"}})));
  expectInvalidClient(revoked);
}

TEST_P(ClientAssertionTest, AnAssertionIsSpentEvenWhenTheGrantFails) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  std::string assertion = signWith(key(crypto::SigningAlgorithm::EdDsa), claimsFor(client));

  http::Response bad_scope = token(
      post("/oauth2/token",
           withAssertion(assertion, {{"grant_type", "client_credentials"}, {"scope", "urn:x:*"}})));
  EXPECT_EQ(errorOf(bad_scope), "invalid_scope");
  expectInvalidClient(tokenWith(assertion));
}

TEST_P(ClientAssertionTest, AcceptsTheIssuerOrTheTokenEndpointAsAudience) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  const crypto::SigningKey& ec = key(crypto::SigningAlgorithm::Es256);

  boost::json::object endpoint = claimsFor(client);
  endpoint["aud"] = kTokenEndpoint;
  boost::json::object listed = claimsFor(client);
  listed["aud"] = boost::json::array{"https://other.test", std::string(test::kIssuer)};
  EXPECT_EQ(tokenWith(signWith(ec, endpoint)).status, 200);
  EXPECT_EQ(tokenWith(signWith(ec, listed)).status, 200);

  for (boost::json::value aud :
       {boost::json::value("https://other.test"),
        boost::json::value("https://auth.example.test/oauth2/revoke"),
        boost::json::value(boost::json::array{"https://other.test"}), boost::json::value(42)}) {
    boost::json::object claims = claimsFor(client);
    claims["aud"] = aud;
    expectInvalidClient(tokenWith(signWith(ec, claims)));
  }
}

TEST_P(ClientAssertionTest, RefusesAssertionsWhoseTimesDoNotHold) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  const crypto::SigningKey& ed = key(crypto::SigningAlgorithm::EdDsa);
  std::int64_t now = toUnixMillis(clock_.now()) / 1000;

  auto with = [&](std::initializer_list<std::pair<std::string_view, boost::json::value>> changes,
                  std::initializer_list<std::string_view> removed = {}) {
    boost::json::object claims = claimsFor(client);
    for (const auto& [name, value] : changes) claims[name] = value;
    for (std::string_view name : removed) claims.erase(name);
    return signWith(ed, claims);
  };
  // exp five minutes in the past (checklist C.23), missing, too far ahead;
  // a lifetime exp - iat beyond five minutes; nbf and iat in the future.
  for (const std::string& assertion :
       {with({{"exp", now - 300}, {"iat", now - 360}}), with({}, {"exp"}),
        with({{"exp", now + 600}}), with({{"iat", now - 200}, {"exp", now + 200}}),
        with({{"nbf", now + 120}}), with({{"iat", now + 120}, {"exp", now + 180}}),
        with({{"exp", "soon"}})}) {
    expectInvalidClient(tokenWith(assertion));
  }
  // Within the 30 s leeway: a just-expired assertion and a slightly early nbf.
  EXPECT_EQ(tokenWith(with({{"exp", now - 10}, {"iat", now - 60}})).status, 200);
  EXPECT_EQ(tokenWith(with({{"nbf", now + 10}})).status, 200);
  EXPECT_EQ(tokenWith(with({}, {"iat"})).status, 200);
}

TEST_P(ClientAssertionTest, RefusesWrongSubjectsAndAMissingJti) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  TestClient other = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  const crypto::SigningKey& rsa = key(crypto::SigningAlgorithm::Rs256);

  boost::json::object wrong_iss = claimsFor(client);
  wrong_iss["iss"] = other.id();
  boost::json::object no_jti = claimsFor(client);
  no_jti.erase("jti");
  boost::json::object empty_jti = claimsFor(client);
  empty_jti["jti"] = "";
  for (const boost::json::object& claims : {wrong_iss, no_jti, empty_jti}) {
    expectInvalidClient(tokenWith(signWith(rsa, claims)));
  }
  boost::json::object unknown = claimsFor(client);
  unknown["iss"] = unknown["sub"] = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
  expectInvalidClient(tokenWith(signWith(rsa, unknown)));
}

TEST_P(ClientAssertionTest, RefusesNoneAWrongKeyAndTheOtherMethodsAlgorithms) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  TestClient secret_client = addAssertionClient(TokenEndpointAuthMethod::ClientSecretJwt);
  crypto::SigningKey stranger =
      crypto::SigningKey::generate(crypto::SigningAlgorithm::Es256).value();

  std::string none = core::base64UrlEncode(R"({"alg":"none"})") + "." +
                     core::base64UrlEncode(boost::json::serialize(claimsFor(client))) + ".";
  expectInvalidClient(tokenWith(none));
  expectInvalidClient(tokenWith(signWith(stranger, claimsFor(client))));
  // HMAC for a key client (keyed with anything, even its public JWK), and a
  // key for a secret client: each is the wrong method.
  expectInvalidClient(tokenWith(
      signHmac(crypto::JwsAlgorithm::Hs256, jwksOf({&client_keys_[0]}), claimsFor(client))));
  expectInvalidClient(
      tokenWith(signWith(key(crypto::SigningAlgorithm::Rs256), claimsFor(secret_client))));
}

TEST_P(ClientAssertionTest, OnlyTheRegisteredSigningAlgorithmIsAccepted) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt, false,
                                         crypto::JwsAlgorithm::Es256);

  expectInvalidClient(tokenWith(signWith(key(crypto::SigningAlgorithm::EdDsa), claimsFor(client))));
  EXPECT_EQ(tokenWith(signWith(key(crypto::SigningAlgorithm::Es256), claimsFor(client))).status,
            200);
}

TEST_P(ClientAssertionTest, FetchesJwksUriKeysAndRefetchesOnceForAnUnknownKid) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt, true);
  crypto::SigningKey rotated =
      crypto::SigningKey::generate(crypto::SigningAlgorithm::Es256).value();

  EXPECT_EQ(tokenWith(signWith(key(crypto::SigningAlgorithm::Es256), claimsFor(client))).status,
            200);
  ASSERT_EQ(jwks_.calls.size(), 1u);
  EXPECT_EQ(jwks_.calls[0], std::make_pair(*client.metadata.jwks_uri, false));

  jwks_.refreshed = jwksOf({&rotated});
  EXPECT_EQ(tokenWith(signWith(rotated, claimsFor(client))).status, 200);
  ASSERT_EQ(jwks_.calls.size(), 3u);
  EXPECT_TRUE(jwks_.calls[2].second);

  // A kid nobody publishes: one refresh, then a refusal.
  crypto::SigningKey unknown =
      crypto::SigningKey::generate(crypto::SigningAlgorithm::Es256).value();
  expectInvalidClient(tokenWith(signWith(unknown, claimsFor(client))));
  EXPECT_EQ(jwks_.calls.size(), 5u);
}

TEST_P(ClientAssertionTest, MalformedAssertionRequestsAreInvalidRequest) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  std::string assertion = signWith(key(crypto::SigningAlgorithm::Rs256), claimsFor(client));

  std::vector<std::vector<std::pair<std::string, std::string>>> requests = {
      {{"grant_type", "client_credentials"}, {"client_assertion", assertion}},
      {{"grant_type", "client_credentials"},
       {"client_assertion_type", std::string(kJwtBearerAssertionType)}},
      {{"grant_type", "client_credentials"},
       {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"},
       {"client_assertion", assertion}},
      withAssertion(assertion, {{"grant_type", "client_credentials"}, {"client_secret", "x"}}),
      withAssertion(assertion,
                    {{"grant_type", "client_credentials"}, {"client_id", "someone-else"}}),
  };
  for (const auto& params : requests) {
    http::Response response = token(post("/oauth2/token", params));
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(errorOf(response), "invalid_request") << response.body;
  }
  http::Request basic_too = post("/oauth2/token", withAssertion(assertion));
  basic_too.headers.set("Authorization", "Basic " + core::base64Encode(client.id() + ":x"));
  EXPECT_EQ(errorOf(token(basic_too)), "invalid_request");
  expectInvalidClient(tokenWith("not-a-jwt"));

  // The matching client_id is fine, and the assertion was not spent above.
  http::Response ok =
      token(post("/oauth2/token", withAssertion(assertion, {{"grant_type", "client_credentials"},
                                                            {"client_id", client.id()}})));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_P(ClientAssertionTest, IntrospectionAndRevocationAcceptAssertions) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::ClientSecretJwt);
  http::Response issued =
      tokenWith(signHmac(crypto::JwsAlgorithm::Hs384, client.secret, claimsFor(client)));
  ASSERT_EQ(issued.status, 200) << issued.body;
  std::string access_token(json(issued).at("access_token").as_string());

  http::Response introspection = endpoints_->introspectionHandler().handle(
      post("/oauth2/introspect",
           withAssertion(signHmac(crypto::JwsAlgorithm::Hs256, client.secret, claimsFor(client)),
                         {{"token", access_token}})));
  EXPECT_EQ(introspection.status, 200) << introspection.body;
  EXPECT_TRUE(isActive(introspection));

  http::Response revoked = endpoints_->revokeHandler().handle(
      post("/oauth2/revoke",
           withAssertion(signHmac(crypto::JwsAlgorithm::Hs512, client.secret, claimsFor(client)),
                         {{"token", access_token}})));
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_FALSE(isActive(introspect(access_token)));
}

TEST_P(ClientAssertionTest, ThePeriodicPurgeForgetsExpiredJtis) {
  TestClient client = addAssertionClient(TokenEndpointAuthMethod::PrivateKeyJwt);
  ASSERT_EQ(tokenWith(signWith(key(crypto::SigningAlgorithm::Es256), claimsFor(client))).status,
            200);
  jobs::JobRunner runner(*database_, clock_, jobs::JobRunnerOptions{});
  scheduleAssertionJtiPurge(runner, *database_, clock_, 1min);
  clock_.advance(2min);  // past exp (60 s) and the leeway

  ASSERT_TRUE(runner.runDueJobs().has_value());

  auto tx = begin();
  auto purged = tx->clientAssertions().purgeExpired(clock_.now());
  ASSERT_TRUE(purged.has_value());
  EXPECT_EQ(*purged, 0) << "the periodic task purged already";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ClientAssertionTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ClientAssertionTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
