#include "oauth/static_clients.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/aead.h"
#include "crypto/keys.h"

#include "oauth/client_store.h"
#include "oauth/redirect_uri.h"
#include "storage/testing/conformance.h"

namespace mxauth::oauth {
namespace {

StaticClientRequest request(std::string name, std::vector<std::string> redirect_uris,
                            std::vector<std::string> grants = {},
                            std::vector<std::string> scopes = {}, bool confidential = false) {
  StaticClientRequest out;
  out.name = std::move(name);
  out.redirect_uris = std::move(redirect_uris);
  out.grants = std::move(grants);
  out.scopes = std::move(scopes);
  out.confidential = confidential;
  return out;
}

class StaticClientsTest : public test::MigratedDatabaseTest {
 protected:
  Result<StaticClient, StaticClientError> add(const StaticClientRequest& client) {
    return addStaticClient(*database_, rng_, clock_, client);
  }

  RegisteredClient load(const domain::ClientId& id) {
    auto transaction = begin(storage::TransactionMode::ReadOnly);
    auto client = loadClient(*transaction, id);
    EXPECT_TRUE(client.has_value() && client->has_value());
    return client && *client ? **client : RegisteredClient{};
  }

  StaticClientErrorCode errorOf(const StaticClientRequest& client) {
    auto added = add(client);
    EXPECT_FALSE(added.has_value());
    return added ? StaticClientErrorCode::Storage : added.error().code;
  }
};

TEST_P(StaticClientsTest, AddsAPublicClientWithTheDefaultGrants) {
  auto added = add(request("Admin tool", {"http://localhost:8080/cb"}));

  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_EQ(added->client_secret, std::nullopt);
  RegisteredClient client = load(added->client_id);
  EXPECT_TRUE(client.client.is_static);
  EXPECT_FALSE(client.isConfidential());
  EXPECT_EQ(client.metadata.client_name.value, "Admin tool");
  EXPECT_EQ(client.metadata.token_endpoint_auth_method, TokenEndpointAuthMethod::None);
  EXPECT_TRUE(client.metadata.allowsGrant(GrantType::AuthorizationCode));
  EXPECT_TRUE(client.metadata.allowsGrant(GrantType::RefreshToken));
  EXPECT_FALSE(client.metadata.allowsGrant(GrantType::ClientCredentials));
  EXPECT_EQ(matchRedirectUri(client.metadata, "http://localhost:8080/cb"),
            "http://localhost:8080/cb");
}

TEST_P(StaticClientsTest, AddsAConfidentialClientWhoseSecretIsPrintedOnceAndStoredHashed) {
  auto added =
      add(request("Bridge", {}, {"client_credentials"}, {"urn:synapse:admin:*", "openid"}, true));

  ASSERT_TRUE(added.has_value()) << added.error().message;
  ASSERT_TRUE(added->client_secret.has_value());
  RegisteredClient client = load(added->client_id);
  EXPECT_TRUE(client.isConfidential());
  EXPECT_TRUE(verifyClientSecret(client, *added->client_secret));
  EXPECT_EQ(client.client.metadata_json.find(*added->client_secret), std::string::npos);
  EXPECT_EQ(client.metadata.grant_types, std::vector<GrantType>{GrantType::ClientCredentials});
  EXPECT_EQ(client.metadata.scope, "urn:synapse:admin:* openid");
  boost::json::object printed = boost::json::parse(added->toJson()).as_object();
  EXPECT_EQ(printed.at("client_id").as_string(), added->client_id.str());
  EXPECT_EQ(printed.at("client_secret").as_string(), *added->client_secret);
}

TEST_P(StaticClientsTest, PrintsNoSecretForAPublicClient) {
  auto added = add(request("App", {"https://app.example/cb"}));

  ASSERT_TRUE(added.has_value());
  boost::json::object printed = boost::json::parse(added->toJson()).as_object();
  EXPECT_FALSE(printed.contains("client_secret"));
}

TEST_P(StaticClientsTest, SkipsTheHostRulesOfDynamicRegistration) {
  auto added = add(request("Intranet", {"http://intranet.corp:8443/oauth"}));

  EXPECT_TRUE(added.has_value()) << added.error().message;
}

TEST_P(StaticClientsTest, RefusesFragmentsUserinfoAndScriptSchemes) {
  for (std::string uri : {"https://app.example/cb#f", "https://u@app.example/cb",
                          "javascript:alert(1)", "not a uri", "https://app.example/a/../b"}) {
    EXPECT_EQ(errorOf(request("App", {uri})), StaticClientErrorCode::InvalidRequest) << uri;
  }
}

TEST_P(StaticClientsTest, RefusesBadOperatorInput) {
  EXPECT_EQ(errorOf(request("", {"https://a.example/cb"})), StaticClientErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf(request("App", {"https://a.example/cb"}, {"password"})),
            StaticClientErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf(request("App", {})), StaticClientErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf(request("App", {}, {"client_credentials"})),
            StaticClientErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf(request("App", {"https://a.example/cb"}, {}, {"has space"})),
            StaticClientErrorCode::InvalidRequest);
}

TEST_P(StaticClientsTest, StoresPostLogoutRedirectUrisUnderTheStaticRules) {
  StaticClientRequest app = request("Element", {"https://app.element.example/"});
  app.post_logout_redirect_uris = {"https://app.element.example/logged-out",
                                   "http://intranet.corp:8443/bye",
                                   "https://app.element.example/logged-out"};

  auto added = add(app);

  ASSERT_TRUE(added.has_value()) << added.error().message;
  RegisteredClient client = load(added->client_id);
  EXPECT_EQ(client.metadata.post_logout_redirect_uris,
            (std::vector<std::string>{"https://app.element.example/logged-out",
                                      "http://intranet.corp:8443/bye"}));
  EXPECT_EQ(matchPostLogoutRedirectUri(client.metadata, "http://intranet.corp:8443/bye"),
            "http://intranet.corp:8443/bye");
}

TEST_P(StaticClientsTest, RefusesPostLogoutRedirectUrisWithFragmentsOrScriptSchemes) {
  for (std::string uri : {"https://app.example/bye#f", "javascript:alert(1)", "not a uri"}) {
    StaticClientRequest app = request("App", {"https://app.example/cb"});
    app.post_logout_redirect_uris = {uri};

    auto added = add(app);

    ASSERT_FALSE(added.has_value()) << uri;
    EXPECT_EQ(added.error().code, StaticClientErrorCode::InvalidRequest);
    EXPECT_NE(added.error().message.find("--post-logout-redirect-uri"), std::string::npos);
  }
}

TEST_P(StaticClientsTest, NeverDeduplicatesStaticClients) {
  StaticClientRequest app = request("App", {"https://a.example/cb"});

  auto first = add(app);
  auto second = add(app);

  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->client_id, second->client_id);
}

TEST_P(StaticClientsTest, AddsAssertionClientsByAuthMethod) {
  auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::Es256).value();
  StaticClientRequest with_keys = request("Backend", {}, {"client_credentials"});
  with_keys.auth_method = "private_key_jwt";
  with_keys.jwks = R"({"keys":[)" + boost::json::serialize(key.publicKey().jwk()) + "]}";
  with_keys.signing_alg = "ES256";
  StaticClientRequest with_uri = request("Backend 2", {}, {"client_credentials"});
  with_uri.auth_method = "private_key_jwt";
  with_uri.jwks_uri = "https://backend.example/jwks.json";

