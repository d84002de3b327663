#include "oauth/registration_handler.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <future>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/ulid.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "oauth/client_store.h"
#include "oauth/redirect_uri.h"
#include "storage/testing/conformance.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kPublicNative =
    R"({"client_name":"Element X","client_name#fr":"Element X FR",)"
    R"("client_uri":"https://element.io/","application_type":"native",)"
    R"("redirect_uris":["io.element.app:/callback","http://127.0.0.1/callback"],)"
    R"("grant_types":["authorization_code","refresh_token","urn:example:unknown"],)"
    R"("response_types":["code"],"token_endpoint_auth_method":"none"})";

constexpr std::string_view kConfidentialWeb =
    R"({"client_name":"Portal","client_uri":"https://example.com/",)"
    R"("redirect_uris":["https://app.example.com/cb"],)"
    R"("grant_types":["authorization_code","refresh_token","client_credentials"],)"
    R"("token_endpoint_auth_method":"client_secret_post"})";

http::Request jsonRequest(std::string_view body,
                          std::string_view content_type = "application/json") {
  auto request = http::Request::make(http::Method::Post, "/oauth2/registration");
  EXPECT_TRUE(request.has_value());
  if (!content_type.empty()) request->headers.add("Content-Type", std::string(content_type));
  request->body = std::string(body);
  return *request;
}

boost::json::object jsonOf(const http::Response& response) {
  return boost::json::parse(response.body).as_object();
}

std::string errorOf(const http::Response& response) {
  return std::string(jsonOf(response).at("error").as_string());
}

class RegistrationHandlerTest : public test::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    handler_ = std::make_unique<RegistrationHandler>(*database_, rng_, clock_);
  }
  void TearDown() override {
    handler_.reset();
    MigratedDatabaseTest::TearDown();
  }

  http::Response post(std::string_view body, std::string_view content_type = "application/json") {
    return handler_->handle(jsonRequest(body, content_type));
  }

  std::optional<RegisteredClient> load(std::string_view client_id) {
    auto transaction = begin(storage::TransactionMode::ReadOnly);
    auto client = loadClient(*transaction, client_id);
    EXPECT_TRUE(client.has_value()) << client.error().detail;
    return client ? *client : std::nullopt;
  }

  std::unique_ptr<RegistrationHandler> handler_;
};

