#include "web/account_security.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "homeserver/testing/recording_homeserver.h"
#include "oauth/introspection_cache.h"
#include "web/account_actions.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;
using test::kSessionCookie;

constexpr const char* kPassword = "correct horse battery";

class AccountSecurityTest : public test::WebTest {
 protected:
  AccountSecurityTest() {
    context_->homeserver = &homeserver_;
    context_->introspection_cache = &cache_;
    step_up_ = std::make_unique<StepUp>(*kit_);
    security_ = std::make_unique<AccountSecurityPages>(*kit_, *step_up_);
    alice_ = addUser("alice", kPassword);
  }
  ~AccountSecurityTest() override {
    context_->homeserver = nullptr;
    context_->introspection_cache = nullptr;
  }

  // A signed-in browser with a recent authentication.
  void signIn() { ASSERT_EQ(logIn("alice", kPassword).status, 303); }

  template <class Show, class Submit>
  http::Response confirm(Show show, Submit submit, const std::string& path,
                         const test::Form& fields) {
    const http::Response page = (security_.get()->*show)(get(path));
    remember(page);
    EXPECT_EQ(page.status, 200) << page.body;
    test::Form form{{"csrf", csrfOf(page)}};
    form.insert(form.end(), fields.begin(), fields.end());
    http::Response response = (security_.get()->*submit)(post(path, form));
    remember(response);
    return response;
  }

  http::Response changePassword(const test::Form& fields) {
    return confirm(&AccountSecurityPages::showPasswordChange,
                   &AccountSecurityPages::submitPasswordChange, "/account/password", fields);
  }

  // An OAuth session with a device and an access token, and a compat
  // session: what a password change or deactivation must end.
  struct OtherSessions {
    domain::OAuthSessionId oauth;
    domain::CompatSessionId compat;
  };
  OtherSessions addOtherSessions() {
    const oauth::RegisteredClient client = addClient();
    auto tx = database_->begin();
    storage::NewOAuthSession device;
    device.client_id = client.id();
    device.user_id = alice_.id;
    device.scope = "urn:matrix:client:api:* urn:matrix:client:device:PHONE";
    device.device_id = "PHONE";
    auto oauth_session = (*tx)->oauthSessions().add(rng_, clock_, device);
    EXPECT_TRUE(oauth_session.has_value());
    EXPECT_TRUE((*tx)
                    ->accessTokens()
                    .add(rng_, clock_, oauth_session->id, std::string(64, 'a'), clock_.now() + 1h)
                    .has_value());
    storage::NewCompatSession legacy;
    legacy.user_id = alice_.id;
    legacy.device_id = "LEGACY";
    auto compat_session = (*tx)->compatSessions().add(rng_, clock_, legacy);
    EXPECT_TRUE(compat_session.has_value());
    EXPECT_TRUE((*tx)->commit().has_value());
    return {oauth_session->id, compat_session->id};
  }

  bool oauthActive(const domain::OAuthSessionId& id) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto session = (*tx)->oauthSessions().lookup(id);
    return session && *session && (*session)->isActive();
  }
  bool compatActive(const domain::CompatSessionId& id) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto session = (*tx)->compatSessions().lookup(id);
    return session && *session && (*session)->isActive();
  }

  std::vector<storage::AuditEvent> auditLog() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto events = (*tx)->auditLog().list({});
    EXPECT_TRUE(events.has_value());
    return events.value_or(std::vector<storage::AuditEvent>{});
  }

  // The due jobs, read without taking them (the lease is rolled back).
  std::vector<domain::Job> dueJobs() {
    auto tx = database_->begin();
    auto jobs = (*tx)->jobs().claimDue(clock_, "reader", 1min, 100);
    EXPECT_TRUE(jobs.has_value());
    return jobs.value_or(std::vector<domain::Job>{});
  }

  bool signedIn() { return account_->showAccount(get("/account/")).status == 200; }

  mxauth::test::RecordingHomeserver homeserver_;
  oauth::IntrospectionCache cache_{100, 1h};
  std::unique_ptr<StepUp> step_up_;
  std::unique_ptr<AccountSecurityPages> security_;
  domain::User alice_;
};

