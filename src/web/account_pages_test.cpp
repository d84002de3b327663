#include "web/account_pages.h"

#include <gtest/gtest.h>

#include "homeserver/testing/recording_homeserver.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;
using test::kSessionCookie;

class AccountPagesTest : public test::WebTest {
 protected:
  http::Response submitRegistration(const test::Form& fields) {
    const http::Response page = account_->showRegister(get("/register"));
    remember(page);
    test::Form form{{"csrf", csrfOf(page)}};
    form.insert(form.end(), fields.begin(), fields.end());
    http::Response response = account_->submitRegister(post("/register", form));
    remember(response);
    return response;
  }
};

TEST_F(AccountPagesTest, LoginPageSetsACsrfCookieAndCarriesItsToken) {
  const http::Response page = account_->showLogin(get("/login"));

  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Cache-Control"), "no-store");
  EXPECT_FALSE(csrfOf(page).empty());
  EXPECT_NE(page.body.find("<form id=\"login\""), std::string::npos);
  EXPECT_NE(page.body.find("Example Auth"), std::string::npos);
}

TEST_F(AccountPagesTest, PagesFollowAcceptLanguageAndSayWhichLanguageTheyAreIn) {
  const http::Response english = account_->showLogin(get("/login"));
  EXPECT_EQ(english.header("Content-Language"), "en");
  EXPECT_EQ(english.header("Vary"), "Accept-Language");
  EXPECT_NE(english.body.find("<html lang=\"en\">"), std::string::npos);

  http::Request request = get("/login");
  request.headers.add("Accept-Language", "de-DE, fr-CA;q=0.8, en;q=0.5");
  const http::Response french = account_->showLogin(request);
  EXPECT_EQ(french.header("Content-Language"), "fr");
  EXPECT_NE(french.body.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(french.body.find("<title>Se connecter · Example Auth</title>"), std::string::npos);
  EXPECT_NE(french.body.find(">Nom d’utilisateur ou adresse e-mail</label>"), std::string::npos);
  EXPECT_EQ(french.body.find("Sign in"), std::string::npos);
}

TEST_F(AccountPagesTest, AHandlersErrorIsWrittenInThePagesLanguage) {
  addUser("alice", "correct horse battery");
  const http::Response page = account_->showLogin(get("/login"));
  remember(page);
  http::Request request = post(
      "/login", {{"csrf", csrfOf(page)}, {"username", "alice"}, {"password", "wrong password!"}});
  request.headers.add("Accept-Language", "fr");

  const http::Response failed = account_->submitLogin(request);

  EXPECT_EQ(failed.status, 400);
  EXPECT_NE(failed.body.find("Nom d’utilisateur ou mot de passe incorrect"), std::string::npos);
  EXPECT_EQ(failed.body.find("Wrong username or password"), std::string::npos);
}

TEST_F(AccountPagesTest, LoginWithLocalpartRedirectsWith303AndSetsTheSession) {
  addUser("alice", "correct horse battery");

  const http::Response response = logIn("alice", "correct horse battery");

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), "/account/");
  EXPECT_TRUE(cookie(kSessionCookie).has_value());
}

TEST_F(AccountPagesTest, LoginAcceptsTheFullMatrixIdOfThisServerOnly) {
  addUser("alice", "correct horse battery");

  EXPECT_EQ(logIn("@alice:example.com", "correct horse battery").status, 303);
  jar_.clear();
  const http::Response other = logIn("@alice:other.example", "correct horse battery");
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("Wrong username or password"), std::string::npos);
}