TEST_P(RegistrationHandlerTest, RegistersAPublicClientAndEchoesTheRegisteredMetadata) {
  http::Response response = post(kPublicNative);

  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  EXPECT_EQ(response.header("Access-Control-Allow-Origin"), "*");
  boost::json::object body = jsonOf(response);
  EXPECT_TRUE(core::isUlid(body.at("client_id").as_string()));
  EXPECT_EQ(body.at("client_id_issued_at").as_int64(), toUnixSeconds(clock_.now()));
  EXPECT_EQ(body.at("client_name"), "Element X");
  EXPECT_EQ(body.at("client_name#fr"), "Element X FR");
  EXPECT_EQ(body.at("application_type"), "native");
  EXPECT_EQ(boost::json::serialize(body.at("grant_types")),
            R"(["authorization_code","refresh_token"])");
  EXPECT_EQ(boost::json::serialize(body.at("redirect_uris")),
            R"(["io.element.app:/callback","http://127.0.0.1/callback"])");
  EXPECT_FALSE(body.contains("client_secret"));
}

TEST_P(RegistrationHandlerTest, StoresTheClientSoThatLoadClientFindsIt) {
  http::Response response = post(kPublicNative);
  ASSERT_EQ(response.status, 201) << response.body;
  std::string client_id(jsonOf(response).at("client_id").as_string());

  std::optional<RegisteredClient> client = load(client_id);

  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(client->id().str(), client_id);
  EXPECT_FALSE(client->isConfidential());
  EXPECT_FALSE(client->client.is_static);
  EXPECT_EQ(client->metadata.application_type, ApplicationType::Native);
  EXPECT_EQ(matchRedirectUri(client->metadata, "io.element.app:/callback"),
            "io.element.app:/callback");
}

TEST_P(RegistrationHandlerTest, StoresAndEchoesPostLogoutRedirectUris) {
  std::string body(kPublicNative);
  body.insert(
      body.size() - 1,
      R"(,"post_logout_redirect_uris":["io.element.app:/logged-out","http://127.0.0.1/bye"])");

  http::Response response = post(body);

  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(boost::json::serialize(jsonOf(response).at("post_logout_redirect_uris")),
            R"(["io.element.app:/logged-out","http://127.0.0.1/bye"])");
  std::optional<RegisteredClient> client =
      load(std::string(jsonOf(response).at("client_id").as_string()));
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(matchPostLogoutRedirectUri(client->metadata, "io.element.app:/logged-out"),
            "io.element.app:/logged-out");
  EXPECT_EQ(matchPostLogoutRedirectUri(client->metadata, "http://127.0.0.1:4711/bye"),
            "http://127.0.0.1:4711/bye");
  EXPECT_EQ(matchPostLogoutRedirectUri(client->metadata, "io.element.app:/callback"), std::nullopt);
}

TEST_P(RegistrationHandlerTest, RefusesAnUnacceptablePostLogoutRedirectUri) {
  std::string body(kPublicNative);
  body.insert(body.size() - 1, R"(,"post_logout_redirect_uris":["https://evil.example/"])");

  http::Response response = post(body);

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorOf(response), "invalid_redirect_uri");
}

TEST_P(RegistrationHandlerTest, GivesAConfidentialClientASecretOnceAndStoresOnlyItsHash) {
  http::Response response = post(kConfidentialWeb);

  ASSERT_EQ(response.status, 201) << response.body;
  boost::json::object body = jsonOf(response);
  std::string secret(body.at("client_secret").as_string());
  EXPECT_EQ(body.at("client_secret_expires_at").as_int64(), 0);
  auto decoded = core::base64UrlDecode(secret);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_GE(decoded->size(), kClientSecretBytes);
  std::optional<RegisteredClient> client = load(body.at("client_id").as_string());
  ASSERT_TRUE(client.has_value());
  EXPECT_TRUE(client->isConfidential());
  EXPECT_EQ(client->client.secret_hash, hashClientSecret(secret));
  EXPECT_EQ(client->client.metadata_json.find(secret), std::string::npos);
  EXPECT_TRUE(verifyClientSecret(*client, secret));
  EXPECT_FALSE(verifyClientSecret(*client, secret + "x"));
}

TEST_P(RegistrationHandlerTest, GivesEveryConfidentialRegistrationItsOwnClientAndSecret) {
  http::Response first = post(kConfidentialWeb);
  http::Response second = post(kConfidentialWeb);

  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  EXPECT_NE(jsonOf(first).at("client_id"), jsonOf(second).at("client_id"));
  EXPECT_NE(jsonOf(first).at("client_secret"), jsonOf(second).at("client_secret"));
}

TEST_P(RegistrationHandlerTest, DeduplicatesIdenticalPublicRegistrations) {
  http::Response first = post(kPublicNative);
  clock_.advance(std::chrono::hours(1));
  http::Response second = post(kPublicNative);

  ASSERT_EQ(first.status, 201);
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
}

TEST_P(RegistrationHandlerTest, DeduplicatesRegistrationsThatDifferOnlyInFormOrDefaults) {
  http::Response first =
      post(R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/cb"],)"
           R"("token_endpoint_auth_method":"none"})");
  http::Response second =
      post(R"({"token_endpoint_auth_method":"none","application_type":"web",)"
           R"("redirect_uris":["https://example.com/cb"],"client_uri":"https://example.com/",)"
           R"("response_types":["code"],"client_id":"ignored"})");
  http::Response different =
      post(R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/other"],)"
           R"("token_endpoint_auth_method":"none"})");

  EXPECT_EQ(jsonOf(first).at("client_id"), jsonOf(second).at("client_id"));
  EXPECT_NE(jsonOf(first).at("client_id"), jsonOf(different).at("client_id"));
}

TEST_P(RegistrationHandlerTest, ConcurrentIdenticalPublicRegistrationsShareOneClient) {
  std::vector<std::future<http::Response>> responses;
  for (int i = 0; i < 4; ++i) {
    responses.push_back(std::async(std::launch::async, [this] { return post(kPublicNative); }));
  }

  std::vector<std::string> ids;
  for (auto& response : responses) {
    http::Response answer = response.get();
    ASSERT_EQ(answer.status, 201) << answer.body;
    ids.emplace_back(jsonOf(answer).at("client_id").as_string());
  }
  for (const std::string& id : ids) EXPECT_EQ(id, ids.front());
}

TEST_P(RegistrationHandlerTest, IgnoresAClientIdChosenByTheClient) {
  http::Response response =
      post(R"({"client_id":"@admin:hs","client_uri":"https://example.com/",)"
           R"("redirect_uris":["https://example.com/cb"],"token_endpoint_auth_method":"none"})");

  ASSERT_EQ(response.status, 201);
  EXPECT_NE(jsonOf(response).at("client_id"), "@admin:hs");
  EXPECT_EQ(load("@admin:hs"), std::nullopt);
}

// Checklist B.18: mxauth fetches nothing a client names, so URIs it could
// be made to fetch are dropped, neither echoed nor stored.
TEST_P(RegistrationHandlerTest, DropsEveryUriTheServerCouldBeMadeToFetch) {
  http::Response response = post(
      R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/cb"],)"
      R"("token_endpoint_auth_method":"none","jwks_uri":"http://169.254.169.254/keys",)"
      R"("sector_identifier_uri":"http://127.0.0.1:6379/","request_uris":["http://10.0.0.1/r"],)"
      R"("initiate_login_uri":"http://127.0.0.1/x"})");

  ASSERT_EQ(response.status, 201) << response.body;
  for (const char* name :
       {"jwks_uri", "sector_identifier_uri", "request_uris", "initiate_login_uri"}) {
    EXPECT_FALSE(jsonOf(response).contains(name)) << name;
  }
  std::optional<RegisteredClient> client = load(jsonOf(response).at("client_id").as_string());
  ASSERT_TRUE(client.has_value());
  for (const char* fetchable : {"169.254.169.254", "127.0.0.1", "10.0.0.1"}) {
    EXPECT_EQ(client->client.metadata_json.find(fetchable), std::string::npos) << fetchable;
  }
}

TEST_P(RegistrationHandlerTest, RefusesABodyThatIsNotJson) {
  http::Response wrong_type = post(kPublicNative, "application/x-www-form-urlencoded");
  http::Response no_type = post(kPublicNative, "");
  http::Response malformed = post("{\"client_uri\":");

  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(errorOf(wrong_type), "invalid_request");
  EXPECT_EQ(errorOf(no_type), "invalid_request");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(errorOf(malformed), "invalid_request");
  EXPECT_EQ(malformed.header("Cache-Control"), "no-store");
}

TEST_P(RegistrationHandlerTest, AcceptsJsonWithACharsetParameter) {
  EXPECT_EQ(post(kPublicNative, "Application/JSON; charset=utf-8").status, 201);
}

TEST_P(RegistrationHandlerTest, RefusesTheInvalidExamplesOfMsc2966) {
  struct Case {
    std::string_view redirect_uri;
    std::string_view application_type;
  };
  for (Case bad :
       {Case{"http://example.com/callback", "web"},
        Case{"https://example.com/callback#fragment", "web"}, Case{"example:/callback", "native"},
        Case{"com.example.app://callback", "native"}, Case{"https://localhost/callback", "native"},
        Case{"http://localhost:1234/callback", "native"}, Case{"javascript:alert(1)", "native"}}) {
    std::string body = R"({"client_uri":"https://example.com/","application_type":")" +
                       std::string(bad.application_type) + R"(","redirect_uris":[")" +
                       std::string(bad.redirect_uri) + R"("],"token_endpoint_auth_method":"none"})";

    http::Response response = post(body);

    EXPECT_EQ(response.status, 400) << bad.redirect_uri;
    EXPECT_EQ(errorOf(response), "invalid_redirect_uri") << bad.redirect_uri;
  }
  http::Response foreign_logo =
      post(R"({"client_uri":"https://example.com/","logo_uri":"https://evil.example/l.png",)"
           R"("redirect_uris":["https://example.com/cb"],"token_endpoint_auth_method":"none"})");
  EXPECT_EQ(errorOf(foreign_logo), "invalid_client_metadata");
}

TEST_P(RegistrationHandlerTest, AcceptsTheValidExamplesOfMsc2966) {
  for (std::string_view uri :
       {"com.example.app:/callback", "http://[::1]/callback", "https://app.example.com/callback"}) {
    std::string body = R"({"client_uri":"https://example.com/","application_type":"native",)"
                       R"("redirect_uris":[")" +
                       std::string(uri) + R"("],"token_endpoint_auth_method":"none"})";

    http::Response response = post(body);

    EXPECT_EQ(response.status, 201) << uri << ": " << response.body;
  }
}

