#include "web/authorize_handler.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/json/parse.hpp>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "crypto/key_source.h"
#include "http/url_encoding.h"
#include "oauth/id_token.h"
#include "oauth/pkce.h"
#include "oauth/session_end.h"
#include "oauth/token_handler.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

constexpr const char* kRedirect = "https://app.example/callback";
constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kScope = "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";
constexpr const char* kIssuer = "https://auth.example/";

// The server's key for ID tokens that come back as id_token_hint.
const crypto::KeySource& hintKeySource() {
  static const crypto::KeySource source = [] {
    crypto::KeySet keys;
    auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::EdDsa);
    if (key) keys.add(std::move(*key));
    return crypto::KeySource(std::move(keys));
  }();
  return source;
}

class AuthorizeHandlerTest : public test::WebTest {
 protected:
  AuthorizeHandlerTest() : client_(addClient()) { context_->keys = &hintKeySource(); }

  // An ID token we issued to the test client for `user`, as an RP sends it
  // back as id_token_hint.
  std::string idTokenHintFor(const domain::User& user) {
    oauth::IdTokenClaims claims;
    claims.issuer = kIssuer;
    claims.subject = user.id.str();
    claims.audience = client_.id().str();
    claims.issued_at = clock_.now() - std::chrono::hours(2);
    claims.expires_at = clock_.now() - std::chrono::hours(1);  // expired is fine for a hint
    auto token =
        oauth::signIdToken(*hintKeySource().current(), crypto::SigningAlgorithm::EdDsa, claims);
    EXPECT_TRUE(token.has_value());
    return token.value_or("");
  }

  // Exchanges a code of the test client at a token endpoint with its own
  // keys; returns the ID token's claims.
  boost::json::object idTokenClaimsFor(const std::string& code) {
    crypto::KeySet keys;
    auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::Rs256);
    EXPECT_TRUE(key.has_value());
    if (key) keys.add(*key);
    oauth::TokenEndpointOptions options;
    options.issuer = kIssuer;
    options.server_name = "example.com";
    const crypto::KeySource key_source(keys);
    oauth::TokenEndpoints endpoints(*database_, rng_, clock_, key_source, options);
    const http::Response tokens =
        endpoints.tokenHandler().handle(post("/oauth2/token", {{"grant_type", "authorization_code"},
                                                               {"code", code},
                                                               {"redirect_uri", kRedirect},
                                                               {"client_id", client_.id().str()},
                                                               {"code_verifier", kVerifier}}));
    EXPECT_EQ(tokens.status, 200) << tokens.body;
    if (tokens.status != 200) return {};
    const boost::json::object body = boost::json::parse(tokens.body).as_object();
    const std::array<crypto::SigningAlgorithm, 1> rs256{crypto::SigningAlgorithm::Rs256};
    auto verified = crypto::verify(body.at("id_token").as_string(), keys, rs256);
    EXPECT_TRUE(verified.has_value());
    if (!verified) return {};
    return boost::json::parse(verified->payload).as_object();
  }

  // The default request of a public Matrix client, with `changes` applied:
  // a pair replaces the parameter of that name, an empty value removes it.
  test::Form requestParams(const test::Form& changes = {}) const {
    test::Form params{{"response_type", "code"},
                      {"client_id", client_.id().str()},
                      {"redirect_uri", kRedirect},
                      {"scope", kScope},
                      {"state", "state-123"},
                      {"nonce", "nonce-456"},
                      {"code_challenge", oauth::pkceS256Challenge(kVerifier)},
                      {"code_challenge_method", "S256"}};
    for (const auto& [name, value] : changes) {
      auto found = std::find_if(params.begin(), params.end(),
                                [&](const auto& entry) { return entry.first == name; });
      if (found != params.end()) params.erase(found);
      if (!value.empty()) params.emplace_back(name, value);
    }
    return params;
  }

  http::Response authorize(const test::Form& changes = {}) {
    http::Response response =
        authorize_->authorize(get("/authorize?" + http::encodeUrlEncoded(requestParams(changes))));
    remember(response);
    return response;
  }

  // The consent step of the grant /authorize made: where it redirected, or,
  // for a browser without a session, the `next` of the sign-in page it
  // redirected to instead.
  static std::string grantStepOf(const http::Response& started) {
    const std::string location = test::locationOf(started);
    if (location.starts_with("/login?") || location.starts_with("/register?")) {
      return std::string(
          test::parametersOf(location.substr(location.find('?') + 1)).get("next").value_or(""));
    }
    return location;
  }

  // What the grant's consent step answers now.
  http::Response follow(const http::Response& started) {
    const std::string location = grantStepOf(started);
    EXPECT_TRUE(location.starts_with("/authorize/continue?id=")) << location;
    http::Response next = authorize_->showContinue(get(location));
    remember(next);
    return next;
  }

  // The parameters of the redirect to the client (query mode).
  static http::FormParams callbackParams(const http::Response& response) {
    const std::string location = test::locationOf(response);
    EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "?")) << location;
    return test::parametersOf(location.substr(location.find('?') + 1));
  }

  http::Response consent(const http::Response& consent_page, const std::string& action) {
    const std::string continue_url = continueUrlOf(consent_page);
    http::Response response = authorize_->submitContinue(
        post(continue_url, {{"csrf", csrfOf(consent_page)}, {"action", action}}));
    remember(response);
    return response;
  }

  static std::string continueUrlOf(const http::Response& consent_page) {
    constexpr std::string_view kMarker = "<form id=\"consent\" method=\"post\" action=\"";
    const std::size_t start = consent_page.body.find(kMarker);
    EXPECT_NE(start, std::string::npos);
    const std::size_t end = consent_page.body.find('"', start + kMarker.size());
    return consent_page.body.substr(start + kMarker.size(), end - start - kMarker.size());
  }

  // Logs in and returns the consent page of a fresh request.
  http::Response consentPage(const test::Form& changes = {}) {
    const http::Response started = authorize(changes);
    const http::Response page = follow(started);
    EXPECT_EQ(page.status, 200) << page.body;
    return page;
  }

  std::optional<domain::AuthorizationGrant> grantOf(const std::string& continue_url) {
    auto id = domain::AuthorizationGrantId::parse(continue_url.substr(continue_url.find('=') + 1));
    EXPECT_TRUE(id.has_value());
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto grant = (*tx)->authorizationGrants().lookup(*id);
    return grant ? *grant : std::nullopt;
  }

  static void expectErrorPage(const http::Response& response) {
    EXPECT_EQ(response.status, 400);
    EXPECT_FALSE(response.header("Location").has_value());
    EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(response.body.find("<!DOCTYPE html>"), std::string::npos);
  }

  void expectRedirectError(const http::Response& response, std::string_view error) {
    EXPECT_EQ(response.status, 303);
    const http::FormParams params = callbackParams(response);
    EXPECT_EQ(params.get("error"), error);
    EXPECT_TRUE(params.get("error_description").has_value());
    EXPECT_EQ(params.get("state"), "state-123");
    EXPECT_EQ(params.get("iss"), kIssuer);
    EXPECT_FALSE(params.contains("code"));
  }

  // Security checklist A.2: the page shown instead of an error redirect
  // (a self-registered client, nobody signed in). Returns the link of its
  // button, where the redirect would have gone.
  static std::string interstitialTarget(const http::Response& response) {
    EXPECT_EQ(response.status, 400);
    EXPECT_FALSE(response.header("Location").has_value());
    EXPECT_NE(response.body.find("This request can&apos;t continue"), std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find(">Return to app.example</a>"), std::string::npos);
    constexpr std::string_view kMarker = "<a class=\"button\" href=\"";
    const std::size_t start = response.body.find(kMarker);
    if (start == std::string::npos) return {};
    const std::size_t end = response.body.find('"', start + kMarker.size());
    return test::htmlUnescape(
        response.body.substr(start + kMarker.size(), end - start - kMarker.size()));
  }

  // The interstitial, whose button carries the same error as the redirect.
  void expectInterstitialError(const http::Response& response, std::string_view error) {
    const std::string target = interstitialTarget(response);
    ASSERT_TRUE(target.starts_with(std::string(kRedirect) + "?")) << target;
    const http::FormParams params = test::parametersOf(target.substr(target.find('?') + 1));
    EXPECT_EQ(params.get("error"), error);
    EXPECT_TRUE(params.get("error_description").has_value());
    EXPECT_EQ(params.get("state"), "state-123");
    EXPECT_EQ(params.get("iss"), kIssuer);
    EXPECT_FALSE(params.contains("code"));
  }

  oauth::RegisteredClient client_;
};

