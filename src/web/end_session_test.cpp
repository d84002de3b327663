#include "web/end_session.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/key_store.h"
#include "http/url_encoding.h"
#include "oauth/id_token.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

constexpr const char* kLogoutIssuer = "https://auth.example/";
constexpr const char* kLoggedOutUri = "https://app.example/logged-out";

// Our signing keys for every test of the suite (RSA generation is slow).
const crypto::KeySet& serverKeys() {
  static const crypto::KeySet keys = [] {
    crypto::KeySet set;
    for (auto algorithm : {crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::EdDsa}) {
      auto key = crypto::SigningKey::generate(algorithm);
      if (key) set.add(std::move(*key));
    }
    return set;
  }();
  return keys;
}

const crypto::KeySource& serverKeySource() {
  static const crypto::KeySource source(serverKeys());
  return source;
}

class EndSessionTest : public test::WebTest {
 protected:
  EndSessionTest() {
    context_->keys = &serverKeySource();
    end_session_ = std::make_unique<EndSessionPages>(*kit_);
    test::ClientOptions options;
    options.post_logout_redirect_uris = {kLoggedOutUri, "https://app.example/bye?from=mxauth"};
    client_ = addClient(options);
    alice_ = addUser("alice", "correct horse battery");
  }

  // An ID token as the token endpoint issues it, for `user` and `client`.
  std::string hintFor(const domain::User& user, const oauth::RegisteredClient& client,
                      const crypto::KeySet& keys = serverKeys(),
                      crypto::SigningAlgorithm algorithm = crypto::SigningAlgorithm::Rs256) {
    oauth::IdTokenClaims claims;
    claims.issuer = kLogoutIssuer;
    claims.subject = user.id.str();
    claims.audience = client.id().str();
    claims.issued_at = clock_.now();
    claims.expires_at = clock_.now() + std::chrono::minutes(5);
    auto token = oauth::signIdToken(keys, algorithm, claims);
    EXPECT_TRUE(token.has_value());
    return token ? *token : std::string();
  }

  http::Response endSession(const test::Form& params) {
    http::Response response =
        end_session_->endSession(get("/oauth2/logout?" + http::encodeUrlEncoded(params)));
    remember(response);
    return response;
  }

  // Submits the form#logout of `page` as the browser would: its hidden
  // fields (csrf included), to POST /logout.
  http::Response confirm(const http::Response& page) {
    http::Response response = account_->submitLogout(post("/logout", hiddenFieldsOf(page)));
    remember(response);
    return response;
  }

  static test::Form hiddenFieldsOf(const http::Response& page) {
    test::Form fields;
    constexpr std::string_view kMarker = "<input type=\"hidden\" name=\"";
    for (std::size_t at = page.body.find(kMarker); at != std::string::npos;
         at = page.body.find(kMarker, at + 1)) {
      const std::size_t name_start = at + kMarker.size();
      const std::size_t name_end = page.body.find('"', name_start);
      constexpr std::string_view kValue = "\" value=\"";
      const std::size_t value_start = name_end + kValue.size();
      const std::size_t value_end = page.body.find('"', value_start);
      fields.emplace_back(
          test::htmlUnescape(page.body.substr(name_start, name_end - name_start)),
          test::htmlUnescape(page.body.substr(value_start, value_end - value_start)));
    }
    return fields;
  }

  static std::optional<std::string> fieldOf(const test::Form& fields, std::string_view name) {
    for (const auto& [field, value] : fields) {
      if (field == name) return value;
    }
    return std::nullopt;
  }

  bool signedIn() { return account_->showAccount(get("/account/")).status == 200; }

  static void expectConfirmationPage(const http::Response& response) {
    EXPECT_EQ(response.status, 200);
    EXPECT_FALSE(response.header("Location").has_value());
    EXPECT_NE(response.body.find("<form id=\"logout\" method=\"post\" action=\"/logout\">"),
              std::string::npos)
        << response.body;
  }

  static void expectRefusalPage(const http::Response& response) {
    EXPECT_EQ(response.status, 400);
    EXPECT_FALSE(response.header("Location").has_value());
    EXPECT_NE(response.body.find("This sign-out can&apos;t continue"), std::string::npos)
        << response.body;
    EXPECT_NE(response.body.find("You have not been signed out."), std::string::npos);
  }

  static void expectSignedOutPage(const http::Response& response) {
    EXPECT_EQ(response.status, 200);
    EXPECT_FALSE(response.header("Location").has_value());
    EXPECT_NE(response.body.find("You are signed out of Example Auth in this browser."),
              std::string::npos)
        << response.body;
  }

