#include "oauth/discovery.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/testing/fakes.h"
#include "core/worker_pool.h"
#include "http/testing/running_server.h"
#include "http/testing/test_client.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kBase = "https://auth.example.org/mxauth/";

DiscoveryOptions options(bool registration = true) {
  return DiscoveryOptions{
      .public_base = std::string(kBase),
      .registration_enabled = registration,
      .account_management_actions = {},
      .signing_algorithms = {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256},
      .ui_locales = {"en", "fr"}};
}

boost::json::object metadataDocument(const DiscoveryOptions& discovery = options()) {
  return boost::json::parse(buildServerMetadata(discovery)).as_object();
}

std::vector<std::string> strings(const boost::json::value& value) {
  std::vector<std::string> out;
  for (const auto& item : value.as_array()) out.emplace_back(item.as_string());
  return out;
}

http::Response dispatch(const http::Router& router, http::Method method, std::string_view target,
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto request = http::Request::make(method, target);
  EXPECT_TRUE(request.has_value());
  for (auto& [name, value] : headers) request->headers.add(name, value);
  http::RouteMatch match = router.match(method, request->path);
  EXPECT_EQ(match.kind, http::RouteMatch::Kind::Found) << target;
  if (match.kind != http::RouteMatch::Kind::Found) return http::Response::text(404, "");
  EXPECT_EQ(match.route->options.execution, http::Execution::Inline) << target;
  return match.route->handler(*request);
}

crypto::KeySet testKeys() {
  crypto::KeySet keys;
  for (auto algorithm : {crypto::SigningAlgorithm::Es256, crypto::SigningAlgorithm::EdDsa}) {
    auto key = crypto::SigningKey::generate(algorithm);
    EXPECT_TRUE(key.has_value());
    if (key) keys.add(std::move(*key));
  }
  return keys;
}

TEST(DiscoveryTest, IssuerIsThePublicBaseExactly) {
  EXPECT_EQ(metadataDocument().at("issuer").as_string(), kBase);
}

TEST(DiscoveryTest, EveryEndpointIsUnderThePublicBase) {
  boost::json::object metadata = metadataDocument();

  EXPECT_EQ(metadata.at("authorization_endpoint"), "https://auth.example.org/mxauth/authorize");
  EXPECT_EQ(metadata.at("token_endpoint"), "https://auth.example.org/mxauth/oauth2/token");
  EXPECT_EQ(metadata.at("registration_endpoint"),
            "https://auth.example.org/mxauth/oauth2/registration");
  EXPECT_EQ(metadata.at("revocation_endpoint"), "https://auth.example.org/mxauth/oauth2/revoke");
  EXPECT_EQ(metadata.at("introspection_endpoint"),
            "https://auth.example.org/mxauth/oauth2/introspect");
  EXPECT_EQ(metadata.at("userinfo_endpoint"), "https://auth.example.org/mxauth/oauth2/userinfo");
  EXPECT_EQ(metadata.at("jwks_uri"), "https://auth.example.org/mxauth/oauth2/keys.json");
  EXPECT_EQ(metadata.at("account_management_uri"), "https://auth.example.org/mxauth/account/");
  EXPECT_EQ(metadata.at("end_session_endpoint"), "https://auth.example.org/mxauth/oauth2/logout");
  for (const auto& member : metadata) {
    if (!member.key().ends_with("_endpoint") && !member.key().ends_with("_uri")) continue;
    EXPECT_TRUE(std::string_view(member.value().as_string()).starts_with(kBase)) << member.key();
  }
}

TEST(DiscoveryTest, HasEveryFieldTheMatrixSpecRequires) {
  boost::json::object metadata = metadataDocument();

  for (std::string_view field :
       {"issuer", "authorization_endpoint", "token_endpoint", "revocation_endpoint",
        "registration_endpoint", "response_types_supported", "grant_types_supported",
        "response_modes_supported", "code_challenge_methods_supported", "account_management_uri",
        "account_management_actions_supported"}) {
    EXPECT_TRUE(metadata.contains(field)) << field;
  }
  EXPECT_EQ(strings(metadata.at("response_types_supported")), std::vector<std::string>{"code"});
  EXPECT_EQ(strings(metadata.at("response_modes_supported")),
            (std::vector<std::string>{"query", "fragment", "form_post"}));
  EXPECT_EQ(strings(metadata.at("grant_types_supported")),
            (std::vector<std::string>{"authorization_code", "refresh_token", "client_credentials",
                                      "urn:ietf:params:oauth:grant-type:device_code"}));
}

TEST(DiscoveryTest, AdvertisesTheDeviceAuthorizationEndpoint) {
  EXPECT_EQ(metadataDocument().at("device_authorization_endpoint").as_string(),
            std::string(kBase) + "oauth2/device");
}