// A browser without a session goes from /authorize to the sign-in page at
// once (its consent step would only send it there), with the consent step
// as `next`; one with a session goes to the consent step.
TEST_F(AuthorizeHandlerTest, WithoutASessionTheRequestGoesStraightToSignIn) {
  addUser("alice", "correct horse battery");
  const std::string login_prefix =
      "/login?next=" + http::percentEncode(std::string("/authorize/continue?id="));
  const std::string register_prefix =
      "/register?next=" + http::percentEncode(std::string("/authorize/continue?id="));

  const http::Response plain = authorize();
  const http::Response hinted = authorize({{"login_hint", "mxid:@bob:example.com"}});
  const http::Response create = authorize({{"prompt", "create"}});
  logIn("alice", "correct horse battery");
  const http::Response signed_in = authorize();

  ASSERT_EQ(plain.status, 303);
  EXPECT_TRUE(test::locationOf(plain).starts_with(login_prefix)) << test::locationOf(plain);
  EXPECT_EQ(test::locationOf(plain), "/login?next=" + http::percentEncode(grantStepOf(plain)));
  EXPECT_TRUE(grantOf(grantStepOf(plain)).has_value());
  EXPECT_TRUE(test::locationOf(hinted).starts_with(login_prefix)) << test::locationOf(hinted);
  EXPECT_NE(test::locationOf(hinted).find("&username=bob"), std::string::npos);
  EXPECT_TRUE(test::locationOf(create).starts_with(register_prefix)) << test::locationOf(create);
  ASSERT_EQ(signed_in.status, 303);
  EXPECT_TRUE(test::locationOf(signed_in).starts_with("/authorize/continue?id="))
      << test::locationOf(signed_in);
}

TEST_F(AuthorizeHandlerTest, FullFlowLogsInAsksForConsentAndRedirectsWithACode) {
  const domain::User alice = addUser("alice", "correct horse battery");

  const http::Response started = authorize();
  ASSERT_EQ(started.status, 303);
  const std::string continue_url = grantStepOf(started);
  EXPECT_EQ(test::locationOf(started), "/login?next=" + http::percentEncode(continue_url));
  const http::Response to_login = follow(started);
  ASSERT_EQ(to_login.status, 303);
  EXPECT_EQ(test::locationOf(to_login), "/login?next=" + http::percentEncode(continue_url));

  const http::Response logged_in = logIn("alice", "correct horse battery", continue_url);
  ASSERT_EQ(test::locationOf(logged_in), continue_url);
  const http::Response page = authorize_->showContinue(get(continue_url));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<form id=\"consent\""), std::string::npos);
  EXPECT_NE(page.body.find("Example App"), std::string::npos);
  EXPECT_NE(page.body.find("app.example"), std::string::npos);
  EXPECT_NE(page.body.find("@alice:example.com"), std::string::npos);
  EXPECT_NE(page.body.find("ABCDEFGHIJ"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("form-action 'self' https://app.example"),
            std::string::npos);

  const http::Response done = consent(page, "allow");

  ASSERT_EQ(done.status, 303);
  const http::FormParams params = callbackParams(done);
  const std::string code(params.get("code").value_or(""));
  EXPECT_EQ(code.size(), 43u);
  EXPECT_EQ(params.get("state"), "state-123");
  EXPECT_EQ(params.get("iss"), kIssuer);
  const auto grant = grantOf(continue_url);
  ASSERT_TRUE(grant.has_value());
  EXPECT_TRUE(grant->isExchangeable());
  EXPECT_EQ(grant->code_hash, core::hexEncode(crypto::sha256(code)));
  EXPECT_EQ(grant->user_id, alice.id);
  EXPECT_EQ(grant->nonce, "nonce-456");
  EXPECT_EQ(grant->code_challenge, oauth::pkceS256Challenge(kVerifier));
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto session = (*tx)->oauthSessions().lookup(*grant->session_id);
  ASSERT_TRUE(session.has_value() && session->has_value());
  EXPECT_EQ((*session)->device_id, "ABCDEFGHIJ");
  EXPECT_EQ((*session)->scope, kScope);
  EXPECT_EQ((*session)->user_id, alice.id);
  EXPECT_EQ((*session)->client_id, client_.id());
  EXPECT_TRUE((*session)->authenticated_at.has_value());
}