// A private_key_jwt registration with its keys inline or by URL.
std::string keyClientBody(std::string_view keys_member) {
  return std::string(R"({"client_name":"Backend","client_uri":"https://example.com/",)"
                     R"("redirect_uris":["https://example.com/cb"],)"
                     R"("grant_types":["client_credentials"],"response_types":[],)"
                     R"("token_endpoint_auth_method":"private_key_jwt")") +
         (keys_member.empty() ? "" : ",") + std::string(keys_member) + "}";
}

std::string publicJwks() {
  static const std::string jwks = [] {
    auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::EdDsa).value();
    return boost::json::serialize(
        boost::json::object{{"keys", boost::json::array{key.publicKey().jwk()}}});
  }();
  return jwks;
}

TEST_P(RegistrationHandlerTest, RegistersAPrivateKeyJwtClientWithJwksOrJwksUriAndNoSecret) {
  http::Response inline_keys = post(keyClientBody(R"("jwks":)" + publicJwks()));
  http::Response by_uri = post(keyClientBody(
      R"("jwks_uri":"https://example.com/jwks.json","token_endpoint_auth_signing_alg":"ES256")"));

  ASSERT_EQ(inline_keys.status, 201) << inline_keys.body;
  ASSERT_EQ(by_uri.status, 201) << by_uri.body;
  EXPECT_FALSE(jsonOf(inline_keys).contains("client_secret"));
  EXPECT_TRUE(jsonOf(inline_keys).at("jwks").is_object());
  EXPECT_EQ(jsonOf(by_uri).at("jwks_uri"), "https://example.com/jwks.json");
  EXPECT_EQ(jsonOf(by_uri).at("token_endpoint_auth_signing_alg"), "ES256");
  std::optional<RegisteredClient> client = load(jsonOf(by_uri).at("client_id").as_string());
  ASSERT_TRUE(client.has_value());
  EXPECT_TRUE(client->isConfidential());
  EXPECT_FALSE(client->client.secret_hash.has_value());
  EXPECT_EQ(client->metadata.jwks_uri, "https://example.com/jwks.json");
}

TEST_P(RegistrationHandlerTest, RefusesPrivateKeyJwtWithoutKeysOrWithBothOrWithBadOnes) {
  for (const std::string& keys :
       {std::string(), R"("jwks":)" + publicJwks() + R"(,"jwks_uri":"https://example.com/k")",
        std::string(R"("jwks":{"keys":[]})"),
        std::string(R"("jwks":{"keys":[{"kty":"oct","k":"AA"}]})"),
        std::string(R"("jwks_uri":"http://example.com/jwks.json")"),
        std::string(R"("jwks_uri":"https://169.254.169.254/keys")"),
        std::string(R"("jwks_uri":"https://[::1]/keys")"),
        std::string(R"("jwks_uri":"https://127.0.0.1:8443/keys")"),
        std::string(R"("jwks_uri":"https://user@example.com/keys")"),
        std::string(R"("jwks_uri":"not a url")"),
        R"("jwks":)" + publicJwks() + R"(,"token_endpoint_auth_signing_alg":"HS256")",
        R"("jwks":)" + publicJwks() + R"(,"token_endpoint_auth_signing_alg":"RS256")",
        R"("jwks":)" + publicJwks() + R"(,"token_endpoint_auth_signing_alg":"none")"}) {
    http::Response response = post(keyClientBody(keys));
    EXPECT_EQ(response.status, 400) << keys << ": " << response.body;
    EXPECT_EQ(errorOf(response), "invalid_client_metadata") << keys;
  }
}

TEST_P(RegistrationHandlerTest, AllowsLocalJwksUrisOnlyWhenConfigured) {
  RegistrationOptions options;
  options.rules.allow_http_jwks_uri = true;
  options.rules.allow_private_jwks_uri = true;
  RegistrationHandler permissive(*database_, rng_, clock_, options);

  http::Response response = permissive.handle(
      jsonRequest(keyClientBody(R"("jwks_uri":"http://127.0.0.1:8080/jwks.json")")));

  EXPECT_EQ(response.status, 201) << response.body;
}

TEST_P(RegistrationHandlerTest, AClientSecretJwtClientGetsALongSecretStoredSealed) {
  crypto::Aead aead(crypto::EncryptionSecret{1, 2, 3});
  RegistrationOptions options;
  options.secret_aead = &aead;
  RegistrationHandler handler(*database_, rng_, clock_, options);
  std::string body =
      R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/cb"],)"
      R"("token_endpoint_auth_method":"client_secret_jwt",)"
      R"("token_endpoint_auth_signing_alg":"HS512"})";

  http::Response response = handler.handle(jsonRequest(body));

  ASSERT_EQ(response.status, 201) << response.body;
  std::string secret(jsonOf(response).at("client_secret").as_string());
  EXPECT_GE(secret.size(), 64u);
  std::optional<RegisteredClient> client = load(jsonOf(response).at("client_id").as_string());
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(client->client.secret_hash, hashClientSecret(secret));
  EXPECT_EQ(openClientSecret(*client, aead), secret);
  // Without the key, such clients cannot be registered.
  EXPECT_EQ(errorOf(post(body)), "invalid_client_metadata");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RegistrationHandlerTest, ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RegistrationHandlerTest,
                         ::testing::Values(test::Backend::Postgres));

TEST(RegistrationRoutesTest, MountsABlockingPostAndACorsPreflight) {
  http::Router router;
  test::SeededRng rng(1);
  test::FakeClock clock;
  struct NoDatabase : storage::Database {
    Result<std::unique_ptr<storage::Transaction>, storage::StorageError> begin(
        storage::TransactionMode) override {
      return unexpected(storage::StorageError{storage::StorageErrorCode::Unavailable, "down"});
    }
    Result<void, storage::StorageError> ping() override { return {}; }
    storage::PoolStats poolStats() const override { return {}; }
    std::string_view backendName() const override { return "none"; }
    Result<std::vector<storage::Migration>, storage::MigrationError> migrate(
        const Clock&) override {
      return std::vector<storage::Migration>{};
    }
    Result<std::vector<storage::Migration>, storage::MigrationError> pendingMigrations() override {
      return std::vector<storage::Migration>{};
    }
    std::unique_ptr<storage::Subscription> subscribeToInvalidations(
        storage::InvalidationHandler) override {
      return nullptr;
    }
  } unavailable;
  mountRegistrationRoutes(router, unavailable, rng, clock);

  http::RouteMatch post = router.match(http::Method::Post, kRegistrationPath);
  http::RouteMatch options = router.match(http::Method::Options, kRegistrationPath);

  ASSERT_EQ(post.kind, http::RouteMatch::Kind::Found);
  EXPECT_EQ(post.route->options.execution, http::Execution::Blocking);
  ASSERT_EQ(options.kind, http::RouteMatch::Kind::Found);
  http::Request preflight = jsonRequest("");
  http::Response allowed = options.route->handler(preflight);
  EXPECT_EQ(allowed.header("Access-Control-Allow-Methods"), "POST, OPTIONS");
  http::Request request = jsonRequest(kPublicNative);
  http::Response refused = post.route->handler(request);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(errorOf(refused), "temporarily_unavailable");
}

}  // namespace
}  // namespace mxauth::oauth