  std::unique_ptr<EndSessionPages> end_session_;
  oauth::RegisteredClient client_;
  domain::User alice_;
};

TEST_F(EndSessionTest, AHintForTheSignedInUserSignsOutAtOnceAndReturnsWithTheState) {
  logIn("alice", "correct horse battery");
  const std::string old_cookie = *cookie(test::kSessionCookie);

  const http::Response response = endSession({{"id_token_hint", hintFor(alice_, client_)},
                                              {"post_logout_redirect_uri", kLoggedOutUri},
                                              {"state", "s t&a=te"}});

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), std::string(kLoggedOutUri) + "?state=s%20t%26a%3Dte");
  EXPECT_EQ(response.header("Cache-Control"), "no-store");
  EXPECT_FALSE(cookie(test::kSessionCookie).has_value());
  jar_[test::kSessionCookie] = old_cookie;  // the session is dead server-side
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, AHintWithoutARedirectSignsOutAndShowsTheSignedOutPage) {
  logIn("alice", "correct horse battery");

  const http::Response response = endSession({{"id_token_hint", hintFor(alice_, client_)}});

  expectSignedOutPage(response);
  EXPECT_EQ(response.body.find("class=\"button\""), std::string::npos);
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, WithoutStateTheRedirectCarriesNoStateParameter) {
  logIn("alice", "correct horse battery");

  const http::Response response = endSession(
      {{"id_token_hint", hintFor(alice_, client_)}, {"post_logout_redirect_uri", kLoggedOutUri}});

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), kLoggedOutUri);
}

TEST_F(EndSessionTest, AnExpiredHintStillCountsAndTheClientsQueryIsKept) {
  const std::string hint = hintFor(alice_, client_);
  clock_.advance(std::chrono::hours(24 * 6));
  logIn("alice", "correct horse battery");

  const http::Response response =
      endSession({{"id_token_hint", hint},
                  {"client_id", client_.id().str()},
                  {"post_logout_redirect_uri", "https://app.example/bye?from=mxauth"},
                  {"state", "xyz"}});

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), "https://app.example/bye?from=mxauth&state=xyz");
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, WithoutAHintTheUserConfirmsFirstAndThenReturnsToTheRegisteredUri) {
  logIn("alice", "correct horse battery");

  const http::Response page = endSession({{"client_id", client_.id().str()},
                                          {"post_logout_redirect_uri", kLoggedOutUri},
                                          {"state", "\"><b>"},
                                          {"ui_locales", "fr-CA fr en"}});

  expectConfirmationPage(page);
  EXPECT_TRUE(signedIn());
  // ui_locales (RP-Initiated Logout §2) chooses the page's language.
  EXPECT_EQ(page.header("Content-Language"), "fr");
  EXPECT_NE(page.body.find("<strong>Example App</strong> (app.example) demande à vous déconnecter"),
            std::string::npos);
  EXPECT_NE(page.body.find("Session ouverte avec <strong>@alice:example.com</strong>"),
            std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("form-action 'self' https://app.example"),
            std::string::npos);
  const test::Form fields = hiddenFieldsOf(page);
  EXPECT_EQ(fieldOf(fields, "post_logout_redirect_uri"), kLoggedOutUri);
  EXPECT_EQ(fieldOf(fields, "state"), "\"><b>");
  EXPECT_EQ(page.body.find("<b>"), std::string::npos);

  const http::Response response = confirm(page);

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), std::string(kLoggedOutUri) + "?state=%22%3E%3Cb%3E");
  EXPECT_FALSE(cookie(test::kSessionCookie).has_value());
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, AHintForAnotherUserAsksBeforeSigningAnyoneOut) {
  const domain::User bob = addUser("bob", "bob has a long passphrase");
  logIn("bob", "bob has a long passphrase");

  const http::Response page = endSession(
      {{"id_token_hint", hintFor(alice_, client_)}, {"post_logout_redirect_uri", kLoggedOutUri}});

  expectConfirmationPage(page);
  EXPECT_TRUE(signedIn());
  EXPECT_NE(page.body.find("@bob:example.com"), std::string::npos);
  const http::Response response = confirm(page);
  EXPECT_EQ(test::locationOf(response), kLoggedOutUri);
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, AHintWeDidNotSignIsIgnoredAndNoRedirectFollows) {
  crypto::KeySet other_keys;
  other_keys.add(*crypto::SigningKey::generate(crypto::SigningAlgorithm::EdDsa));
  logIn("alice", "correct horse battery");

  std::string modified = hintFor(alice_, client_);
  modified[modified.size() - 2] = modified[modified.size() - 2] == 'A' ? 'B' : 'A';
  for (const std::string& hint :
       {modified, hintFor(alice_, client_, other_keys, crypto::SigningAlgorithm::EdDsa),
        // Ours, but not with the algorithm the client registered (RS256).
        hintFor(alice_, client_, serverKeys(), crypto::SigningAlgorithm::EdDsa),
        std::string("not.a.token")}) {
    const http::Response page = endSession({{"id_token_hint", hint},
                                            {"client_id", client_.id().str()},
                                            {"post_logout_redirect_uri", kLoggedOutUri},
                                            {"state", "s"}});

    expectConfirmationPage(page);
    EXPECT_TRUE(signedIn());
    const test::Form fields = hiddenFieldsOf(page);
    EXPECT_EQ(fieldOf(fields, "end_session"), "1");
    EXPECT_FALSE(fieldOf(fields, "post_logout_redirect_uri").has_value());
    EXPECT_EQ(page.body.find("You will then return to"), std::string::npos);
  }
  const http::Response page =
      endSession({{"id_token_hint", "x.y.z"}, {"post_logout_redirect_uri", kLoggedOutUri}});

  const http::Response response = confirm(page);

  expectSignedOutPage(response);
  EXPECT_EQ(response.body.find("class=\"button\""), std::string::npos);
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, AnUnregisteredPostLogoutUriIsRefusedWithAPage) {
  logIn("alice", "correct horse battery");

  for (const std::string uri :
       {"https://evil.example/", "https://app.example/callback", "https://app.example/logged-out/",
        "https://app.example/logged-out?x=1", "https://app.example/bye?from=mxauth&x=1",
        "https://app.example/bye"}) {
    const http::Response response = endSession(
        {{"id_token_hint", hintFor(alice_, client_)}, {"post_logout_redirect_uri", uri}});

    expectRefusalPage(response);
    EXPECT_TRUE(signedIn()) << uri;
  }
  expectRefusalPage(endSession(
      {{"client_id", client_.id().str()}, {"post_logout_redirect_uri", "https://evil.example/"}}));
}