TEST_F(AuthorizeHandlerTest, UiLocalesChooseTheLanguageOfTheLoginAndConsentPagesThatFollow) {
  addUser("alice", "correct horse battery");

  // The browser prefers English; the application asks for French.
  const http::Response started = authorize({{"ui_locales", "de fr-CA en"}});
  ASSERT_EQ(started.status, 303);
  const std::string continue_url = grantStepOf(started);
  ASSERT_TRUE(cookie("__Host-mxauth-lang").has_value());
  EXPECT_EQ(*cookie("__Host-mxauth-lang"), "fr");

  const auto english_browser = [&](const std::string& target) {
    http::Request request = get(target);
    request.headers.add("Accept-Language", "en-GB, en;q=0.9");
    return request;
  };
  const http::Response login =
      account_->showLogin(english_browser("/login?next=" + http::percentEncode(continue_url)));
  EXPECT_NE(login.body.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(login.body.find("<title>Se connecter · "), std::string::npos);
  EXPECT_EQ(login.header("Content-Language"), "fr");
  EXPECT_EQ(login.header("Vary"), "Accept-Language");

  logIn("alice", "correct horse battery", continue_url);
  const http::Response page = authorize_->showContinue(english_browser(continue_url));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(page.body.find("souhaite accéder à votre compte"), std::string::npos);
  EXPECT_NE(page.body.find("value=\"allow\">Autoriser</button>"), std::string::npos);
  EXPECT_NE(page.body.find("Un nouvel appareil d’identifiant ABCDEFGHIJ"), std::string::npos);
  // Data is never translated.
  EXPECT_NE(page.body.find("Example App"), std::string::npos);
  EXPECT_EQ(page.header("Content-Language"), "fr");

  // The next request without ui_locales forgets the choice: the browser's
  // language again.
  const http::Response again = authorize();
  EXPECT_FALSE(cookie("__Host-mxauth-lang").has_value());
  const http::Response english = authorize_->showContinue(english_browser(test::locationOf(again)));
  EXPECT_NE(english.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(english.body.find("wants to access your account"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, AnUnsupportedUiLocaleLeavesTheBrowsersLanguage) {
  const http::Response started = authorize({{"ui_locales", "de it"}});
  ASSERT_EQ(started.status, 303);
  EXPECT_FALSE(cookie("__Host-mxauth-lang").has_value());
  http::Request request = get("/login");
  request.headers.add("Accept-Language", "fr");
  const http::Response login = account_->showLogin(request);
  EXPECT_NE(login.body.find("<html lang=\"fr\">"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, TheCodeIsRedeemedOnceAtTheTokenEndpointWithItsVerifier) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response done = consent(consentPage(), "allow");
  const std::string code(callbackParams(done).get("code").value_or(""));
  crypto::KeySet keys;
  auto key = crypto::SigningKey::generate(crypto::SigningAlgorithm::Es256);
  ASSERT_TRUE(key.has_value());
  keys.add(std::move(*key));
  oauth::TokenEndpointOptions options;
  options.issuer = kIssuer;
  options.server_name = "example.com";
  const crypto::KeySource key_source(keys);
  oauth::TokenEndpoints endpoints(*database_, rng_, clock_, key_source, options);
  const test::Form exchange{{"grant_type", "authorization_code"},
                            {"code", code},
                            {"redirect_uri", kRedirect},
                            {"client_id", client_.id().str()},
                            {"code_verifier", kVerifier}};

  const http::Response first = endpoints.tokenHandler().handle(post("/oauth2/token", exchange));
  const http::Response replay = endpoints.tokenHandler().handle(post("/oauth2/token", exchange));

  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"access_token\""), std::string::npos);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_NE(replay.body.find("invalid_grant"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, LookAlikeClientsEachShowTheirOwnHost) {
  // Checklist A.7: the same name and logo cannot hide where a client lives.
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  test::ClientOptions real;
  real.name = "Element";
  real.logo_uri = "https://app.example/logo.png";
  test::ClientOptions copy = real;
  copy.client_uri = "https://app-example.evil.example/";
  copy.logo_uri = "https://app-example.evil.example/logo.png";
  copy.redirect_uris = {"https://app-example.evil.example/callback"};

  client_ = addClient(real);
  const http::Response real_page = consentPage();
  client_ = addClient(copy);
  const http::Response copy_page =
      consentPage({{"redirect_uri", "https://app-example.evil.example/callback"}});

  EXPECT_NE(real_page.body.find(">app.example<"), std::string::npos) << real_page.body;
  EXPECT_EQ(real_page.body.find("evil.example"), std::string::npos);
  EXPECT_NE(copy_page.body.find(">app-example.evil.example<"), std::string::npos) << copy_page.body;
}

TEST_F(AuthorizeHandlerTest, ConsentIsRememberedForTheSameScopesWithANewDevice) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  const http::Response again =
      follow(authorize({{"scope", "urn:matrix:client:api:* urn:matrix:client:device:KLMNOPQRST"}}));

  ASSERT_EQ(again.status, 303) << again.body;
  EXPECT_EQ(callbackParams(again).get("code").value_or("").size(), 43u);
  EXPECT_EQ(callbackParams(again).get("state"), "state-123");
}

TEST_F(AuthorizeHandlerTest, AWiderScopeAsksForConsentAgain) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  const http::Response again = follow(authorize({{"scope", std::string(kScope) + " openid"}}));

  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("<form id=\"consent\""), std::string::npos);
}

// Checklist A.7, RFC 8252 §8.6: a public client whose redirect URI any local
// application could claim is asked every time.
TEST_F(AuthorizeHandlerTest, APublicClientWithALoopbackRedirectIsAskedEveryTime) {
  test::ClientOptions loopback;
  loopback.redirect_uris = {"http://127.0.0.1/callback"};
  client_ = addClient(loopback);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const test::Form at_loopback{{"redirect_uri", "http://127.0.0.1/callback"}};
  const http::Response first = consentPage(at_loopback);
  ASSERT_EQ(consent(first, "allow").status, 303);

  const http::Response again = follow(authorize(at_loopback));

  EXPECT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("<form id=\"consent\""), std::string::npos);
  const http::Response silent =
      authorize({{"redirect_uri", "http://127.0.0.1/callback"}, {"prompt", "none"}});
  EXPECT_NE(test::locationOf(silent).find("error=consent_required"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, PromptNoneAfterConsentIssuesACodeWithoutAPage) {
  const domain::User alice = addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  const http::Response silent =
      authorize({{"prompt", "none"},
                 {"scope", "urn:matrix:client:api:* urn:matrix:client:device:UVWXYZ0123"}});

  ASSERT_EQ(silent.status, 303) << silent.body;
  const http::FormParams params = callbackParams(silent);
  EXPECT_EQ(params.get("code").value_or("").size(), 43u);
  EXPECT_EQ(params.get("iss"), kIssuer);
}

TEST_F(AuthorizeHandlerTest, PromptNoneForAWiderScopeIsConsentRequired) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  expectRedirectError(
      authorize({{"prompt", "none"}, {"scope", std::string(kScope) + " urn:synapse:admin:*"}}),
      "invalid_scope");
  expectRedirectError(authorize({{"prompt", "none"}, {"scope", std::string(kScope) + " email"}}),
                      "consent_required");
}

// Checklist I.54: silently taking over a device another client holds is
// not allowed; the same client may come back to its own device.
TEST_F(AuthorizeHandlerTest, PromptNoneForAnotherClientsDeviceIsConsentRequired) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);  // device ABCDEFGHIJ
  const oauth::RegisteredClient first = client_;
  test::ClientOptions other;
  other.client_uri = "https://other.example/";
  other.redirect_uris = {kRedirect};
  client_ = addClient(other);
  ASSERT_EQ(consent(consentPage({{"scope",
                                  "urn:matrix:client:api:* "
                                  "urn:matrix:client:device:OTHERDEVICE"}}),
                    "allow")
                .status,
            303);

  expectRedirectError(authorize({{"prompt", "none"}}), "consent_required");
  EXPECT_EQ(authorize({{"prompt", "none"},
                       {"scope", "urn:matrix:client:api:* urn:matrix:client:device:OTHERDEVICE"}})
                .status,
            303);
  client_ = first;
  EXPECT_FALSE(callbackParams(authorize({{"prompt", "none"}})).contains("error"));
}