TEST_F(AccountSecurityTest, PasswordChangeNeedsASignInAndARecentOne) {
  const http::Response signed_out = security_->showPasswordChange(get("/account/password"));
  EXPECT_EQ(test::locationOf(signed_out), "/login?next=%2Faccount%2Fpassword");

  signIn();
  EXPECT_EQ(security_->showPasswordChange(get("/account/password")).status, 200);
  clock_.advance(301s);
  const http::Response stale = security_->showPasswordChange(get("/account/password"));
  EXPECT_EQ(test::locationOf(stale), "/account/reauth?next=%2Faccount%2Fpassword");
  // A POST is held to the same rule: nothing changes.
  const http::Response posted = security_->submitPasswordChange(
      post("/account/password", {{"current_password", kPassword},
                                 {"new_password", "a brand new passphrase"},
                                 {"new_password_confirm", "a brand new passphrase"}}));
  EXPECT_EQ(test::locationOf(posted), "/account/reauth?next=%2Faccount%2Fpassword");
  EXPECT_TRUE(auditLog().empty());
}

TEST_F(AccountSecurityTest, PasswordChangeEndsEveryOtherSessionAndIsAudited) {
  signIn();
  const OtherSessions others = addOtherSessions();
  oauth::IntrospectionRecord record;
  record.session_id = others.oauth.str();
  record.expires_at = clock_.now() + 1h;
  cache_.insert("tokenhash", record, clock_.now(), cache_.invalidations());
  // Another browser of alice's.
  const std::map<std::string, std::string> this_browser = jar_;
  jar_.clear();
  signIn();
  const std::map<std::string, std::string> other_browser = jar_;
  jar_ = this_browser;

  const http::Response changed = changePassword({{"current_password", kPassword},
                                                 {"new_password", "a brand new passphrase"},
                                                 {"new_password_confirm", "a brand new passphrase"},
                                                 {"end_sessions", "yes"}});

  EXPECT_EQ(changed.status, 303) << changed.body;
  EXPECT_EQ(test::locationOf(changed), "/account/?done=password");
  EXPECT_NE(account_->showAccount(get("/account/?done=password"))
                .body.find("Your password has been changed."),
            std::string::npos);
  EXPECT_FALSE(oauthActive(others.oauth));
  EXPECT_FALSE(compatActive(others.compat));
  EXPECT_EQ(cache_.find("tokenhash", clock_.now()), nullptr);
  EXPECT_TRUE(signedIn()) << "this browser stays signed in";
  jar_ = other_browser;
  EXPECT_FALSE(signedIn()) << "the other browser is signed out";
  jar_.clear();
  EXPECT_EQ(logIn("alice", kPassword).status, 400);
  EXPECT_EQ(logIn("alice", "a brand new passphrase").status, 303);
  // The homeserver is told through the durable device sync.
  bool sync_queued = false;
  for (const domain::Job& job : dueJobs()) sync_queued |= job.kind == "homeserver.sync_devices";
  EXPECT_TRUE(sync_queued);
  const std::vector<storage::AuditEvent> events = auditLog();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().action, "account.password_change");
  EXPECT_EQ(events.front().user_id, alice_.id);
  EXPECT_EQ(events.front().ip_address, "192.0.2.1");
  EXPECT_EQ(events.front().user_agent, "WebTest/1.0");
  EXPECT_EQ(events.front().details_json, R"({"other_sessions_ended":true,"sessions_ended":3})");
}

TEST_F(AccountSecurityTest, PasswordChangeKeepsOtherSessionsWhenTheBoxIsUnticked) {
  signIn();
  const OtherSessions others = addOtherSessions();

  const http::Response changed =
      changePassword({{"current_password", kPassword},
                      {"new_password", "a brand new passphrase"},
                      {"new_password_confirm", "a brand new passphrase"}});

  EXPECT_EQ(changed.status, 303);
  EXPECT_TRUE(oauthActive(others.oauth));
  EXPECT_TRUE(compatActive(others.compat));
  EXPECT_EQ(auditLog().front().details_json,
            R"({"other_sessions_ended":false,"sessions_ended":0})");
}