TEST(DiscoveryTest, AdvertisesEveryLanguageOfThePagesAsUiLocales) {
  EXPECT_EQ(strings(metadataDocument().at("ui_locales_supported")),
            (std::vector<std::string>{"en", "fr"}));
  DiscoveryOptions none = options();
  none.ui_locales.clear();
  EXPECT_EQ(strings(metadataDocument(none).at("ui_locales_supported")),
            (std::vector<std::string>{"en"}));
}

TEST(DiscoveryTest, AdvertisesOnlyS256ForPkce) {
  EXPECT_EQ(strings(metadataDocument().at("code_challenge_methods_supported")),
            std::vector<std::string>{"S256"});
}

TEST(DiscoveryTest, AdvertisesTheIssParameterAgainstMixUp) {
  EXPECT_EQ(metadataDocument().at("authorization_response_iss_parameter_supported"), true);
}

TEST(DiscoveryTest, OffersPromptCreateOnlyWhenRegistrationIsEnabled) {
  EXPECT_EQ(strings(metadataDocument(options(true)).at("prompt_values_supported")),
            (std::vector<std::string>{"create", "login", "none"}));
  EXPECT_EQ(strings(metadataDocument(options(false)).at("prompt_values_supported")),
            (std::vector<std::string>{"login", "none"}));
}

TEST(DiscoveryTest, AdvertisesExactlyTheAccountManagementActionsItIsGiven) {
  DiscoveryOptions given = options(true);
  given.account_management_actions = {"org.matrix.account_deactivate",
                                      "org.matrix.cross_signing_reset"};

  EXPECT_EQ(strings(metadataDocument(given).at("account_management_actions_supported")),
            given.account_management_actions);
  EXPECT_TRUE(
      strings(metadataDocument(options(true)).at("account_management_actions_supported")).empty());
}

TEST(DiscoveryTest, DescribesTheOpenIdConnectProvider) {
  boost::json::object metadata = metadataDocument();

  EXPECT_EQ(strings(metadata.at("id_token_signing_alg_values_supported")),
            (std::vector<std::string>{"RS256", "ES256"}));
  EXPECT_EQ(strings(metadata.at("subject_types_supported")), std::vector<std::string>{"public"});
  EXPECT_EQ(strings(metadata.at("token_endpoint_auth_methods_supported")),
            (std::vector<std::string>{"none", "client_secret_basic", "client_secret_post",
                                      "client_secret_jwt", "private_key_jwt"}));
  EXPECT_EQ(strings(metadata.at("revocation_endpoint_auth_methods_supported")),
            (std::vector<std::string>{"none", "client_secret_basic", "client_secret_post",
                                      "client_secret_jwt", "private_key_jwt"}));
  EXPECT_EQ(strings(metadata.at("introspection_endpoint_auth_methods_supported")),
            (std::vector<std::string>{"client_secret_basic", "client_secret_post",
                                      "client_secret_jwt", "private_key_jwt"}));
  const std::vector<std::string> assertion_algorithms{"RS256",   "PS256", "ES256", "EdDSA",
                                                      "Ed25519", "HS256", "HS384", "HS512"};
  for (const char* member : {"token_endpoint_auth_signing_alg_values_supported",
                             "revocation_endpoint_auth_signing_alg_values_supported",
                             "introspection_endpoint_auth_signing_alg_values_supported"}) {
    EXPECT_EQ(strings(metadata.at(member)), assertion_algorithms) << member;
  }
  std::vector<std::string> scopes = strings(metadata.at("scopes_supported"));
  for (std::string_view scope : {"openid", "profile", "email", "urn:matrix:client:api:*"}) {
    EXPECT_NE(std::find(scopes.begin(), scopes.end(), scope), scopes.end()) << scope;
  }
  std::vector<std::string> claims = strings(metadata.at("claims_supported"));
  for (std::string_view claim : {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
                                 "c_hash", "preferred_username", "email"}) {
    EXPECT_NE(std::find(claims.begin(), claims.end(), claim), claims.end()) << claim;
  }
  EXPECT_EQ(metadata.at("claims_parameter_supported"), false);
  EXPECT_EQ(metadata.at("request_parameter_supported"), false);
  EXPECT_EQ(metadata.at("request_uri_parameter_supported"), false);
  EXPECT_FALSE(metadata.contains("userinfo_signing_alg_values_supported"));
}

TEST(DiscoveryTest, JoinsEndpointsWithExactlyOneSlash) {
  EXPECT_EQ(endpointUrl("http://127.0.0.1:8080/", "oauth2/token"),
            "http://127.0.0.1:8080/oauth2/token");
  EXPECT_EQ(endpointUrl("http://127.0.0.1:8080", "/oauth2/token"),
            "http://127.0.0.1:8080/oauth2/token");
}