TEST_F(AuthorizeHandlerTest, ConsentEndsWithTheUsersLastSessionWithTheClient) {
  const domain::User alice = addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response page = consentPage();
  ASSERT_EQ(consent(page, "allow").status, 303);
  const auto session = grantOf(continueUrlOf(page))->session_id;
  ASSERT_TRUE(session.has_value());

  auto tx = database_->begin();
  ASSERT_TRUE(oauth::endOAuthSession(**tx, rng_, clock_, *session, alice.id).has_value());
  ASSERT_TRUE((*tx)->commit().has_value());

  expectRedirectError(authorize({{"prompt", "none"}}), "consent_required");
}

// With consent remembered, the login form's answer may redirect on to the
// client, and browsers hold that redirect to the form's form-action.
TEST_F(AuthorizeHandlerTest, TheLoginFormOfAPendingRequestMayEndAtTheClient) {
  const http::Response to_login = follow(authorize());

  const http::Response page = account_->showLogin(get(test::locationOf(to_login)));

  EXPECT_NE(page.header("Content-Security-Policy")
                .value_or("")
                .find("form-action 'self' https://app.example"),
            std::string::npos);
}

// The request that sends a browser to sign in remembers its client's
// origin for the login page (grant_form_targets.h), which then needs no
// read of the grant; a grant not remembered is still read.
TEST_F(AuthorizeHandlerTest, TheLoginPageTakesTheClientOriginFromTheRequestThatSentItThere) {
  GrantFormTargets targets;
  context_->grant_form_targets = &targets;
  const auto loginCsp = [&](const std::string& continue_url) {
    const http::Response page =
        account_->showLogin(get("/login?next=" + http::percentEncode(continue_url)));
    return std::string(page.header("Content-Security-Policy").value_or(""));
  };

  const http::Response started = authorize();
  const auto grant = domain::AuthorizationGrantId::parse(
      grantStepOf(started).substr(std::string("/authorize/continue?id=").size()));
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(targets.find(*grant), "https://app.example");
  // Remembered, not in storage: only the memory can answer.
  const domain::AuthorizationGrantId elsewhere("01J00000000000000000000000");
  targets.remember(elsewhere, "https://elsewhere.example");
  const std::string remembered = loginCsp("/authorize/continue?id=" + elsewhere.str());
  // Not remembered (another instance started it): read from storage.
  GrantFormTargets empty;
  context_->grant_form_targets = &empty;
  const std::string read = loginCsp(grantStepOf(started));
  context_->grant_form_targets = &targets;
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const std::size_t before = targets.size();
  authorize();

  EXPECT_NE(remembered.find("form-action 'self' https://elsewhere.example"), std::string::npos)
      << remembered;
  EXPECT_NE(read.find("form-action 'self' https://app.example"), std::string::npos) << read;
  EXPECT_EQ(targets.size(), before) << "a signed-in browser is not sent to the login page";
  context_->grant_form_targets = nullptr;
}

// GET /login is answered on the I/O thread (http::FastPath) when it needs
// no storage; a grant this instance does not remember sends it to the
// worker pool, which reads the grant.
TEST_F(AuthorizeHandlerTest, TheLoginPageNeedsNoWorkerUnlessItMustReadTheGrant) {
  GrantFormTargets targets;
  context_->grant_form_targets = &targets;
  const http::Response started = authorize();
  const std::string continue_url = grantStepOf(started);
  const std::string login_target = "/login?next=" + http::percentEncode(continue_url);

  const auto remembered = account_->showLoginWithoutStorage(get(login_target));
  const auto plain = account_->showLoginWithoutStorage(get("/login"));
  const auto elsewhere = account_->showLoginWithoutStorage(get(
      "/login?next=" + http::percentEncode("/authorize/continue?id=01J00000000000000000000000")));
  GrantFormTargets empty;
  context_->grant_form_targets = &empty;
  const auto forgotten = account_->showLoginWithoutStorage(get(login_target));
  context_->grant_form_targets = nullptr;

  ASSERT_TRUE(remembered.has_value());
  EXPECT_EQ(remembered->status, 200);
  EXPECT_NE(remembered->header("Content-Security-Policy")
                .value_or("")
                .find("form-action 'self' https://app.example"),
            std::string::npos);
  EXPECT_NE(remembered->body.find("name=\"csrf\""), std::string::npos);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->status, 200);
  EXPECT_FALSE(elsewhere.has_value());
  EXPECT_FALSE(forgotten.has_value());
}