TEST_F(EndSessionTest, AClientIdOtherThanTheHintsAudienceIsRefused) {
  const oauth::RegisteredClient other = addClient(test::ClientOptions{});
  logIn("alice", "correct horse battery");

  const http::Response response = endSession({{"id_token_hint", hintFor(alice_, client_)},
                                              {"client_id", other.id().str()},
                                              {"post_logout_redirect_uri", kLoggedOutUri}});

  expectRefusalPage(response);
  EXPECT_TRUE(signedIn());
}

TEST_F(EndSessionTest, AnUnknownClientIdOrARepeatedParameterIsRefused) {
  logIn("alice", "correct horse battery");

  expectRefusalPage(endSession({{"client_id", "01JGZ000000000000000UNKNWN"}}));
  expectRefusalPage(endSession({{"client_id", "not even an id"}}));
  expectRefusalPage(endSession({{"state", "a"}, {"state", "b"}}));
  expectRefusalPage(endSession({{"state", std::string(5000, 's')}}));
  expectRefusalPage(endSession({{"id_token_hint", std::string(9000, 'h')}}));
  EXPECT_TRUE(signedIn());
}

TEST_F(EndSessionTest, APostLogoutUriWithoutAClientIsNeverFollowed) {
  logIn("alice", "correct horse battery");

  const http::Response page = endSession({{"post_logout_redirect_uri", kLoggedOutUri}});

  expectConfirmationPage(page);
  EXPECT_NE(page.body.find("An application asks to sign you out."), std::string::npos);
  EXPECT_FALSE(fieldOf(hiddenFieldsOf(page), "post_logout_redirect_uri").has_value());
  expectSignedOutPage(confirm(page));
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, AMissingHintShowsTheLogoutFormEvenWithoutParameters) {
  logIn("alice", "correct horse battery");

  const http::Response page = endSession({});

  expectConfirmationPage(page);
  EXPECT_NE(page.body.find("Apps and devices you signed in to stay signed in."), std::string::npos);
  expectSignedOutPage(confirm(page));
}

