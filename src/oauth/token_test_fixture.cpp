#include "oauth/token_test_fixture.h"

#include <boost/json/parse.hpp>

#include "core/encoding.h"
#include "crypto/token.h"
#include "oauth/client_store.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"

namespace mxauth::test {

void TokenEndpointTest::SetUp() {
  MigratedDatabaseTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  options_.issuer = std::string(kIssuer);
  options_.server_name = std::string(kServerName);
  options_.matrix_secret = std::string(kMatrixSecret);
  endpoints_ =
      std::make_unique<oauth::TokenEndpoints>(*database_, rng_, clock_, keySource(), options_);
}

void TokenEndpointTest::TearDown() {
  endpoints_.reset();
  MigratedDatabaseTest::TearDown();
}

const crypto::KeySet& TokenEndpointTest::keys() {
  static const crypto::KeySet kKeys = [] {
    crypto::KeySet set;
    for (auto alg : {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256,
                     crypto::SigningAlgorithm::EdDsa}) {
      auto key = crypto::SigningKey::generate(alg);
      if (key) set.add(std::move(*key));
    }
    return set;
  }();
  return kKeys;
}

const crypto::KeySource& TokenEndpointTest::keySource() {
  static const crypto::KeySource kSource(keys());
  return kSource;
}

TestClient TokenEndpointTest::addClient(oauth::TokenEndpointAuthMethod method,
                                        std::vector<oauth::GrantType> grants,
                                        crypto::SigningAlgorithm id_token_alg) {
  TestClient out;
  out.metadata.application_type = oauth::ApplicationType::Web;
  out.metadata.client_uri = "https://app.example.test/";
  out.metadata.redirect_uris = {std::string(kRedirectUri)};
  out.metadata.grant_types = std::move(grants);
  out.metadata.token_endpoint_auth_method = method;
  out.metadata.id_token_signed_response_alg = id_token_alg;
  storage::NewOAuthClient record;
  record.metadata_json = oauth::canonicalMetadataJson(out.metadata);
  if (method != oauth::TokenEndpointAuthMethod::None) {
    // Characters that RFC 6749 §2.3.1 form-encoding changes.
    out.secret = "s3cret:with+odd chars%" + std::to_string(rng_.uniform(1000000));
    record.secret_hash = oauth::hashClientSecret(out.secret);
  }
  auto tx = begin();
  auto added = tx->oauthClients().add(rng_, clock_, record);
  EXPECT_TRUE(added.has_value());
  out.client = *added;
  EXPECT_TRUE(tx->commit().has_value());
  return out;
}

IssuedCode TokenEndpointTest::issueCode(const TestClient& client, const domain::User& user,
                                        std::string_view scope, bool with_pkce,
                                        std::optional<std::string> nonce) {
  IssuedCode out;
  std::array<std::uint8_t, 32> bytes{};
  rng_.fill(bytes);
  out.code = core::base64UrlEncode(bytes);
  rng_.fill(bytes);
  out.verifier = core::base64UrlEncode(bytes);

  auto parsed_scope = oauth::ScopeSet::parse(scope);
  EXPECT_TRUE(parsed_scope.has_value());
  auto tx = begin();
  auto browser = tx->browserSessions().add(rng_, clock_, {user.id, "test-agent", "192.0.2.1"});
  EXPECT_TRUE(browser.has_value());
  storage::NewOAuthSession session;
  session.client_id = client.client.id;
  session.user_id = user.id;
  session.scope = std::string(scope);
  session.device_id = parsed_scope ? parsed_scope->deviceId() : std::nullopt;
  session.user_agent = "test-agent";
  session.authenticated_at = clock_.now();
  auto added_session = tx->oauthSessions().add(rng_, clock_, session);
  EXPECT_TRUE(added_session.has_value());
  out.session = *added_session;
  storage::NewAuthorizationGrant grant;
  grant.client_id = client.client.id;
  grant.redirect_uri = std::string(kRedirectUri);
  grant.scope = std::string(scope);
  grant.nonce = std::move(nonce);
  if (with_pkce) grant.code_challenge = oauth::pkceS256Challenge(out.verifier);
  auto added_grant = tx->authorizationGrants().add(rng_, clock_, grant);
  EXPECT_TRUE(added_grant.has_value());
  auto fulfilled =
      tx->authorizationGrants().fulfill(clock_, added_grant->id, crypto::tokenHashHex(out.code),
                                        out.session.id, browser->id, user.id);
  EXPECT_TRUE(fulfilled.has_value() && fulfilled->has_value());
  out.grant = **fulfilled;
  EXPECT_TRUE(tx->commit().has_value());
  if (!with_pkce) out.verifier.clear();
  return out;
}

http::Request TokenEndpointTest::post(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& params) {
  auto request = http::Request::make(http::Method::Post, path);
  EXPECT_TRUE(request.has_value());
  request->headers.set("Content-Type", "application/x-www-form-urlencoded");
  request->body = http::encodeUrlEncoded(params);
  request->remote_address = "192.0.2.10";
  return *request;
}

http::Request TokenEndpointTest::clientPost(
    const TestClient& client, std::string_view path,
    std::vector<std::pair<std::string, std::string>> params) {
  switch (client.metadata.token_endpoint_auth_method) {
    case oauth::TokenEndpointAuthMethod::None:
      params.emplace_back("client_id", client.id());
      return post(path, params);
    case oauth::TokenEndpointAuthMethod::ClientSecretPost:
      params.emplace_back("client_id", client.id());
      params.emplace_back("client_secret", client.secret);
      return post(path, params);
    case oauth::TokenEndpointAuthMethod::ClientSecretBasic: {
      http::Request request = post(path, params);
      std::string credentials =
          http::percentEncode(client.id()) + ":" + http::percentEncode(client.secret);
      request.headers.set("Authorization", "Basic " + core::base64Encode(credentials));
      return request;
    }
    case oauth::TokenEndpointAuthMethod::ClientSecretJwt:
    case oauth::TokenEndpointAuthMethod::PrivateKeyJwt:
      break;  // assertions are made by the tests that use them
  }
  return post(path, params);
}

http::Response TokenEndpointTest::token(const http::Request& request) {
  return endpoints_->tokenHandler().handle(request);
}

http::Response TokenEndpointTest::exchangeCode(const TestClient& client, const IssuedCode& code) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"grant_type", "authorization_code"},
      {"code", code.code},
      {"redirect_uri", std::string(kRedirectUri)}};
  if (!code.verifier.empty()) params.emplace_back("code_verifier", code.verifier);
  return token(clientPost(client, "/oauth2/token", params));
}

