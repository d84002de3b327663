#include "web/session.h"

#include <gtest/gtest.h>

#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using test::kCsrfCookie;
using test::kSessionCookie;

class SessionTest : public test::WebTest {
 protected:
  // The user of the session the jar's cookie names, or empty.
  std::optional<std::string> signedInUser() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    EXPECT_TRUE(tx.has_value());
    auto active = kit_->sessions().current(get("/account/"), **tx, clock_);
    EXPECT_TRUE(active.has_value());
    if (!*active) return std::nullopt;
    return (*active)->user.localpart;
  }
};

TEST_F(SessionTest, HttpsPublicBaseGivesHostPrefixedSecureCookies) {
  addUser("alice", "correct horse battery");

  const http::Response response = logIn("alice", "correct horse battery");

  const auto cookies = response.headers.getAll("Set-Cookie");
  ASSERT_EQ(cookies.size(), 1u);
  const std::string_view set_cookie = cookies.front();
  EXPECT_TRUE(set_cookie.starts_with(std::string(kSessionCookie) + "="));
  EXPECT_NE(set_cookie.find("; Path=/"), std::string_view::npos);
  EXPECT_NE(set_cookie.find("; Secure"), std::string_view::npos);
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string_view::npos);
  EXPECT_NE(set_cookie.find("; SameSite=Lax"), std::string_view::npos);
  EXPECT_EQ(set_cookie.find("Domain"), std::string_view::npos);
  EXPECT_TRUE(cookie(kCsrfCookie).has_value());
}

// Security checklist F.43: the CSRF cookie is host-only and unreadable by
// scripts, like the session cookie.
TEST_F(SessionTest, CsrfCookieIsHostPrefixedSecureHttpOnlyAndSameSite) {
  const http::Response page = account_->showLogin(get("/login"));

  std::optional<std::string> csrf_cookie;
  for (std::string_view header : page.headers.getAll("Set-Cookie")) {
    if (header.starts_with(std::string(kCsrfCookie) + "=")) csrf_cookie = std::string(header);
  }
  ASSERT_TRUE(csrf_cookie.has_value());
  EXPECT_NE(csrf_cookie->find("; Path=/"), std::string::npos);
  EXPECT_NE(csrf_cookie->find("; Secure"), std::string::npos);
  EXPECT_NE(csrf_cookie->find("; HttpOnly"), std::string::npos);
  EXPECT_NE(csrf_cookie->find("; SameSite="), std::string::npos);
  EXPECT_EQ(csrf_cookie->find("Domain"), std::string::npos);
}

TEST_F(SessionTest, PlainHttpLoopbackGivesPlainCookieNames) {
  SessionSettings settings;
  settings.public_base = "http://127.0.0.1:8080/";
  const SessionManager sessions(context_->encryption_secret, settings);

  http::Response response;
  sessions.attach(response, domain::BrowserSessionId("01J00000000000000000000000"), rng_, clock_);

  const std::string set_cookie(response.header("Set-Cookie").value_or(""));
  EXPECT_TRUE(set_cookie.starts_with("mxauth-session="));
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos);
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_EQ(sessions.csrfCookieName(), "mxauth-csrf");
  EXPECT_EQ(sessions.publicOrigin(), "http://127.0.0.1:8080");
}

TEST_F(SessionTest, ACookieForALiveSessionSignsTheUserIn) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  EXPECT_EQ(signedInUser(), "alice");
}

TEST_F(SessionTest, TamperedCookieReadsAsLoggedOut) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  std::string value = *cookie(kSessionCookie);
  value[value.size() / 2] = value[value.size() / 2] == 'A' ? 'B' : 'A';
  jar_[kSessionCookie] = value;

  EXPECT_EQ(signedInUser(), std::nullopt);
}

TEST_F(SessionTest, CookieMovedToAnotherNameReadsAsLoggedOut) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const std::string value = *cookie(kSessionCookie);
  // Sealed with the cookie name as associated data: not valid elsewhere.
  http::Response response;
  SessionSettings settings;
  settings.public_base = "http://127.0.0.1:8080/";
  const SessionManager plain(context_->encryption_secret, settings);
  jar_.clear();
  jar_["mxauth-session"] = value;
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto active = plain.current(get("/account/"), **tx, clock_);

  ASSERT_TRUE(active.has_value());
  EXPECT_FALSE(active->has_value());
}

TEST_F(SessionTest, CookieSealedUnderAnotherSecretReadsAsLoggedOut) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  auto other_secret = crypto::parseEncryptionSecret(std::string(64, 'b'));
  SessionSettings settings;
  settings.public_base = "https://auth.example/";
  const SessionManager other(*other_secret, settings);

  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto active = other.current(get("/account/"), **tx, clock_);

  ASSERT_TRUE(active.has_value());
  EXPECT_FALSE(active->has_value());
}

