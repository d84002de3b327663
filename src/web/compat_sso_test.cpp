#include "web/compat_sso.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crypto/token.h"
#include "http/url_encoding.h"
#include "web/web_test_support.h"

// The browser half of the legacy SSO login (spec-digest §4.3): the
// redirect, the login detour, the confirmation page and the login token.
namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

class CompatSsoTest : public test::WebTest {
 protected:
  CompatSsoTest() : pages_(*kit_) {}

  http::Response startSso(const std::string& query, bool browser = true) {
    http::Request request = get("/_matrix/client/v3/login/sso/redirect?" + query);
    if (browser) request.headers.set("Accept", "text/html,application/xhtml+xml");
    http::Response response = pages_.redirect(request);
    remember(response);
    return response;
  }

  // GET or POST of the confirmation page at `location`.
  http::Response confirmPage(const std::string& location,
                             const std::optional<test::Form>& form = std::nullopt) {
    const std::string path = location.substr(0, location.find('?'));
    http::Request request = form ? post(location, *form) : get(location);
    request.path_params = {{"id", path.substr(path.rfind('/') + 1)}};
    http::Response response = form ? pages_.submitConfirm(request) : pages_.showConfirm(request);
    remember(response);
    return response;
  }

  // Redirect → log in as alice → the confirmation page.
  std::pair<std::string, http::Response> reachConfirmation(const std::string& redirect_url) {
    http::Response started =
        startSso("redirectUrl=" + http::percentEncode(redirect_url) + "&action=login");
    const std::string here = localPart(test::locationOf(started));
    http::Response detour = confirmPage(here);
    EXPECT_EQ(detour.status, 303);
    EXPECT_TRUE(test::locationOf(detour).starts_with("/login?next=")) << test::locationOf(detour);
    http::Response logged_in = logIn("alice", "correct horse", here);
    EXPECT_EQ(test::locationOf(logged_in), here);
    return {here, confirmPage(here)};
  }

  std::optional<domain::CompatSsoLogin> storedLogin(const std::string& location) {
    const std::string path = location.substr(0, location.find('?'));
    auto id = domain::CompatSsoLoginId::parse(path.substr(path.rfind('/') + 1));
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto found = (*tx)->compatSsoLogins().lookup(*id);
    return found ? *found : std::nullopt;
  }

  // The path and query of a Location on our public base.
  static std::string localPart(const std::string& location) {
    constexpr std::string_view kBase = "https://auth.example";
    EXPECT_TRUE(location.starts_with(kBase)) << location;
    return location.starts_with(kBase) ? location.substr(kBase.size()) : location;
  }

  CompatSsoPages pages_;
};

TEST_F(CompatSsoTest, TheBrowserSignsInConfirmsAndReturnsWithASingleUseLoginToken) {
  addUser("alice", "correct horse");
  http::Response started =
      startSso("redirectUrl=" + http::percentEncode("https://app.example/cb?x=1#/home"));
  ASSERT_EQ(started.status, 303);
  EXPECT_TRUE(test::locationOf(started).starts_with("https://auth.example/complete-compat-sso/"));

  auto [here, page] = reachConfirmation("https://app.example/cb?x=1#/home");

  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("<form id=\"sso-confirm\""), std::string::npos);
  EXPECT_NE(page.body.find("Continue to app.example?"), std::string::npos);
  EXPECT_NE(page.body.find("@alice:example.com"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("https://app.example"),
            std::string::npos);
  http::Response done = confirmPage(here, test::Form{{"csrf", csrfOf(page)}});
  ASSERT_EQ(done.status, 303) << done.body;
  const std::string back = test::locationOf(done);
  ASSERT_TRUE(back.starts_with("https://app.example/cb?x=1&loginToken=")) << back;
  ASSERT_TRUE(back.ends_with("#/home")) << back;
  const std::string token = std::string(
      test::parametersOf(back.substr(back.find('?') + 1, back.find('#') - back.find('?') - 1))
          .get("loginToken")
          .value_or(""));
  EXPECT_EQ(token.size(), 32u);
  auto stored = storedLogin(here);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->login_token_hash, crypto::tokenHashHex(token));
  EXPECT_FALSE(stored->isPending());
  // The same confirmation again finds nothing left to confirm.
  EXPECT_EQ(confirmPage(here, test::Form{{"csrf", csrfOf(page)}}).status, 400);
}