TEST_F(AuthorizeHandlerTest, AnIdTokenHintWeDidNotIssueIsInvalidRequest) {
  const domain::User alice = addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  std::string tampered = idTokenHintFor(alice);
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';

  expectRedirectError(authorize({{"id_token_hint", tampered}}), "invalid_request");
  expectRedirectError(authorize({{"id_token_hint", "not.a.token"}}), "invalid_request");
}

TEST_F(AuthorizeHandlerTest, PromptNoneWithAHintForTheSignedInUserSucceeds) {
  const domain::User alice = addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  const http::Response silent =
      authorize({{"prompt", "none"}, {"id_token_hint", idTokenHintFor(alice)}});

  EXPECT_TRUE(callbackParams(silent).contains("code")) << test::locationOf(silent);
}

TEST_F(AuthorizeHandlerTest, AHintForAnotherUserIsLoginRequiredOrANewLoginAsThatUser) {
  addUser("alice", "correct horse battery");
  const domain::User bob = addUser("bob", "another horse battery");
  logIn("alice", "correct horse battery");
  ASSERT_EQ(consent(consentPage(), "allow").status, 303);

  clock_.advance(std::chrono::seconds(1));
  expectRedirectError(authorize({{"prompt", "none"}, {"id_token_hint", idTokenHintFor(bob)}}),
                      "login_required");
  const http::Response started = authorize({{"id_token_hint", idTokenHintFor(bob)}});
  const http::Response to_login = follow(started);

  const std::string location = test::locationOf(to_login);
  EXPECT_TRUE(location.starts_with("/login?")) << location;
  EXPECT_NE(location.find("username=bob"), std::string::npos) << location;
  EXPECT_NE(location.find("reauth=1"), std::string::npos) << location;
}

TEST_F(AuthorizeHandlerTest, DisplayLocalesAndAcrValuesAreAccepted) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const http::Response page = consentPage({{"display", "popup"},
                                           {"ui_locales", "fr-CA fr en"},
                                           {"claims_locales", "de"},
                                           {"acr_values", "urn:mace:incommon:iap:silver"}});

  EXPECT_NE(page.body.find("<form id=\"consent\""), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, MissingRedirectUriWithTwoRegisteredIsAnErrorPage) {
  // Checklist A.1: which of the two would be a guess; never redirect.
  test::ClientOptions two;
  two.redirect_uris = {kRedirect, "https://app.example/other"};
  client_ = addClient(two);

  expectErrorPage(authorize({{"redirect_uri", ""}}));
}

TEST_F(AuthorizeHandlerTest, ASecondSubmitOfTheConsentFormIssuesNoSecondCode) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response page = consentPage();
  ASSERT_EQ(consent(page, "allow").status, 303);

  const http::Response again = consent(page, "allow");

  expectErrorPage(again);
}

TEST_F(AuthorizeHandlerTest, DenyRedirectsWithAccessDeniedAndCancelsTheGrant) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response page = consentPage();

  const http::Response denied = consent(page, "deny");

  expectRedirectError(denied, "access_denied");
  const auto grant = grantOf(continueUrlOf(page));
  EXPECT_TRUE(grant->cancelled_at.has_value());
  expectErrorPage(consent(page, "allow"));
}