TEST_F(EndSessionTest, TheConfirmationNeedsItsCsrfTokenAndKeepsTheRequestWhenItFails) {
  logIn("alice", "correct horse battery");
  const http::Response page =
      endSession({{"client_id", client_.id().str()}, {"post_logout_redirect_uri", kLoggedOutUri}});
  test::Form fields = hiddenFieldsOf(page);
  std::erase_if(fields, [](const auto& field) { return field.first == "csrf"; });
  fields.emplace_back("csrf", "forged");

  const http::Response response = account_->submitLogout(post("/logout", fields));

  EXPECT_EQ(response.status, 403);
  EXPECT_FALSE(response.header("Location").has_value());
  EXPECT_TRUE(signedIn());
  EXPECT_EQ(fieldOf(hiddenFieldsOf(response), "post_logout_redirect_uri"), kLoggedOutUri);
  EXPECT_EQ(confirm(response).status, 303);
}

TEST_F(EndSessionTest, ATamperedConfirmationNeverRedirectsToAnUnregisteredUri) {
  logIn("alice", "correct horse battery");
  const http::Response page =
      endSession({{"client_id", client_.id().str()}, {"post_logout_redirect_uri", kLoggedOutUri}});
  test::Form fields = hiddenFieldsOf(page);
  for (auto& [name, value] : fields) {
    if (name == "post_logout_redirect_uri") value = "https://evil.example/";
  }

  const http::Response response = account_->submitLogout(post("/logout", fields));

  expectSignedOutPage(response);
  EXPECT_FALSE(signedIn());
}

TEST_F(EndSessionTest, NobodySignedInSeesTheSignedOutPageWithAButtonBack) {
  const http::Response response = endSession({{"id_token_hint", hintFor(alice_, client_)},
                                              {"post_logout_redirect_uri", kLoggedOutUri},
                                              {"state", "s"}});

  expectSignedOutPage(response);
  EXPECT_NE(
      response.body.find("<a class=\"button\" href=\"https://app.example/logged-out?state=s\">"
                         "Return to app.example</a>"),
      std::string::npos)
      << response.body;
}

TEST_F(EndSessionTest, AnOperatorAddedClientWithAHintIsSentBackAtOnceWhenNobodyIsSignedIn) {
  test::ClientOptions options;
  options.is_static = true;
  options.post_logout_redirect_uris = {kLoggedOutUri};
  const oauth::RegisteredClient operator_client = addClient(options);

  const http::Response with_hint = endSession({{"id_token_hint", hintFor(alice_, operator_client)},
                                               {"post_logout_redirect_uri", kLoggedOutUri}});
  const http::Response without_hint = endSession(
      {{"client_id", operator_client.id().str()}, {"post_logout_redirect_uri", kLoggedOutUri}});

  EXPECT_EQ(with_hint.status, 303);
  EXPECT_EQ(test::locationOf(with_hint), kLoggedOutUri);
  expectSignedOutPage(without_hint);
}

TEST_F(EndSessionTest, APostIsAnsweredWithTheSameRequestAsAGet) {
  http::Request request = post("/oauth2/logout", {{"id_token_hint", "a.b.c"},
                                                  {"post_logout_redirect_uri", kLoggedOutUri},
                                                  {"state", "s"},
                                                  {"unrelated", "dropped"}});

  const http::Response response = end_session_->endSession(request);

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response),
            "/oauth2/logout?id_token_hint=a.b.c&post_logout_redirect_uri=https%3A%2F%2Fapp."
            "example%2Flogged-out&state=s");
  http::Request garbled = post("/oauth2/logout", {});
  garbled.body = "%zz";
  EXPECT_EQ(end_session_->endSession(garbled).status, 400);
}

TEST_F(EndSessionTest, TheUsersOAuthSessionsOutliveTheBrowserSession) {
  logIn("alice", "correct horse battery");
  storage::NewOAuthSession device;
  device.client_id = client_.id();
  device.user_id = alice_.id;
  device.scope = "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";
  device.device_id = "ABCDEFGHIJ";
  std::optional<domain::OAuthSessionId> device_session;
  {
    auto tx = database_->begin();
    auto added = (*tx)->oauthSessions().add(rng_, clock_, device);
    ASSERT_TRUE(added.has_value());
    device_session = added->id;
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  const http::Response response = endSession({{"id_token_hint", hintFor(alice_, client_)}});

  expectSignedOutPage(response);
  EXPECT_FALSE(signedIn());
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto session = (*tx)->oauthSessions().lookup(*device_session);
  ASSERT_TRUE(session.has_value() && session->has_value());
  EXPECT_TRUE((*session)->isActive());
}

}  // namespace
}  // namespace mxauth::web
