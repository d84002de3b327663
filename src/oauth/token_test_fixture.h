#pragma once

// Test-only fixture for the token, introspection, revocation and userinfo
// handlers: a fresh migrated database per test (SQLite, or PostgreSQL for
// the suites instantiated on it), a fake clock, a seeded Rng, signing keys,
// and builders for users, clients and fulfilled authorization grants.

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/key_source.h"
#include "crypto/key_store.h"
#include "domain/oauth.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/client_metadata.h"
#include "oauth/token_handler.h"
#include "storage/testing/conformance.h"

namespace mxauth::test {

inline constexpr std::string_view kIssuer = "https://auth.example.test/";
inline constexpr std::string_view kServerName = "example.test";
inline constexpr std::string_view kMatrixSecret = "homeserver-shared-secret";
inline constexpr std::string_view kRedirectUri = "https://app.example.test/callback";
inline constexpr std::string_view kLoginScope =
    "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";

struct TestClient {
  domain::OAuthClient client;
  oauth::ClientMetadata metadata;
  std::string secret;  // empty for public clients

  std::string id() const { return client.id.str(); }
};

struct IssuedCode {
  std::string code;
  std::string verifier;
  domain::AuthorizationGrant grant;
  domain::OAuthSession session;
};

class TokenEndpointTest : public MigratedDatabaseTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // RS256, ES256 and EdDSA keys, generated once per process.
  static const crypto::KeySet& keys();
  // The same keys as the endpoints take them.
  static const crypto::KeySource& keySource();

  TestClient addClient(oauth::TokenEndpointAuthMethod method,
                       std::vector<oauth::GrantType> grants = {oauth::GrantType::AuthorizationCode,
                                                               oauth::GrantType::RefreshToken},
                       crypto::SigningAlgorithm id_token_alg = crypto::SigningAlgorithm::Rs256);
  TestClient addPublicClient() { return addClient(oauth::TokenEndpointAuthMethod::None); }

  // A grant fulfilled for `user` (as consent would leave it), with a PKCE
  // challenge unless `with_pkce` is false.
  IssuedCode issueCode(const TestClient& client, const domain::User& user,
                       std::string_view scope = kLoginScope, bool with_pkce = true,
                       std::optional<std::string> nonce = std::nullopt);

  // A form POST to `path`.
  static http::Request post(std::string_view path,
                            const std::vector<std::pair<std::string, std::string>>& params);
  // The same, with the client's credentials added in the way it registered.
  static http::Request clientPost(const TestClient& client, std::string_view path,
                                  std::vector<std::pair<std::string, std::string>> params);

  http::Response token(const http::Request& request);
  http::Response exchangeCode(const TestClient& client, const IssuedCode& code);
  http::Response refresh(const TestClient& client, std::string_view refresh_token);
  // Introspects as the homeserver, through the fast path and then the
  // blocking handler, as the server would.
  http::Response introspect(std::string_view token, bool supports_device_id = false);
  http::Response revoke(const std::vector<std::pair<std::string, std::string>>& params);
  http::Response userinfo(std::string_view access_token);

  static boost::json::object json(const http::Response& response);
  static std::string errorOf(const http::Response& response);
  static bool isActive(const http::Response& introspection);

  oauth::TokenEndpointOptions options_;
  std::unique_ptr<oauth::TokenEndpoints> endpoints_;
};

}  // namespace mxauth::test