TEST_F(AccountSecurityTest, PasswordChangeChecksTheCurrentPasswordAndTheRules) {
  signIn();

  const http::Response wrong = changePassword({{"current_password", "not my password"},
                                               {"new_password", "a brand new passphrase"},
                                               {"new_password_confirm", "a brand new passphrase"}});
  const http::Response weak = changePassword({{"current_password", kPassword},
                                              {"new_password", "short"},
                                              {"new_password_confirm", "short"}});
  const http::Response mismatch =
      changePassword({{"current_password", kPassword},
                      {"new_password", "a brand new passphrase"},
                      {"new_password_confirm", "a brand new passphrase!"}});

  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("id=\"current_password-error\""), std::string::npos);
  EXPECT_EQ(weak.status, 400);
  EXPECT_NE(weak.body.find("id=\"new_password-error\""), std::string::npos);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("The passwords do not match"), std::string::npos);
  EXPECT_NE(mismatch.body.find("<form id=\"password-change\""), std::string::npos);
  EXPECT_TRUE(auditLog().empty());
  jar_.clear();
  EXPECT_EQ(logIn("alice", kPassword).status, 303);
}

TEST_F(AccountSecurityTest, PasswordChangeWithoutItsCsrfTokenIsRefused) {
  signIn();
  remember(security_->showPasswordChange(get("/account/password")));

  const http::Response response = security_->submitPasswordChange(
      post("/account/password", {{"current_password", kPassword},
                                 {"new_password", "a brand new passphrase"},
                                 {"new_password_confirm", "a brand new passphrase"}}));

  EXPECT_EQ(response.status, 403);
  EXPECT_NE(response.body.find("<form id=\"password-change\""), std::string::npos);
  EXPECT_TRUE(auditLog().empty());
}

TEST_F(AccountSecurityTest, PasswordChangeIsOffWhenTheConfigSaysSo) {
  context_->settings.password_change_enabled = false;
  signIn();

  EXPECT_EQ(security_->showPasswordChange(get("/account/password")).status, 404);
  EXPECT_EQ(security_->submitPasswordChange(post("/account/password", {})).status, 404);
  EXPECT_EQ(account_->showAccount(get("/account/")).body.find("/account/password"),
            std::string::npos);
}

TEST_F(AccountSecurityTest, DeactivationEndsEverythingAndQueuesDeleteUserWithErase) {
  signIn();
  const OtherSessions others = addOtherSessions();
  const http::Response page = security_->showDeactivate(get("/account/deactivate"));
  EXPECT_NE(page.body.find("<form id=\"deactivate\""), std::string::npos);
  EXPECT_NE(page.body.find("name=\"erase\""), std::string::npos);
  EXPECT_NE(page.body.find("signed out of every app"), std::string::npos);

  const http::Response done =
      confirm(&AccountSecurityPages::showDeactivate, &AccountSecurityPages::submitDeactivate,
              "/account/deactivate", {{"erase", "yes"}});

  EXPECT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("has been deactivated"), std::string::npos);
  EXPECT_FALSE(cookie(kSessionCookie).has_value());
  EXPECT_FALSE(oauthActive(others.oauth));
  EXPECT_FALSE(compatActive(others.compat));
  auto tx = database_->begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE((**(*tx)->users().lookup(alice_.id)).isActive());
  tx->reset();
  std::optional<std::string> payload;
  for (const domain::Job& job : dueJobs()) {
    if (job.kind == "homeserver.delete_user") payload = job.payload;
  }
  ASSERT_TRUE(payload.has_value());
  EXPECT_NE(payload->find("\"erase\":true"), std::string::npos);
  EXPECT_NE(payload->find(alice_.id.str()), std::string::npos);
  const std::vector<storage::AuditEvent> events = auditLog();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front().action, "account.deactivate");
  EXPECT_EQ(events.front().details_json, R"({"erase":true})");
  EXPECT_EQ(logIn("alice", kPassword).status, 403);
}

TEST_F(AccountSecurityTest, DeactivationWithoutTheBoxDoesNotAskForErasure) {
  signIn();

  const http::Response done =
      confirm(&AccountSecurityPages::showDeactivate, &AccountSecurityPages::submitDeactivate,
              "/account/deactivate", {});

  EXPECT_EQ(done.status, 200);
  for (const domain::Job& job : dueJobs()) {
    if (job.kind == "homeserver.delete_user") {
      EXPECT_NE(job.payload.find("\"erase\":false"), std::string::npos);
    }
  }
  EXPECT_EQ(auditLog().front().details_json, R"({"erase":false})");
}