TEST_F(CompatSsoTest, TheRegisterActionSendsANewUserToRegistration) {
  http::Response started = startSso("redirectUrl=https%3A%2F%2Fapp.example%2F&action=register");
  const std::string here = localPart(test::locationOf(started));
  EXPECT_TRUE(here.ends_with("?action=register")) << here;

  http::Response detour = confirmPage(here);

  EXPECT_EQ(detour.status, 303);
  EXPECT_TRUE(test::locationOf(detour).starts_with("/register?next=")) << test::locationOf(detour);
  // The unstable MSC3824 name works too; unknown actions are dropped.
  EXPECT_TRUE(test::locationOf(startSso("redirectUrl=https%3A%2F%2Fapp.example%2F&"
                                        "org.matrix.msc3824.action=register"))
                  .ends_with("?action=register"));
  EXPECT_EQ(
      test::locationOf(startSso("redirectUrl=https%3A%2F%2Fapp.example%2F&action=x")).find('?'),
      std::string::npos);
}

TEST_F(CompatSsoTest, BadRedirectUrlsAreRefusedAsPagesOrMatrixErrors) {
  http::Response missing_page = startSso("");
  EXPECT_EQ(missing_page.status, 400);
  EXPECT_NE(missing_page.header("Content-Type").value_or("").find("text/html"), std::string::npos);
  http::Response missing_json = startSso("", false);
  EXPECT_EQ(missing_json.status, 400);
  EXPECT_NE(missing_json.body.find("\"M_MISSING_PARAM\""), std::string::npos);
  for (const char* bad : {"javascript%3Aalert(1)", "https%3A%2F%2Fu%3Ap%40app.example%2F",
                          "%2Frelative", "data%3Atext%2Fhtml%2Cx"}) {
    http::Response refused = startSso(std::string("redirectUrl=") + bad, false);
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_NE(refused.body.find("\"M_INVALID_PARAM\""), std::string::npos) << bad;
    EXPECT_FALSE(refused.header("Location").has_value());
  }
  EXPECT_EQ(
      startSso("redirectUrl=https%3A%2F%2Fa.example%2F&redirectUrl=https%3A%2F%2Fb.example%2F")
          .status,
      400);
}

TEST_F(CompatSsoTest, ACraftedLinkOnlyShowsWhereTheLoginWouldGo) {
  // Someone sends alice a link to the redirect with their own redirectUrl.
  addUser("alice", "correct horse");
  logIn("alice", "correct horse");
  http::Response started = startSso("redirectUrl=https%3A%2F%2Fevil.example%2Fsteal");
  const std::string link = localPart(test::locationOf(started));
  EXPECT_TRUE(started.headers.getAll("Set-Cookie").empty());

  http::Response page = confirmPage(link);

  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Continue to evil.example?"), std::string::npos);
  EXPECT_NE(page.body.find("https://evil.example/steal"), std::string::npos);
  EXPECT_TRUE(storedLogin(link)->isPending());  // nothing happens without her click
}

TEST_F(CompatSsoTest, TheConfirmationNeedsItsCsrfToken) {
  addUser("alice", "correct horse");
  auto [here, page] = reachConfirmation("https://app.example/");

  http::Response forged = confirmPage(here, test::Form{{"csrf", "forged"}});

  EXPECT_EQ(forged.status, 403);
  EXPECT_FALSE(forged.header("Location").has_value());
  EXPECT_TRUE(storedLogin(here)->isPending());
}

TEST_F(CompatSsoTest, APendingLoginExpiresAfterThirtyMinutes) {
  addUser("alice", "correct horse");
  auto [here, page] = reachConfirmation("im.fluffychat://login");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("The app <strong>im.fluffychat</strong>"), std::string::npos);

  clock_.advance(30min + 1s);

  EXPECT_EQ(confirmPage(here, test::Form{{"csrf", csrfOf(page)}}).status, 400);
  EXPECT_TRUE(storedLogin(here)->isPending());
}

}  // namespace
}  // namespace mxauth::web