http::Response TokenEndpointTest::refresh(const TestClient& client,
                                          std::string_view refresh_token) {
  return token(
      clientPost(client, "/oauth2/token",
                 {{"grant_type", "refresh_token"}, {"refresh_token", std::string(refresh_token)}}));
}

http::Response TokenEndpointTest::introspect(std::string_view token, bool supports_device_id) {
  http::Request request = post("/oauth2/introspect", {{"token", std::string(token)}});
  request.headers.set("Authorization", "Bearer " + std::string(kMatrixSecret));
  if (supports_device_id) request.headers.set("X-MAS-Supports-Device-Id", "1");
  const oauth::IntrospectionHandler& handler = endpoints_->introspectionHandler();
  if (std::optional<http::Response> fast = handler.fastPath(request)) return *fast;
  return handler.handle(request);
}

http::Response TokenEndpointTest::revoke(
    const std::vector<std::pair<std::string, std::string>>& params) {
  return endpoints_->revokeHandler().handle(post("/oauth2/revoke", params));
}

http::Response TokenEndpointTest::userinfo(std::string_view access_token) {
  auto request = http::Request::make(http::Method::Get, "/oauth2/userinfo");
  EXPECT_TRUE(request.has_value());
  request->headers.set("Authorization", "Bearer " + std::string(access_token));
  return endpoints_->userinfoHandler().handle(*request);
}

boost::json::object TokenEndpointTest::json(const http::Response& response) {
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(response.body, error);
  EXPECT_FALSE(error) << response.body;
  if (error || !value.is_object()) return {};
  return value.as_object();
}

std::string TokenEndpointTest::errorOf(const http::Response& response) {
  boost::json::object body = json(response);
  const boost::json::value* error = body.if_contains("error");
  return error && error->is_string() ? std::string(error->as_string()) : std::string("<none>");
}

bool TokenEndpointTest::isActive(const http::Response& introspection) {
  boost::json::object body = json(introspection);
  const boost::json::value* active = body.if_contains("active");
  return active && active->is_bool() && active->as_bool();
}

}  // namespace mxauth::test