TEST_F(AccountPagesTest, LoginAcceptsAConfirmedEmailAddress) {
  const domain::User alice = addUser("alice", "correct horse battery");
  {
    auto tx = database_->begin();
    auto email = (*tx)->userEmails().add(rng_, clock_, alice.id, "alice@example.org");
    ASSERT_TRUE((*tx)->userEmails().confirm(clock_, email->id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  EXPECT_EQ(logIn("Alice@Example.org", "correct horse battery").status, 303);
}

TEST_F(AccountPagesTest, EveryLoginFailureSaysTheSameThing) {
  addUser("alice", "correct horse battery");

  const http::Response wrong_password = logIn("alice", "wrong password!");
  const http::Response unknown_user = logIn("nobody", "correct horse battery");

  for (const http::Response* response : {&wrong_password, &unknown_user}) {
    EXPECT_EQ(response->status, 400);
    EXPECT_NE(response->body.find("Wrong username or password"), std::string::npos);
    EXPECT_FALSE(response->header("Location").has_value());
  }
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
}

TEST_F(AccountPagesTest, LockedAccountIsNamedOnlyAfterTheCorrectPassword) {
  const domain::User alice = addUser("alice", "correct horse battery");
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->users().lock(clock_, alice.id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  const http::Response wrong = logIn("alice", "wrong password!");
  const http::Response right = logIn("alice", "correct horse battery");

  EXPECT_NE(wrong.body.find("Wrong username or password"), std::string::npos);
  EXPECT_EQ(wrong.body.find("locked"), std::string::npos);
  EXPECT_EQ(right.status, 403);
  EXPECT_NE(right.body.find("locked"), std::string::npos);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
}

TEST_F(AccountPagesTest, DeactivatedAccountCannotLogIn) {
  const domain::User alice = addUser("alice", "correct horse battery");
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->users().deactivate(clock_, alice.id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  const http::Response response = logIn("alice", "correct horse battery");

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("deactivated"), std::string::npos);
}

// Checklist G.45: the browser login has the same limits as the legacy API
// (the composition root hands both the same LoginThrottle).
TEST_F(AccountPagesTest, TooManyLoginsShowTheFormAgainWith429AndRetryAfterBeforeHashing) {
  addUser("alice", "correct horse battery");
  accounts::LoginThrottle throttle(clock_, {core::RateLimit{2, 30s}, core::RateLimit{}});
  context_->login_throttle = &throttle;
  ASSERT_EQ(logIn("alice", "wrong password!").status, 400);
  ASSERT_EQ(logIn("alice", "wrong password!").status, 400);
  const std::uint64_t hashed = hasher_.started();

  const http::Response limited = logIn("alice", "correct horse battery");

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "30");
  EXPECT_EQ(limited.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(limited.body.find("Too many sign-in attempts. Please wait 30 seconds"),
            std::string::npos);
  EXPECT_NE(limited.body.find("<form id=\"login\""), std::string::npos);
  EXPECT_FALSE(csrfOf(limited).empty());
  EXPECT_NE(limited.body.find("value=\"alice\""), std::string::npos);  // the username stays
  EXPECT_EQ(hasher_.started(), hashed) << "the limited attempt was hashed";
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
  clock_.advance(30s);
  EXPECT_EQ(logIn("alice", "correct horse battery").status, 303);
  context_->login_throttle = nullptr;
}

TEST_F(AccountPagesTest, AttemptsThroughTheOtherDoorCountAgainstTheAccountToo) {
  addUser("alice", "correct horse battery");
  accounts::LoginThrottle throttle(clock_, {core::RateLimit{}, core::RateLimit{2, 60s}});
  context_->login_throttle = &throttle;
  // Two wrong passwords through the legacy API (compat/) on the same throttle.
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);
  throttle.settleAccount("alice");
  ASSERT_TRUE(throttle.admitAccount("alice").allowed);
  throttle.settleAccount("alice");

  const http::Response limited = logIn("Alice", "correct horse battery");

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "60");
  EXPECT_NE(limited.body.find("Please wait 60 seconds"), std::string::npos);
  context_->login_throttle = nullptr;
}

TEST_F(AccountPagesTest, LoginWithoutCsrfTokenIs403WithTheFormShownAgain) {
  addUser("alice", "correct horse battery");
  remember(account_->showLogin(get("/login")));

  const http::Response response = account_->submitLogin(
      post("/login", {{"username", "alice"}, {"password", "correct horse battery"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("<form id=\"login\""), std::string::npos);
  EXPECT_NE(response.body.find("value=\"alice\""), std::string::npos);
  EXPECT_NE(response.body.find("expired"), std::string::npos);
  EXPECT_TRUE(response.headers.getAll("Set-Cookie").empty());
}

TEST_F(AccountPagesTest, LoginWithAnotherBrowsersCsrfTokenIs403) {
  addUser("alice", "correct horse battery");
  // Another browser's page: its token belongs to a CSRF cookie we never got.
  const http::Response theirs = account_->showLogin(get("/login"));
  remember(account_->showLogin(get("/login")));

  const http::Response response = account_->submitLogin(post(
      "/login",
      {{"csrf", csrfOf(theirs)}, {"username", "alice"}, {"password", "correct horse battery"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
}

TEST_F(AccountPagesTest, CrossSiteLoginPostIsRefused) {
  addUser("mallory", "correct horse battery");
  const http::Response page = account_->showLogin(get("/login"));
  remember(page);
  http::Request request = post(
      "/login",
      {{"csrf", csrfOf(page)}, {"username", "mallory"}, {"password", "correct horse battery"}});
  request.headers.set("Origin", "https://evil.example");

  const http::Response response = account_->submitLogin(request);

  EXPECT_EQ(response.status, 403);
  EXPECT_TRUE(response.headers.getAll("Set-Cookie").empty());
}

TEST_F(AccountPagesTest, LoginContinuesToALocalNextButNeverToAnotherHost) {
  addUser("alice", "correct horse battery");

  EXPECT_EQ(test::locationOf(logIn("alice", "correct horse battery", "/authorize/continue?id=x")),
            "/authorize/continue?id=x");
  for (const char* next :
       {"https://evil.example/", "//evil.example/", "/\\evil.example", "https:/evil.example"}) {
    EXPECT_EQ(test::locationOf(logIn("alice", "correct horse battery", std::string(next))),
              "/account/")
        << next;
  }
}

TEST_F(AccountPagesTest, LoginRehashesAnOutdatedPasswordHash) {
  const domain::User alice = addUser("alice", "correct horse battery");
  crypto::PasswordHasherOptions weak;
  weak.argon2 = crypto::Argon2Params{32, 1, 1};
  crypto::PasswordHasher old_hasher(weak);
  {
    auto hash = old_hasher.hash(rng_, "correct horse battery");
    auto tx = database_->begin();
    ASSERT_TRUE(
        (*tx)->userPasswords().add(rng_, clock_, alice.id, *hash, 0, std::nullopt).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  ASSERT_EQ(logIn("alice", "correct horse battery").status, 303);

  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto history = (*tx)->userPasswords().history(alice.id);
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(history->front().version, kPasswordSchemeVersion);
  EXPECT_EQ(history->front().upgraded_from, (*history)[1].id);
}

TEST_F(AccountPagesTest, RegistrationCreatesTheAccountAndSignsIn) {
  const http::Response response = submitRegistration({{"username", "Bob"},
                                                      {"password", "a long passphrase"},
                                                      {"password_confirm", "a long passphrase"},
                                                      {"email", "bob@example.org"}});

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), "/account/");
  EXPECT_TRUE(cookie(kSessionCookie).has_value());
  const http::Response account = account_->showAccount(get("/account/"));
  EXPECT_NE(account.body.find("Signed in as <strong>@bob:example.com</strong>"), std::string::npos);
  jar_.clear();
  EXPECT_EQ(logIn("bob", "a long passphrase").status, 303);
}

TEST_F(AccountPagesTest, RegistrationAsksTheHomeserverAboutTheLocalpart) {
  mxauth::test::RecordingHomeserver fake_homeserver;
  fake_homeserver.markTaken("bob", homeserver::LocalpartAvailability::InUse);
  fake_homeserver.markTaken("irc_bob", homeserver::LocalpartAvailability::Exclusive);
  fake_homeserver.markTaken("bob.odd", homeserver::LocalpartAvailability::Invalid);
  context_->homeserver = &fake_homeserver;
  const auto registerAs = [&](const std::string& name) {
    return submitRegistration({{"username", name},
                               {"password", "a long passphrase"},
                               {"password_confirm", "a long passphrase"}});
  };

  const http::Response in_use = registerAs("bob");
  const http::Response exclusive = registerAs("irc_bob");
  const http::Response invalid = registerAs("bob.odd");
  const http::Response free = registerAs("robert");
  context_->homeserver = nullptr;

  EXPECT_EQ(in_use.status, 409);
  EXPECT_NE(in_use.body.find("This username is taken"), std::string::npos);
  EXPECT_EQ(exclusive.status, 409);
  EXPECT_NE(exclusive.body.find("This username is reserved on this homeserver"), std::string::npos);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_NE(invalid.body.find("The homeserver does not accept this username"), std::string::npos);
  EXPECT_EQ(free.status, 303) << free.body;
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  for (const char* refused : {"bob", "irc_bob", "bob.odd"}) {
    auto user = (*tx)->users().findByLocalpart(refused);
    ASSERT_TRUE(user.has_value());
    EXPECT_FALSE(user->has_value()) << refused;  // no half-created account
  }
}

TEST_F(AccountPagesTest, RegistrationWithTheHomeserverDownCreatesNothing) {
  mxauth::test::RecordingHomeserver fake_homeserver;
  fake_homeserver.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "refused"});
  context_->homeserver = &fake_homeserver;

  const http::Response response = submitRegistration({{"username", "dora"},
                                                      {"password", "a long passphrase"},
                                                      {"password_confirm", "a long passphrase"}});
  context_->homeserver = nullptr;

  EXPECT_EQ(response.status, 503);
  EXPECT_NE(response.body.find("The homeserver cannot be reached"), std::string::npos);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  auto user = (*tx)->users().findByLocalpart("dora");
  ASSERT_TRUE(user.has_value());
  EXPECT_FALSE(user->has_value());
}

TEST_F(AccountPagesTest, RegistrationShowsEachProblemNextToItsField) {
  const http::Response response = submitRegistration({{"username", "_bridge"},
                                                      {"password", "short"},
                                                      {"password_confirm", "short"},
                                                      {"email", "not-an-address"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("id=\"username-error\""), std::string::npos);
  EXPECT_NE(response.body.find("id=\"password-error\""), std::string::npos);
  EXPECT_NE(response.body.find("id=\"email-error\""), std::string::npos);
  EXPECT_NE(response.body.find("value=\"_bridge\""), std::string::npos);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
}

TEST_F(AccountPagesTest, RegistrationRefusesMismatchedConfirmationAndWeakPasswords) {
  const http::Response mismatch = submitRegistration({{"username", "carol"},
                                                      {"password", "a long passphrase"},
                                                      {"password_confirm", "a long passphrase!"}});
  const http::Response common = submitRegistration(
      {{"username", "carol"}, {"password", "password123"}, {"password_confirm", "password123"}});
  const http::Response same = submitRegistration(
      {{"username", "carolina"}, {"password", "Carolina"}, {"password_confirm", "Carolina"}});

  EXPECT_NE(mismatch.body.find("The passwords do not match"), std::string::npos);
  EXPECT_NE(common.body.find("too common"), std::string::npos);
  EXPECT_NE(same.body.find("your username"), std::string::npos);
}

TEST_F(AccountPagesTest, RegistrationOfATakenUsernameSaysSo) {
  addUser("alice", "correct horse battery");

  const http::Response response = submitRegistration({{"username", "ALICE"},
                                                      {"password", "a long passphrase"},
                                                      {"password_confirm", "a long passphrase"}});

  EXPECT_EQ(response.status, 409);
  EXPECT_NE(response.body.find("This username is taken"), std::string::npos);
}

TEST_F(AccountPagesTest, RegistrationIsClosedWhenDisabled) {
  context_->settings.registration_enabled = false;

  EXPECT_EQ(account_->showRegister(get("/register")).status, 404);
  EXPECT_EQ(account_->submitRegister(post("/register", {{"username", "x"}})).status, 404);
  EXPECT_EQ(account_->showLogin(get("/login")).body.find("/register"), std::string::npos);
}

TEST_F(AccountPagesTest, RegistrationWithoutCsrfTokenIs403) {
  remember(account_->showRegister(get("/register")));

  const http::Response response =
      account_->submitRegister(post("/register", {{"username", "dave"},
                                                  {"password", "a long passphrase"},
                                                  {"password_confirm", "a long passphrase"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("<form id=\"register\""), std::string::npos);
}

TEST_F(AccountPagesTest, LogoutFinishesTheSessionAndClearsTheCookie) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const std::string old_cookie = *cookie(kSessionCookie);
  const http::Response confirm = account_->showLogout(get("/logout"));
  ASSERT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("<form id=\"logout\""), std::string::npos);

  const http::Response response =
      account_->submitLogout(post("/logout", {{"csrf", csrfOf(confirm)}}));
  remember(response);

  EXPECT_EQ(response.status, 303);
  EXPECT_NE(std::string(response.header("Set-Cookie").value_or("")).find("Max-Age=0"),
            std::string::npos);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
  jar_[kSessionCookie] = old_cookie;  // a replayed cookie is dead server-side
  EXPECT_EQ(account_->showAccount(get("/account/")).status, 303);
}

TEST_F(AccountPagesTest, LogoutWithoutCsrfTokenIs403AndKeepsTheSession) {
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");

  const http::Response response = account_->submitLogout(post("/logout", {}));

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("<form id=\"logout\""), std::string::npos);
  EXPECT_EQ(account_->showAccount(get("/account/")).status, 200);
}

TEST_F(AccountPagesTest, AccountPageRedirectsToLoginWhenSignedOut) {
  const http::Response response = account_->showAccount(get("/account/"));

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(test::locationOf(response), "/login?next=%2Faccount%2F");
}

TEST_F(AccountPagesTest, LoginHintInTheQueryIsEscapedOnThePage) {
  const http::Response page =
      account_->showLogin(get("/login?username=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"));

  EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(page.body.find("&quot;&gt;&lt;script&gt;"), std::string::npos);
}

TEST_F(AccountPagesTest, MalformedFormBodyGetsAnErrorPage) {
  http::Request request = post("/login", {});
  request.body = "username=%ZZ";

  const http::Response response = account_->submitLogin(request);

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_FALSE(response.body.empty());
}

TEST_F(AccountPagesTest, AssetsAreServedWithALongCacheAndNosniff) {
  const http::Response css = serveAsset(*templates_, get("/assets/mxauth.css?v=abc"));
  const http::Response missing = serveAsset(*templates_, get("/assets/nothing.css"));

  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(css.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(css.header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(css.body.find("prefers-color-scheme: dark"), std::string::npos);
  EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace mxauth::web