TEST_F(AccountSecurityTest, DeactivationNeedsItsCsrfTokenAndItsSwitch) {
  signIn();
  remember(security_->showDeactivate(get("/account/deactivate")));
  const http::Response forged =
      security_->submitDeactivate(post("/account/deactivate", {{"erase", "yes"}}));
  EXPECT_EQ(forged.status, 403);
  EXPECT_TRUE(signedIn());

  context_->settings.deactivation_enabled = false;
  EXPECT_EQ(security_->showDeactivate(get("/account/deactivate")).status, 404);
  EXPECT_TRUE(auditLog().empty());
}

TEST_F(AccountSecurityTest, CrossSigningResetApprovalCallsTheHomeserver) {
  signIn();
  const http::Response page = security_->showCrossSigningReset(get("/account/cross-signing-reset"));
  EXPECT_NE(page.body.find("<form id=\"cross-signing-reset\""), std::string::npos);
  EXPECT_NE(page.body.find("10 minutes"), std::string::npos);
  EXPECT_TRUE(homeserver_.calls().empty()) << "showing the page changes nothing";

  const http::Response done =
      confirm(&AccountSecurityPages::showCrossSigningReset,
              &AccountSecurityPages::submitCrossSigningReset, "/account/cross-signing-reset", {});

  EXPECT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("until 00:10 UTC"), std::string::npos);
  EXPECT_EQ(homeserver_.calls(), std::vector<std::string>{"allow_cross_signing_reset alice"});
  EXPECT_EQ(auditLog().front().action, "account.cross_signing_reset");
}

TEST_F(AccountSecurityTest, CrossSigningResetSaysSoWhenTheHomeserverIsDown) {
  signIn();
  homeserver_.failWith({homeserver::HomeserverErrorCode::Unreachable, 0, "", "refused"});

  const http::Response failed =
      confirm(&AccountSecurityPages::showCrossSigningReset,
              &AccountSecurityPages::submitCrossSigningReset, "/account/cross-signing-reset", {});

  EXPECT_EQ(failed.status, 503);
  EXPECT_NE(failed.body.find("could not be reached"), std::string::npos);
  EXPECT_TRUE(auditLog().empty());
}

TEST_F(AccountSecurityTest, DeepLinksLeadToTheirPagesWhichChangeNothingByThemselves) {
  signIn();

  const http::Response deactivate =
      account_->showAccount(get("/account/?action=org.matrix.account_deactivate"));
  const http::Response reset =
      account_->showAccount(get("/account/?action=org.matrix.cross_signing_reset"));
  const http::Response unknown = account_->showAccount(get("/account/?action=org.example.nope"));

  EXPECT_EQ(test::locationOf(deactivate), "/account/deactivate");
  EXPECT_EQ(test::locationOf(reset), "/account/cross-signing-reset");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_TRUE(signedIn());
  EXPECT_TRUE(homeserver_.calls().empty());
  context_->settings.deactivation_enabled = false;
  EXPECT_EQ(account_->showAccount(get("/account/?action=org.matrix.account_deactivate")).status,
            200);
}

TEST_F(AccountSecurityTest, TheAdvertisedActionsAreExactlyTheServedOnes) {
  WebSettings settings;
  EXPECT_EQ(supportedAccountActions(settings),
            (std::vector<std::string>{"org.matrix.profile", "org.matrix.devices_list",
                                      "org.matrix.device_view", "org.matrix.device_delete",
                                      "org.matrix.account_deactivate",
                                      "org.matrix.cross_signing_reset", "org.matrix.sessions_list",
                                      "org.matrix.session_view", "org.matrix.session_end"}));
  settings.deactivation_enabled = false;
  const std::vector<std::string> without = supportedAccountActions(settings);
  EXPECT_EQ(std::count(without.begin(), without.end(), "org.matrix.account_deactivate"), 0);
  EXPECT_EQ(without.size(), 8u);
}

// Issue 5 item 6: a deactivated user's browser sessions end at once.
TEST_F(AccountSecurityTest, ABrowserSessionEndsTheMomentItsUserIsDeactivatedOrLocked) {
  signIn();
  ASSERT_TRUE(signedIn());
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->users().lock(clock_, alice_.id).has_value());
    ASSERT_TRUE((*tx)->commit().has_value());
  }
  EXPECT_FALSE(signedIn());
  EXPECT_EQ(test::locationOf(security_->showPasswordChange(get("/account/password"))),
            "/login?next=%2Faccount%2Fpassword");
}

}  // namespace
}  // namespace mxauth::web