TEST_F(SessionTest, EveryLoginGetsANewSessionAndTheOldCookieDies) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const std::string first = *cookie(kSessionCookie);

  logIn("alice", "correct horse battery");
  const std::string second = *cookie(kSessionCookie);

  EXPECT_NE(first, second);
  EXPECT_EQ(signedInUser(), "alice");
  jar_[kSessionCookie] = first;
  EXPECT_EQ(signedInUser(), std::nullopt);
}

TEST_F(SessionTest, SessionExpiresAfterTheIdleLifetime) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  clock_.advance(std::chrono::hours(24 * 7) - std::chrono::minutes(1));
  EXPECT_EQ(signedInUser(), "alice");
  clock_.advance(std::chrono::minutes(2));
  EXPECT_EQ(signedInUser(), std::nullopt);
}

TEST_F(SessionTest, UseWithinTheIdleLifetimeKeepsTheSessionUntilTheAbsoluteLifetime) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  // Visit the account page every six days: the cookie is refreshed each time.
  for (int visit = 0; visit < 4; ++visit) {
    clock_.advance(std::chrono::hours(24 * 6));
    const http::Response page = account_->showAccount(get("/account/"));
    ASSERT_EQ(page.status, 200) << "visit " << visit;
    remember(page);
  }
  EXPECT_EQ(signedInUser(), "alice");  // day 24

  clock_.advance(std::chrono::hours(24 * 6));  // day 30
  EXPECT_EQ(signedInUser(), std::nullopt);
}

TEST_F(SessionTest, ALockedUsersSessionReadsAsLoggedOut) {
  const domain::User alice = addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->users().lock(clock_, alice.id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  EXPECT_EQ(signedInUser(), std::nullopt);
}

TEST_F(SessionTest, CsrfTokenIsBoundToTheBrowserAndThePurpose) {
  const CsrfCookie mine{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  const CsrfCookie theirs{"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"};
  const SessionManager& sessions = kit_->sessions();
  jar_[kCsrfCookie] = mine.value;

  EXPECT_TRUE(sessions.verifyCsrf(post("/x", {}), "login", sessions.csrfToken(mine, "login")));
  EXPECT_FALSE(sessions.verifyCsrf(post("/x", {}), "login", sessions.csrfToken(theirs, "login")));
  EXPECT_FALSE(sessions.verifyCsrf(post("/x", {}), "login", sessions.csrfToken(mine, "logout")));
  EXPECT_FALSE(sessions.verifyCsrf(post("/x", {}), "login", ""));
  jar_.erase(kCsrfCookie);
  EXPECT_FALSE(sessions.verifyCsrf(post("/x", {}), "login", sessions.csrfToken(mine, "login")));
}

TEST_F(SessionTest, CsrfCheckRefusesRequestsFromAnotherSite) {
  const CsrfCookie mine{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
  const SessionManager& sessions = kit_->sessions();
  jar_[kCsrfCookie] = mine.value;
  const std::string token = sessions.csrfToken(mine, "login");

  http::Request foreign = post("/login", {});
  foreign.headers.set("Origin", "https://evil.example");
  EXPECT_FALSE(sessions.verifyCsrf(foreign, "login", token));

  http::Request cross_site = post("/login", {});
  cross_site.headers.add("Sec-Fetch-Site", "cross-site");
  EXPECT_FALSE(sessions.verifyCsrf(cross_site, "login", token));

  http::Request same_site = post("/login", {});
  same_site.headers.add("Sec-Fetch-Site", "same-site");  // a sibling subdomain or port
  EXPECT_FALSE(sessions.verifyCsrf(same_site, "login", token));

  http::Request same_origin = post("/login", {});
  same_origin.headers.add("Sec-Fetch-Site", "same-origin");
  EXPECT_TRUE(sessions.verifyCsrf(same_origin, "login", token));
  // What chromium sends for our own forms (Referrer-Policy: no-referrer).
  http::Request opaque_origin = post("/login", {});
  opaque_origin.headers.set("Origin", "null");
  opaque_origin.headers.add("Sec-Fetch-Site", "same-origin");
  EXPECT_TRUE(sessions.verifyCsrf(opaque_origin, "login", token));
  EXPECT_FALSE(sessions.verifyCsrf(opaque_origin, "login", ""));
}

TEST(OriginOfTest, DropsPathsAndDefaultPorts) {
  EXPECT_EQ(originOf("https://Auth.Example:443/base/"), "https://auth.example");
  EXPECT_EQ(originOf("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
  EXPECT_EQ(originOf("https://user@evil.example/"), "");
  EXPECT_EQ(originOf("com.example.app:/cb"), "");
}

}  // namespace
}  // namespace mxauth::web