TEST_F(AuthorizeHandlerTest, ConsentWithoutCsrfTokenIs403AndIssuesNoCode) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response page = consentPage();

  const http::Response response =
      authorize_->submitContinue(post(continueUrlOf(page), {{"action", "allow"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("<form id=\"consent\""), std::string::npos);
  EXPECT_FALSE(response.header("Location").has_value());
  EXPECT_TRUE(grantOf(continueUrlOf(page))->isPending());
}

TEST_F(AuthorizeHandlerTest, ConsentTokenOfAnotherGrantIsRefused) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response first = consentPage();
  const http::Response second = consentPage();

  const http::Response response = authorize_->submitContinue(
      post(continueUrlOf(second), {{"csrf", csrfOf(first)}, {"action", "allow"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_TRUE(grantOf(continueUrlOf(second))->isPending());
}

TEST_F(AuthorizeHandlerTest, ConsentPostedFromAnotherSiteIsRefused) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response page = consentPage();
  http::Request request = post(continueUrlOf(page), {{"csrf", csrfOf(page)}, {"action", "allow"}});
  request.headers.set("Origin", "https://evil.example");

  EXPECT_EQ(authorize_->submitContinue(request).status, 403);
}

TEST_F(AuthorizeHandlerTest, UnknownClientIsAnErrorPageNeverARedirect) {
  expectErrorPage(authorize({{"client_id", "01J00000000000000000000000"}}));
  expectErrorPage(authorize({{"client_id", "not-a-ulid"}}));
  expectErrorPage(authorize({{"client_id", ""}}));
}

TEST_F(AuthorizeHandlerTest, UnregisteredRedirectUriIsAnErrorPageNeverARedirect) {
  for (const char* uri :
       {"https://evil.example/callback", "https://app.example/callback/../evil",
        "https://app.example/callback?x=1", "https://app.example.evil.example/callback",
        "https://app.example@evil.example/callback", "HTTPS://app.example/callback",
        "https://app.example/callback#x", "https://app.example/Callback"}) {
    expectErrorPage(authorize({{"redirect_uri", uri}}));
  }
}

TEST_F(AuthorizeHandlerTest, MissingRedirectUriUsesTheOnlyRegisteredOne) {
  const http::Response response = authorize({{"redirect_uri", ""}, {"response_type", "token"}});

  expectInterstitialError(response, "unsupported_response_type");
}

TEST_F(AuthorizeHandlerTest, RepeatedClientOrRedirectParametersAreAnErrorPage) {
  const std::string base = http::encodeUrlEncoded(requestParams());
  expectErrorPage(authorize_->authorize(get("/authorize?" + base + "&client_id=x")));
  expectErrorPage(authorize_->authorize(
      get("/authorize?" + base + "&redirect_uri=" + http::percentEncode(kRedirect))));
  expectErrorPage(authorize_->authorize(
      get("/authorize?" + base + "&response_mode=query&response_mode=fragment")));
}

TEST_F(AuthorizeHandlerTest, UnknownResponseModeIsAnErrorPage) {
  expectErrorPage(authorize({{"response_mode", "web_message"}}));
}

TEST_F(AuthorizeHandlerTest, OtherRepeatedParametersAreInvalidRequest) {
  const std::string base = http::encodeUrlEncoded(requestParams());
  const http::Response response =
      authorize_->authorize(get("/authorize?" + base + "&scope=openid"));

  expectInterstitialError(response, "invalid_request");
}

TEST_F(AuthorizeHandlerTest, ResponseTypeOtherThanCodeIsUnsupported) {
  expectInterstitialError(authorize({{"response_type", "token"}}), "unsupported_response_type");
  expectInterstitialError(authorize({{"response_type", "code id_token"}}),
                          "unsupported_response_type");
  expectInterstitialError(authorize({{"response_type", ""}}), "invalid_request");
}

TEST_F(AuthorizeHandlerTest, RequestObjectsAndRegistrationAreNotSupported) {
  expectInterstitialError(authorize({{"request", "eyJhbGciOiJub25lIn0.e30."}}),
                          "request_not_supported");
  expectInterstitialError(authorize({{"request_uri", "https://evil.example/req"}}),
                          "request_uri_not_supported");
  expectInterstitialError(authorize({{"registration", "{}"}}), "registration_not_supported");
}

TEST_F(AuthorizeHandlerTest, BadScopesAreInvalidScope) {
  expectInterstitialError(authorize({{"scope", ""}}), "invalid_scope");
  expectInterstitialError(authorize({{"scope", "urn:matrix:client:api:* unknown"}}),
                          "invalid_scope");
  expectInterstitialError(authorize({{"scope", "urn:matrix:client:device:SHORT"}}),
                          "invalid_scope");
}

TEST_F(AuthorizeHandlerTest, PkceIsRequiredForPublicClientsAndOnlyS256) {
  expectInterstitialError(authorize({{"code_challenge", ""}, {"code_challenge_method", ""}}),
                          "invalid_request");
  expectInterstitialError(authorize({{"code_challenge_method", "plain"}}), "invalid_request");
  expectInterstitialError(authorize({{"code_challenge_method", ""}}), "invalid_request");
  expectInterstitialError(authorize({{"code_challenge", ""}}), "invalid_request");
  expectInterstitialError(authorize({{"code_challenge", "too-short"}}), "invalid_request");
}

TEST_F(AuthorizeHandlerTest, ConfidentialClientMayOmitPkce) {
  test::ClientOptions options;
  options.confidential = true;
  client_ = addClient(options);

  const http::Response response =
      authorize({{"code_challenge", ""}, {"code_challenge_method", ""}});

  EXPECT_EQ(response.status, 303);
  EXPECT_TRUE(grantStepOf(response).starts_with("/authorize/continue?id="));
}

TEST_F(AuthorizeHandlerTest, MalformedMaxAgeAndCombinedPromptNoneAreInvalidRequest) {
  expectInterstitialError(authorize({{"max_age", "-1"}}), "invalid_request");
  expectInterstitialError(authorize({{"max_age", "ten"}}), "invalid_request");
  expectInterstitialError(authorize({{"prompt", "none login"}}), "invalid_request");
}

TEST_F(AuthorizeHandlerTest, PromptNoneWithoutSessionIsLoginRequired) {
  expectRedirectError(authorize({{"prompt", "none"}}), "login_required");
}

TEST_F(AuthorizeHandlerTest, PromptNoneWithASessionIsConsentRequiredAndNoCode) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  expectRedirectError(authorize({{"prompt", "none"}}), "consent_required");
}

TEST_F(AuthorizeHandlerTest, ErrorsUseTheFragmentInFragmentMode) {
  const http::Response response =
      authorize({{"response_mode", "fragment"}, {"response_type", "token"}});

  const std::string location = interstitialTarget(response);
  ASSERT_TRUE(location.starts_with(std::string(kRedirect) + "#")) << location;
  EXPECT_EQ(location.find('?'), std::string::npos);
  const http::FormParams params = test::parametersOf(location.substr(location.find('#') + 1));
  EXPECT_EQ(params.get("error"), "unsupported_response_type");
  EXPECT_EQ(params.get("state"), "state-123");
  EXPECT_EQ(params.get("iss"), kIssuer);
}

TEST_F(AuthorizeHandlerTest, CodeComesInTheFragmentInFragmentMode) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const http::Response done = consent(consentPage({{"response_mode", "fragment"}}), "allow");

  const std::string location = test::locationOf(done);
  EXPECT_TRUE(location.starts_with(std::string(kRedirect) + "#code=")) << location;
  EXPECT_EQ(location.find("?code="), std::string::npos);
  EXPECT_NE(location.find("iss=https%3A%2F%2Fauth.example%2F"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, FormPostModeAnswersWithAFormToTheRedirectUri) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const http::Response done = consent(consentPage({{"response_mode", "form_post"}}), "allow");

  EXPECT_EQ(done.status, 200);
  EXPECT_FALSE(done.header("Location").has_value());
  EXPECT_NE(done.body.find("<form id=\"form-post\" method=\"post\" action=\"" +
                           std::string(kRedirect) + "\""),
            std::string::npos);
  EXPECT_NE(done.body.find("name=\"code\""), std::string::npos);
  EXPECT_NE(done.body.find("name=\"state\" value=\"state-123\""), std::string::npos);
  EXPECT_NE(done.body.find("name=\"iss\" value=\"https://auth.example/\""), std::string::npos);
  EXPECT_NE(done.body.find("<script src=\"/assets/form_post.js?v="), std::string::npos);
  const std::string csp(done.header("Content-Security-Policy").value_or(""));
  EXPECT_NE(csp.find("form-action 'self' https://app.example;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(done.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(done.header("Cache-Control"), "no-store");
}

TEST_F(AuthorizeHandlerTest, FormPostModeErrorsArePostedToo) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const http::Response response =
      authorize({{"response_mode", "form_post"}, {"response_type", "token"}});

  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("name=\"error\" value=\"unsupported_response_type\""),
            std::string::npos);
  EXPECT_NE(response.body.find("name=\"iss\""), std::string::npos);
  EXPECT_NE(response.body.find("<script src=\"/assets/form_post.js?v="), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, FormPostModeErrorsWaitForTheUsersClickWhenNobodyIsSignedIn) {
  const http::Response response =
      authorize({{"response_mode", "form_post"}, {"response_type", "token"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("<form id=\"form-post\" method=\"post\" action=\"" +
                               std::string(kRedirect) + "\""),
            std::string::npos);
  EXPECT_NE(response.body.find("name=\"error\" value=\"unsupported_response_type\""),
            std::string::npos);
  EXPECT_NE(response.body.find(">Return to app.example</button>"), std::string::npos);
  // No script: nothing is posted until the user clicks.
  EXPECT_EQ(response.body.find("<script"), std::string::npos);
  const std::string csp(response.header("Content-Security-Policy").value_or(""));
  EXPECT_NE(csp.find("form-action 'self' https://app.example;"), std::string::npos) << csp;
}

TEST_F(AuthorizeHandlerTest, ErrorForASelfRegisteredClientIsAPageWhenNobodyIsSignedIn) {
  // Checklist A.2: an attacker's DCR client must not use this server to
  // bounce a stranger's browser to its site.
  test::ClientOptions evil;
  evil.name = "Totally Legit";
  evil.client_uri = "https://evil.example/";
  evil.redirect_uris = {"https://evil.example/cb"};
  client_ = addClient(evil);

  const http::Response response =
      authorize({{"redirect_uri", "https://evil.example/cb"}, {"scope", "bogus"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_FALSE(response.header("Location").has_value());
  EXPECT_NE(response.body.find("Totally Legit sent a sign-in request"), std::string::npos);
  EXPECT_NE(response.body.find(">Return to evil.example</a>"), std::string::npos);
  EXPECT_NE(response.body.find("href=\"https://evil.example/cb?error=invalid_scope&amp;"),
            std::string::npos);
}

TEST_F(AuthorizeHandlerTest, ErrorRedirectsAtOnceWhenTheUserIsSignedIn) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  expectRedirectError(authorize({{"scope", "bogus"}}), "invalid_scope");
}

TEST_F(AuthorizeHandlerTest, ErrorForAnOperatorAddedClientRedirectsAtOnce) {
  test::ClientOptions trusted;
  trusted.is_static = true;
  client_ = addClient(trusted);

  expectRedirectError(authorize({{"scope", "bogus"}}), "invalid_scope");
}

TEST_F(AuthorizeHandlerTest, StateComesBackByteForByteAndOnlyWhenSent) {
  const std::string state = "a%b+c&d=e f/\xc3\xa9\xe2\x82\xac" + std::string(1000, 'x');
  const http::Response with_state = authorize({{"state", state}, {"response_type", "token"}});
  const http::Response without_state = authorize({{"state", ""}, {"response_type", "token"}});

  const auto paramsOf = [](const std::string& target) {
    return test::parametersOf(target.substr(target.find('?') + 1));
  };
  EXPECT_EQ(paramsOf(interstitialTarget(with_state)).get("state"), state);
  EXPECT_FALSE(paramsOf(interstitialTarget(without_state)).contains("state"));
  EXPECT_EQ(paramsOf(interstitialTarget(without_state)).get("iss"), kIssuer);
}

TEST_F(AuthorizeHandlerTest, RedirectUriQueryIsKeptAndExtended) {
  test::ClientOptions options;
  options.redirect_uris = {"https://app.example/callback?tenant=1"};
  client_ = addClient(options);

  const http::Response response = authorize(
      {{"redirect_uri", "https://app.example/callback?tenant=1"}, {"response_type", "token"}});

  EXPECT_TRUE(interstitialTarget(response).starts_with(
      "https://app.example/callback?tenant=1&error=unsupported_response_type"));
}

TEST_F(AuthorizeHandlerTest, UnknownParametersAreIgnored) {
  const http::Response response = authorize({{"foo", "bar"}, {"ui_locales", "fr"}});

  EXPECT_EQ(response.status, 303);
  EXPECT_TRUE(grantStepOf(response).starts_with("/authorize/continue?id="));
}

TEST_F(AuthorizeHandlerTest, PostToTheAuthorizationEndpointWorksLikeGet) {
  const http::Response response = authorize_->authorize(post("/authorize", requestParams()));

  EXPECT_EQ(response.status, 303);
  EXPECT_TRUE(grantStepOf(response).starts_with("/authorize/continue?id="));
}

TEST_F(AuthorizeHandlerTest, LoginHintPreFillsTheLoginFormForThisServerOnly) {
  const auto loginLocation = [&](const std::string& hint) {
    return test::locationOf(follow(authorize({{"login_hint", hint}})));
  };

  EXPECT_NE(loginLocation("mxid:@alice:example.com").find("&username=alice"), std::string::npos);
  EXPECT_EQ(loginLocation("mxid:@alice:other.example").find("username="), std::string::npos);
  EXPECT_NE(loginLocation("alice@example.org").find("&username=alice%40example.org"),
            std::string::npos);
  EXPECT_EQ(loginLocation("<script>").find("username="), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, PromptCreateGoesToRegistrationAndBack) {
  const http::Response started = authorize({{"prompt", "create"}});
  const std::string continue_url = grantStepOf(started);

  const http::Response to_register = follow(started);

  EXPECT_EQ(test::locationOf(to_register), "/register?next=" + http::percentEncode(continue_url));
  const http::Response form = account_->showRegister(get(test::locationOf(to_register)));
  remember(form);
  const http::Response registered =
      account_->submitRegister(post("/register", {{"csrf", csrfOf(form)},
                                                  {"username", "newbie"},
                                                  {"password", "a long passphrase"},
                                                  {"password_confirm", "a long passphrase"},
                                                  {"next", continue_url}}));
  remember(registered);
  EXPECT_EQ(test::locationOf(registered), continue_url);
  EXPECT_EQ(authorize_->showContinue(get(continue_url)).status, 200);
}

TEST_F(AuthorizeHandlerTest, PromptLoginForcesANewLoginBeforeConsent) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(std::chrono::minutes(5));
  const http::Response started = authorize({{"prompt", "login"}});
  const std::string continue_url = grantStepOf(started);

  const http::Response to_login = follow(started);
  EXPECT_TRUE(test::locationOf(to_login).starts_with("/login?next=")) << test::locationOf(to_login);
  EXPECT_NE(test::locationOf(to_login).find("reauth=1"), std::string::npos);

  logIn("alice", "correct horse battery", continue_url);
  EXPECT_EQ(authorize_->showContinue(get(continue_url)).status, 200);
}

// Checklist B.15: the ID token's auth_time is the forced login, not the
// first one.
TEST_F(AuthorizeHandlerTest, AuthTimeInTheIdTokenIsTheForcedLogin) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(std::chrono::hours(1));
  const http::Response started =
      authorize({{"prompt", "login"}, {"scope", "openid " + std::string(kScope)}});
  const std::string continue_url = grantStepOf(started);
  ASSERT_NE(test::locationOf(follow(started)).find("reauth=1"), std::string::npos);
  clock_.advance(std::chrono::seconds(42));
  const Timestamp forced_login = clock_.now();
  logIn("alice", "correct horse battery", continue_url);
  const http::Response page = authorize_->showContinue(get(continue_url));
  remember(page);
  clock_.advance(std::chrono::seconds(7));
  const std::string code(callbackParams(consent(page, "allow")).get("code").value_or(""));

  const std::array<crypto::SigningAlgorithm, 3> any{crypto::SigningAlgorithm::Rs256,
                                                    crypto::SigningAlgorithm::Es256,
                                                    crypto::SigningAlgorithm::EdDsa};
  crypto::KeySet keys;
  for (crypto::SigningAlgorithm algorithm : any) {
    auto key = crypto::SigningKey::generate(algorithm);
    ASSERT_TRUE(key.has_value());
    keys.add(std::move(*key));
  }
  oauth::TokenEndpointOptions options;
  options.issuer = kIssuer;
  options.server_name = "example.com";
  const crypto::KeySource key_source(keys);
  oauth::TokenEndpoints endpoints(*database_, rng_, clock_, key_source, options);
  const http::Response tokens =
      endpoints.tokenHandler().handle(post("/oauth2/token", {{"grant_type", "authorization_code"},
                                                             {"code", code},
                                                             {"redirect_uri", kRedirect},
                                                             {"client_id", client_.id().str()},
                                                             {"code_verifier", kVerifier}}));

  ASSERT_EQ(tokens.status, 200) << tokens.body;
  const boost::json::object body = boost::json::parse(tokens.body).as_object();
  auto verified = crypto::verify(body.at("id_token").as_string(), keys, any);
  ASSERT_TRUE(verified.has_value());
  const boost::json::object claims = boost::json::parse(verified->payload).as_object();
  EXPECT_EQ(claims.at("auth_time").as_int64(), toUnixSeconds(forced_login));
}

TEST_F(AuthorizeHandlerTest, MaxAgeForcesALoginWhenTheLastOneIsOlder) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(std::chrono::minutes(2));

  EXPECT_EQ(follow(authorize({{"max_age", "600"}})).status, 200);
  EXPECT_EQ(follow(authorize({{"max_age", "60"}})).status, 303);
}

// Checklist B.15: max_age forces a login, and auth_time is that login.
TEST_F(AuthorizeHandlerTest, MaxAgeForcesALoginAndAuthTimeIsThatLogin) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  clock_.advance(std::chrono::minutes(10));
  const http::Response started =
      authorize({{"max_age", "60"}, {"scope", "openid " + std::string(kScope)}});
  const std::string continue_url = grantStepOf(started);
  ASSERT_NE(test::locationOf(follow(started)).find("reauth=1"), std::string::npos);
  clock_.advance(std::chrono::seconds(13));
  const Timestamp fresh_login = clock_.now();
  logIn("alice", "correct horse battery", continue_url);
  const http::Response page = authorize_->showContinue(get(continue_url));
  remember(page);
  clock_.advance(std::chrono::seconds(5));
  const std::string code(callbackParams(consent(page, "allow")).get("code").value_or(""));

  const boost::json::object claims = idTokenClaimsFor(code);

  ASSERT_TRUE(claims.contains("auth_time"));
  EXPECT_EQ(claims.at("auth_time").as_int64(), toUnixSeconds(fresh_login));
}

TEST_F(AuthorizeHandlerTest, AdminScopeIsRefusedToUsersWhoAreNotAdmins) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response started =
      authorize({{"scope", std::string(kScope) + " urn:synapse:admin:*"}});

  const http::Response response = follow(started);

  expectRedirectError(response, "invalid_scope");
  EXPECT_TRUE(grantOf(test::locationOf(started))->cancelled_at.has_value());
}

TEST_F(AuthorizeHandlerTest, AdminScopeIsShownWithAWarningToAdmins) {
  addUser("root", "correct horse battery", true);
  logIn("root", "correct horse battery");

  const http::Response page =
      consentPage({{"scope", std::string(kScope) + " urn:synapse:admin:*"}});

  EXPECT_NE(page.body.find("class=\"warning\""), std::string::npos);
  EXPECT_NE(page.body.find("<li class=\"admin\">"), std::string::npos);
}

TEST_F(AuthorizeHandlerTest, ConsentPageEscapesTheClientNameAndFollowsTheBrowserLanguage) {
  test::ClientOptions options;
  options.name = "<script>alert(1)</script>";
  options.logo_uri = "https://cdn.example/logo.png";
  client_ = addClient(options);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const http::Response started = authorize();
  http::Request request = get(test::locationOf(started));
  request.headers.add("Accept-Language", "fr-FR, fr;q=0.9, en;q=0.5");

  const http::Response page = authorize_->showContinue(request);

  EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt; (fr)"), std::string::npos);
  EXPECT_NE(page.body.find("<img src=\"https://cdn.example/logo.png\" alt=\"\" "
                           "referrerpolicy=\"no-referrer\">"),
            std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("img-src 'self' https://cdn.example"),
            std::string::npos);
}

TEST_F(AuthorizeHandlerTest, AnOldPendingRequestExpires) {
  const http::Response started = authorize();
  clock_.advance(std::chrono::hours(2));

  expectErrorPage(follow(started));
}

TEST_F(AuthorizeHandlerTest, ContinueWithABadIdIsAnErrorPage) {
  expectErrorPage(authorize_->showContinue(get("/authorize/continue?id=nonsense")));
  expectErrorPage(
      authorize_->showContinue(get("/authorize/continue?id=01J00000000000000000000000")));
  expectErrorPage(authorize_->showContinue(get("/authorize/continue")));
}

TEST_F(AuthorizeHandlerTest, NoResponseOfTheFlowIsATemporaryRedirect) {
  addUser("alice", "correct horse battery");
  const http::Response started = authorize();
  const http::Response to_login = follow(started);
  const http::Response logged_in = logIn("alice", "correct horse battery", grantStepOf(started));
  const http::Response done = consent(authorize_->showContinue(get(grantStepOf(started))), "allow");

  for (const http::Response* response : {&started, &to_login, &logged_in, &done}) {
    EXPECT_NE(response->status, 307);
    EXPECT_NE(response->status, 308);
  }
  EXPECT_EQ(done.status, 303);
}

}  // namespace
}  // namespace mxauth::web
