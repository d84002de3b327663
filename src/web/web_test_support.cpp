#include "web/web_test_support.h"

#include "crypto/aead.h"
#include "domain/localpart.h"
#include "http/url_encoding.h"
#include "oauth/client_metadata.h"

namespace mxauth::web::test {
namespace {

crypto::PasswordHasherOptions cheapHashing() {
  crypto::PasswordHasherOptions options;
  options.argon2 = crypto::Argon2Params{64, 1, 1};
  return options;
}

std::string joinCookies(const std::map<std::string, std::string>& jar) {
  std::string header;
  for (const auto& [name, value] : jar) {
    if (!header.empty()) header += "; ";
    header += name + "=" + value;
  }
  return header;
}

}  // namespace

WebTest::WebTest() : hasher_(cheapHashing()) {
  auto created = mxauth::test::TestDatabase::create(mxauth::test::Backend::Sqlite);
  if (!created) {
    ADD_FAILURE() << created.error();
    return;
  }
  test_database_ = std::move(*created);
  auto opened = test_database_->openMigrated();
  if (!opened) {
    ADD_FAILURE() << opened.error();
    return;
  }
  database_ = std::move(*opened);
  auto loaded = templates::Templates::load();
  if (!loaded) {
    ADD_FAILURE() << loaded.error().message;
    return;
  }
  templates_ = std::make_unique<templates::Templates>(std::move(*loaded));
  auto secret = crypto::parseEncryptionSecret(std::string(64, 'a'));
  WebSettings settings;
  settings.public_base = "https://auth.example/";
  settings.service_name = "Example Auth";
  settings.homeserver = "example.com";
  // An aggregate with reference members: make_unique cannot build it.
  context_ = std::unique_ptr<WebContext>(  // NOLINT(modernize-make-unique)
      new WebContext{*database_, hasher_, rng_, clock_, *templates_, *secret, settings});
  kit_ = std::make_unique<PageKit>(*context_);
  account_ = std::make_unique<AccountPages>(*kit_);
  authorize_ = std::make_unique<AuthorizeHandler>(*kit_);
}

WebTest::~WebTest() {
  authorize_.reset();
  account_.reset();
  kit_.reset();
  context_.reset();
  database_.reset();
}

http::Request WebTest::get(const std::string& target) const {
  auto request = http::Request::make(http::Method::Get, target);
  EXPECT_TRUE(request.has_value()) << target;
  if (!jar_.empty()) request->headers.add("Cookie", joinCookies(jar_));
  request->remote_address = "192.0.2.1";
  request->headers.add("User-Agent", "WebTest/1.0");
  return *request;
}

http::Request WebTest::post(const std::string& target, const Form& form) const {
  http::Request request = get(target);
  request.method = http::Method::Post;
  request.headers.add("Content-Type", "application/x-www-form-urlencoded");
  request.headers.add("Origin", "https://auth.example");
  request.body = http::encodeUrlEncoded(form);
  return request;
}

void WebTest::remember(const http::Response& response) {
  for (const std::string_view line : response.headers.getAll("Set-Cookie")) {
    const std::size_t equals = line.find('=');
    const std::size_t semicolon = line.find(';');
    if (equals == std::string_view::npos) continue;
    const std::string name(line.substr(0, equals));
    const std::string value(line.substr(equals + 1, semicolon - equals - 1));
    if (line.find("Max-Age=0") != std::string_view::npos) {
      jar_.erase(name);
    } else {
      jar_[name] = value;
    }
  }
}

std::optional<std::string> WebTest::cookie(const std::string& name) const {
  const auto found = jar_.find(name);
  if (found == jar_.end()) return std::nullopt;
  return found->second;
}

domain::User WebTest::addUser(const std::string& localpart, const std::string& password,
                              bool admin) {
  auto hash = hasher_.hash(rng_, password);
  EXPECT_TRUE(hash.has_value());
  auto tx = database_->begin();
  EXPECT_TRUE(tx.has_value());
  auto parsed = domain::Localpart::parse(localpart, "example.com");
  EXPECT_TRUE(parsed.has_value());
  auto user = (*tx)->users().add(rng_, clock_, *parsed, admin);
  EXPECT_TRUE(user.has_value());
  EXPECT_TRUE(
      (*tx)->userPasswords().add(rng_, clock_, user->id, *hash, 1, std::nullopt).has_value());
  EXPECT_TRUE((*tx)->commit().has_value());
  return *user;
}

oauth::RegisteredClient WebTest::addClient(const ClientOptions& options) {
  oauth::ClientMetadata metadata;
  metadata.application_type = oauth::ApplicationType::Web;
  metadata.redirect_uris = options.redirect_uris;
  metadata.post_logout_redirect_uris = options.post_logout_redirect_uris;
  metadata.client_uri = options.client_uri;
  metadata.client_name.value = options.name;
  metadata.client_name.localized["fr"] = options.name + " (fr)";
  if (options.logo_uri) metadata.logo_uri.value = *options.logo_uri;
  metadata.policy_uri.value = "https://app.example/privacy";
  metadata.tos_uri.value = "https://app.example/terms";
  metadata.grant_types = {oauth::GrantType::AuthorizationCode, oauth::GrantType::RefreshToken};
  metadata.token_endpoint_auth_method = options.confidential
                                            ? oauth::TokenEndpointAuthMethod::ClientSecretBasic
                                            : oauth::TokenEndpointAuthMethod::None;
  storage::NewOAuthClient record;
  record.metadata_json = oauth::canonicalMetadataJson(metadata);
  if (options.confidential) record.secret_hash = oauth::hashClientSecret("client-secret");
  record.is_static = options.is_static;
  auto tx = database_->begin();
  EXPECT_TRUE(tx.has_value());
  auto added = (*tx)->oauthClients().add(rng_, clock_, record);
  EXPECT_TRUE(added.has_value());
  auto loaded = oauth::loadClient(**tx, added->id);
  EXPECT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_TRUE((*tx)->commit().has_value());
  return **loaded;
}

std::string WebTest::csrfOf(const http::Response& response) {
  constexpr std::string_view kMarker = "name=\"csrf\" value=\"";
  const std::size_t start = response.body.find(kMarker);
  if (start == std::string::npos) return {};
  const std::size_t end = response.body.find('"', start + kMarker.size());
  return response.body.substr(start + kMarker.size(), end - start - kMarker.size());
}

http::Response WebTest::logIn(const std::string& username, const std::string& password,
                              const std::optional<std::string>& next) {
  const http::Response page = account_->showLogin(get("/login"));
  remember(page);
  Form form{{"csrf", csrfOf(page)}, {"username", username}, {"password", password}};
  if (next) form.emplace_back("next", *next);
  http::Response response = account_->submitLogin(post("/login", form));
  remember(response);
  return response;
}

std::string locationOf(const http::Response& response) {
  return std::string(response.header("Location").value_or(""));
}

http::FormParams parametersOf(std::string_view url_part) {
  auto parsed = http::parseUrlEncoded(url_part);
  EXPECT_TRUE(parsed.has_value()) << url_part;
  return parsed ? *parsed : http::FormParams();
}

std::string htmlUnescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
      {"&quot;", '"'}, {"&#39;", '\''}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(i).starts_with(entity)) {
        out += character;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

}  // namespace mxauth::web::test