  auto keyed = add(with_keys);
  auto referenced = add(with_uri);

  ASSERT_TRUE(keyed.has_value()) << keyed.error().message;
  ASSERT_TRUE(referenced.has_value()) << referenced.error().message;
  EXPECT_EQ(keyed->client_secret, std::nullopt);
  RegisteredClient client = load(keyed->client_id);
  EXPECT_EQ(client.metadata.token_endpoint_auth_method, TokenEndpointAuthMethod::PrivateKeyJwt);
  EXPECT_TRUE(client.metadata.jwks.has_value());
  EXPECT_EQ(client.metadata.token_endpoint_auth_signing_alg, crypto::JwsAlgorithm::Es256);
  EXPECT_EQ(load(referenced->client_id).metadata.jwks_uri, "https://backend.example/jwks.json");

  crypto::Aead aead(crypto::EncryptionSecret{9});
  StaticClientRequest hmac = request("Backend 3", {}, {"client_credentials"});
  hmac.auth_method = "client_secret_jwt";
  auto sealed =
      addStaticClient(*database_, rng_, clock_, hmac, {.rules = {}, .secret_aead = &aead});
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  ASSERT_TRUE(sealed->client_secret.has_value());
  EXPECT_EQ(openClientSecret(load(sealed->client_id), aead), sealed->client_secret);
}

TEST_P(StaticClientsTest, RefusesInconsistentAuthMethodOptions) {
  auto with = [](auto change) {
    StaticClientRequest out = request("x", {}, {"client_credentials"});
    change(out);
    return out;
  };
  for (const StaticClientRequest& bad : {
           with([](auto& r) { r.auth_method = "private_key_jwt"; }),
           with([](auto& r) {
             r.auth_method = "private_key_jwt";
             r.jwks_uri = "http://backend.example/jwks.json";
           }),
           with([](auto& r) {
             r.auth_method = "private_key_jwt";
             r.jwks = "not json";
           }),
           with([](auto& r) {
             r.auth_method = "client_secret_basic";
             r.jwks_uri = "https://backend.example/jwks.json";
           }),
           with([](auto& r) {
             r.auth_method = "client_secret_basic";
             r.signing_alg = "HS256";
           }),
           with([](auto& r) { r.auth_method = "client_secret_jwt"; }),  // no encryption key
           with([](auto& r) { r.auth_method = "tls_client_auth"; }),
           with([](auto& r) {
             r.auth_method = "none";
             r.confidential = true;
           }),
       }) {
    EXPECT_EQ(errorOf(bad), StaticClientErrorCode::InvalidRequest);
  }
  // --confidential alone keeps meaning client_secret_basic.
  auto basic = add(request("y", {}, {"client_credentials"}, {}, true));
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(load(basic->client_id).metadata.token_endpoint_auth_method,
            TokenEndpointAuthMethod::ClientSecretBasic);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StaticClientsTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, StaticClientsTest, ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::oauth