TEST(DiscoveryRoutesTest, ServesTheSameDocumentOnEveryMetadataPathWithCacheAndCorsHeaders) {
  http::Router router;
  const crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, options(), keys);

  std::string first;
  for (std::string_view path :
       {kOpenIdConfigurationPath, kAuthMetadataPath, kUnstableAuthMetadataPath}) {
    http::Response response = dispatch(router, http::Method::Get, path);

    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.header("Content-Type"), "application/json") << path;
    EXPECT_EQ(response.header("Cache-Control"), kMetadataCacheControl) << path;
    EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*") << path;
    if (first.empty()) first = response.body;
    EXPECT_EQ(response.body, first) << path;
  }
  EXPECT_EQ(boost::json::parse(first).as_object().at("issuer").as_string(), kBase);
}

TEST(DiscoveryRoutesTest, TakesTheSigningAlgorithmsFromTheKeySetWhenNotGiven) {
  http::Router router;
  DiscoveryOptions discovery = options();
  discovery.signing_algorithms.clear();
  const crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, discovery, keys);

  http::Response response = dispatch(router, http::Method::Get, kOpenIdConfigurationPath);

  boost::json::object metadata = boost::json::parse(response.body).as_object();
  EXPECT_EQ(strings(metadata.at("id_token_signing_alg_values_supported")),
            (std::vector<std::string>{"ES256", "EdDSA"}));
}

TEST(DiscoveryRoutesTest, AnswersTheCorsPreflight) {
  http::Router router;
  const crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, options(), keys);

  http::Response response =
      dispatch(router, http::Method::Options, kAuthMetadataPath,
               {{"Origin", "https://app.element.io"},
                {"Access-Control-Request-Method", "GET"},
                {"Access-Control-Request-Headers", "x-requested-with, accept"}});

  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(response.header("Access-Control-Allow-Methods"), "GET, OPTIONS");
  EXPECT_EQ(response.header("Access-Control-Allow-Headers"), "x-requested-with, accept");
}

TEST(DiscoveryRoutesTest, DoesNotEchoMalformedRequestedHeaders) {
  auto request = http::Request::make(http::Method::Options, "/oauth2/keys.json");
  ASSERT_TRUE(request.has_value());
  request->headers.add("Access-Control-Request-Headers", "a\r\nSet-Cookie: x=1");

  http::Response response = corsPreflightResponse(*request, "GET");

  EXPECT_EQ(response.header("Access-Control-Allow-Headers"), std::nullopt);
}

TEST(DiscoveryRoutesTest, TheJwkSetFollowsAReplacedKeySetWithoutRemounting) {
  http::Router router;
  crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, options(), keys);
  crypto::KeySet rotated = testKeys();
  auto added = crypto::SigningKey::generate(crypto::SigningAlgorithm::EdDsa);
  ASSERT_TRUE(added.has_value());
  rotated.add(*added, crypto::KeyUse::VerifyOnly);

  keys.replace(rotated);
  http::Response response = dispatch(router, http::Method::Get, kJwksPath);

  EXPECT_EQ(response.body, rotated.jwks());
  EXPECT_NE(response.body.find(added->kid()), std::string::npos);
}

TEST(DiscoveryRoutesTest, ServesThePublicKeysAsAJwkSet) {
  http::Router router;
  const crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, options(), keys);

  http::Response response = dispatch(router, http::Method::Get, kJwksPath);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Cache-Control"), kJwksCacheControl);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
  boost::json::array published =
      boost::json::parse(response.body).as_object().at("keys").as_array();
  ASSERT_EQ(published.size(), 2u);
  std::vector<std::string> kids;
  for (const auto& jwk : published) {
    const boost::json::object& key = jwk.as_object();
    // Public members only (RFC 7518 §6: d, p, q, dp, dq, qi are private).
    for (std::string_view secret : {"d", "p", "q", "dp", "dq", "qi"}) {
      EXPECT_FALSE(key.contains(secret)) << secret;
    }
    kids.emplace_back(key.at("kid").as_string());
  }
  EXPECT_NE(kids[0], kids[1]);
}

TEST(DiscoveryServerTest, KeepsTheCacheHeadersThroughTheServerMiddleware) {
  http::Router router;
  const crypto::KeySource keys(testKeys());
  mountDiscoveryRoutes(router, options(), keys);
  core::WorkerPool pool("discovery-test", 1, 8);
  test::RunningServer server({}, router, pool);

  test::RawResponse metadata =
      test::roundTrip(server.port(), "GET", "/.well-known/openid-configuration");
  test::RawResponse jwks = test::roundTrip(server.port(), "GET", "/oauth2/keys.json");

  EXPECT_EQ(metadata.status, 200);
  EXPECT_EQ(metadata.header("Cache-Control"), std::string(kMetadataCacheControl));
  EXPECT_EQ(metadata.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(boost::json::parse(metadata.body).as_object().at("issuer").as_string(), kBase);
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(jwks.header("Cache-Control"), std::string(kJwksCacheControl));
}

}  // namespace
}  // namespace mxauth::oauth
