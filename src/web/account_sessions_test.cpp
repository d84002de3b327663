#include "web/account_sessions.h"

#include <gtest/gtest.h>

#include "jobs/homeserver_jobs.h"
#include "oauth/introspection_cache.h"
#include "web/account_actions.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSessionsPassword = "correct horse battery";

class SessionPagesTest : public test::WebTest {
 protected:
  SessionPagesTest() {
    context_->introspection_cache = &sessions_cache_;
    step_up_ = std::make_unique<StepUp>(*kit_);
    pages_ = std::make_unique<SessionPages>(*kit_, *step_up_);
    alice_ = addUser("alice", kSessionsPassword);
    bob_ = addUser("bob", kSessionsPassword);
  }
  ~SessionPagesTest() override { context_->introspection_cache = nullptr; }

  void signIn() { ASSERT_EQ(logIn("alice", kSessionsPassword).status, 303); }

  domain::OAuthSession addOAuthSession(const domain::User& user, const std::string& device) {
    test::ClientOptions options;
    options.name = "Element";
    options.logo_uri = "https://app.example/logo.png";
    const oauth::RegisteredClient client = addClient(options);
    auto tx = database_->begin();
    storage::NewOAuthSession request;
    request.client_id = client.id();
    request.user_id = user.id;
    request.scope = "urn:matrix:client:api:* urn:matrix:client:device:" + device;
    request.device_id = device;
    request.user_agent = "Element/1.11 (Linux)";
    auto session = (*tx)->oauthSessions().add(rng_, clock_, request);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE((*tx)
                    ->accessTokens()
                    .add(rng_, clock_, session->id, device + std::string(64 - device.size(), 'b'),
                         clock_.now() + 1h)
                    .has_value());
    EXPECT_TRUE((*tx)->commit().has_value());
    return *session;
  }

  domain::CompatSession addCompatSession(const domain::User& user, const std::string& device) {
    auto tx = database_->begin();
    storage::NewCompatSession request;
    request.user_id = user.id;
    request.device_id = device;
    request.display_name = "Old phone";
    auto session = (*tx)->compatSessions().add(rng_, clock_, request);
    EXPECT_TRUE(session.has_value());
    EXPECT_TRUE((*tx)->commit().has_value());
    return *session;
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

  std::vector<domain::Job> dueJobs() {
    auto tx = database_->begin();
    auto jobs = (*tx)->jobs().claimDue(clock_, "reader", 1min, 100);
    EXPECT_TRUE(jobs.has_value());
    return jobs.value_or(std::vector<domain::Job>{});
  }

  std::vector<storage::AuditEvent> auditEvents() {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto events = (*tx)->auditLog().list({});
    EXPECT_TRUE(events.has_value());
    return events.value_or(std::vector<storage::AuditEvent>{});
  }

  // GET the confirmation, then POST it with its token.
  http::Response endSession(const std::string& id) {
    const std::string path = sessionEndPath(id);
    const http::Response page = pages_->showEnd(withId(get(path), id));
    remember(page);
    EXPECT_EQ(page.status, 200) << page.body;
    EXPECT_NE(page.body.find("<form id=\"device-delete\""), std::string::npos);
    http::Response response = pages_->submitEnd(withId(post(path, {{"csrf", csrfOf(page)}}), id));
    remember(response);
    return response;
  }

  static http::Request withId(http::Request request, const std::string& id) {
    request.path_params.emplace_back("id", id);
    return request;
  }

  bool isSignedIn() { return account_->showAccount(get("/account/")).status == 200; }

  oauth::IntrospectionCache sessions_cache_{100, 1h};
  std::unique_ptr<StepUp> step_up_;
  std::unique_ptr<SessionPages> pages_;
  domain::User alice_;
  domain::User bob_;
};

TEST_F(SessionPagesTest, TheListNeedsASignIn) {
  const http::Response signed_out = pages_->showSessions(get("/account/sessions"));

  EXPECT_EQ(test::locationOf(signed_out), "/login?next=%2Faccount%2Fsessions");
}

TEST_F(SessionPagesTest, TheListShowsEveryKindOfSessionOfTheUserOnlyWithThisBrowserMarked) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  clock_.advance(1min);
  addCompatSession(alice_, "LEGACYDEVICE");
  addOAuthSession(bob_, "BOBSDEVICE");
  signIn();

  const http::Response page = pages_->showSessions(get("/account/sessions"));

  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Element"), std::string::npos);
  EXPECT_NE(page.body.find("PHONEDEVICE"), std::string::npos);
  EXPECT_NE(page.body.find("Old phone"), std::string::npos);
  EXPECT_NE(page.body.find("LEGACYDEVICE"), std::string::npos);
  EXPECT_NE(page.body.find("This browser"), std::string::npos);
  EXPECT_NE(page.body.find("href=\"/account/sessions/" + app.id.str() + "\""), std::string::npos);
  EXPECT_NE(page.body.find("src=\"https://app.example/logo.png\""), std::string::npos);
  EXPECT_EQ(page.body.find("BOBSDEVICE"), std::string::npos);
  const auto policy = page.header("Content-Security-Policy");
  ASSERT_TRUE(policy.has_value());
  EXPECT_NE(policy->find("img-src 'self' https://app.example"), std::string::npos);
}

TEST_F(SessionPagesTest, ABrowserSessionPastItsAbsoluteLifetimeIsNotListed) {
  signIn();
  const http::Response first_list = pages_->showSessions(get("/account/sessions"));
  const std::size_t at = first_list.body.find("href=\"/account/sessions/");
  ASSERT_NE(at, std::string::npos);
  const std::string old_id = first_list.body.substr(at + 24, 26);
  clock_.advance(1h);
  jar_.clear();
  signIn();
  context_->settings.session_absolute_lifetime = std::chrono::minutes(30);

  const http::Response list = pages_->showSessions(get("/account/sessions"));
  const http::Response old_page = pages_->showSession(withId(get(sessionPath(old_id)), old_id));

  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(old_id), std::string::npos);
  EXPECT_NE(list.body.find("This browser"), std::string::npos);
  EXPECT_EQ(old_page.status, 404);
}

TEST_F(SessionPagesTest, OneSessionShowsItsDetailsAndAnotherUsersOrAnUnknownOneIsNotFound) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  const domain::OAuthSession bobs = addOAuthSession(bob_, "BOBSDEVICE");
  signIn();

  const http::Response mine =
      pages_->showSession(withId(get(sessionPath(app.id.str())), app.id.str()));
  const http::Response theirs =
      pages_->showSession(withId(get(sessionPath(bobs.id.str())), bobs.id.str()));
  const http::Response unknown = pages_->showSession(withId(get("/account/sessions/x"), "x"));

  EXPECT_EQ(mine.status, 200);
  EXPECT_NE(mine.body.find("PHONEDEVICE"), std::string::npos);
  EXPECT_NE(mine.body.find("Element/1.11 (Linux)"), std::string::npos);
  EXPECT_NE(mine.body.find("href=\"" + sessionEndPath(app.id.str()) + "\""), std::string::npos);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(theirs.body.find("BOBSDEVICE"), std::string::npos);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("Session not found"), std::string::npos);
}

TEST_F(SessionPagesTest, EndingASessionNeedsARecentAuthentication) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  signIn();
  clock_.advance(10min);

  const http::Response page =
      pages_->showEnd(withId(get(sessionEndPath(app.id.str())), app.id.str()));
  const http::Response post_without =
      pages_->submitEnd(withId(post(sessionEndPath(app.id.str()), {}), app.id.str()));

  EXPECT_EQ(page.status, 303);
  EXPECT_EQ(test::locationOf(page),
            "/account/reauth?next=%2Faccount%2Fsessions%2F" + app.id.str() + "%2Fend");
  EXPECT_EQ(post_without.status, 303);
  EXPECT_TRUE(oauthActive(app.id));
}

TEST_F(SessionPagesTest, EndingAnOAuthSessionRevokesItQueuesDeleteDeviceAndIsAudited) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  oauth::IntrospectionRecord record;
  record.session_id = app.id.str();
  record.expires_at = clock_.now() + 1h;
  sessions_cache_.insert("apptoken", record, clock_.now(), sessions_cache_.invalidations());
  signIn();

  const http::Response ended = endSession(app.id.str());

  EXPECT_EQ(ended.status, 303) << ended.body;
  EXPECT_EQ(test::locationOf(ended), "/account/sessions?done=ended");
  EXPECT_FALSE(oauthActive(app.id));
  EXPECT_EQ(sessions_cache_.find("apptoken", clock_.now()), nullptr);
  const std::vector<domain::Job> jobs = dueJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].kind, jobs::kDeleteDeviceJob);
  EXPECT_NE(jobs[0].payload.find("\"device_id\":\"PHONEDEVICE\""), std::string::npos);
  const std::vector<storage::AuditEvent> events = auditEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, kAuditSessionEnd);
  EXPECT_NE(events[0].details_json.find("\"kind\":\"oauth\""), std::string::npos);
  EXPECT_TRUE(isSignedIn()) << "ending another session keeps this browser signed in";
}

TEST_F(SessionPagesTest, EndingACompatSessionRevokesItAndQueuesDeleteDevice) {
  const domain::CompatSession legacy = addCompatSession(alice_, "LEGACYDEVICE");
  signIn();

  const http::Response ended = endSession(legacy.id.str());

  EXPECT_EQ(ended.status, 303) << ended.body;
  EXPECT_FALSE(compatActive(legacy.id));
  const std::vector<domain::Job> jobs = dueJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_NE(jobs[0].payload.find("\"device_id\":\"LEGACYDEVICE\""), std::string::npos);
}

TEST_F(SessionPagesTest, EndingThisBrowsersSessionSignsOut) {
  signIn();
  const std::string cookie_before = *cookie(test::kSessionCookie);
  const http::Response list = pages_->showSessions(get("/account/sessions"));
  const std::size_t at = list.body.find("href=\"/account/sessions/");
  ASSERT_NE(at, std::string::npos);
  const std::string id = list.body.substr(at + 24, 26);

  const http::Response ended = endSession(id);

  EXPECT_EQ(ended.status, 303);
  EXPECT_EQ(test::locationOf(ended), "/login");
  EXPECT_FALSE(isSignedIn());
  EXPECT_NE(cookie_before, "");
  EXPECT_TRUE(dueJobs().empty()) << "a browser session has no device";
}

TEST_F(SessionPagesTest, AnEndWithoutItsCsrfTokenOrWithAnotherSessionsTokenChangesNothing) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  const domain::CompatSession legacy = addCompatSession(alice_, "LEGACYDEVICE");
  signIn();
  const http::Response other_page =
      pages_->showEnd(withId(get(sessionEndPath(legacy.id.str())), legacy.id.str()));
  remember(other_page);

  const http::Response without =
      pages_->submitEnd(withId(post(sessionEndPath(app.id.str()), {}), app.id.str()));
  const http::Response foreign = pages_->submitEnd(
      withId(post(sessionEndPath(app.id.str()), {{"csrf", csrfOf(other_page)}}), app.id.str()));

  EXPECT_EQ(without.status, 403);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_TRUE(oauthActive(app.id));
  EXPECT_TRUE(compatActive(legacy.id));
  EXPECT_TRUE(dueJobs().empty());
}

TEST_F(SessionPagesTest, DeviceUrlsLeadToTheDevicesSessionAndAnUnknownDeviceIsAPage) {
  const domain::OAuthSession app = addOAuthSession(alice_, "PHONEDEVICE");
  addOAuthSession(bob_, "BOBSDEVICE");
  signIn();

  const http::Response view =
      pages_->showSessionByDevice(get("/account/sessions/device?device_id=PHONEDEVICE"));
  const http::Response end =
      pages_->showEndByDevice(get("/account/sessions/device/end?device_id=PHONEDEVICE"));
  const http::Response theirs =
      pages_->showSessionByDevice(get("/account/sessions/device?device_id=BOBSDEVICE"));
  const http::Response unknown =
      pages_->showEndByDevice(get("/account/sessions/device/end?device_id=NOSUCHDEVICE"));
  const http::Response missing = pages_->showSessionByDevice(get("/account/sessions/device"));

  EXPECT_EQ(test::locationOf(view), sessionPath(app.id.str()));
  EXPECT_EQ(test::locationOf(end), sessionEndPath(app.id.str()));
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("Session not found"), std::string::npos);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(oauthActive(app.id));
}

TEST_F(SessionPagesTest, EveryDeepLinkOfTheProfileAndSessionsLandsOnItsPage) {
  signIn();
  const std::vector<std::pair<std::string, std::string>> links = {
      {"org.matrix.profile", "/account/profile"},
      {"org.matrix.devices_list", "/account/sessions"},
      {"org.matrix.sessions_list", "/account/sessions"},
      {"org.matrix.device_view&device_id=DEV1", "/account/sessions/device?device_id=DEV1"},
      {"org.matrix.session_view&device_id=DEV1", "/account/sessions/device?device_id=DEV1"},
      {"org.matrix.device_delete&device_id=DEV1", "/account/sessions/device/end?device_id=DEV1"},
      {"org.matrix.session_end&device_id=DEV1", "/account/sessions/device/end?device_id=DEV1"},
      {"org.matrix.device_view", "/account/sessions"},
      {"org.matrix.device_delete", "/account/sessions"},
  };
  for (const auto& [action, target] : links) {
    const http::Response response = account_->showAccount(get("/account/?action=" + action));

    EXPECT_EQ(response.status, 303) << action;
    EXPECT_EQ(test::locationOf(response), target) << action;
  }
}

TEST_F(SessionPagesTest, ALoginHintPreFillsTheLoginOrSaysWhenAnotherUserIsSignedIn) {
  const std::string link =
      "/account/?action=org.matrix.devices_list&login_hint=mxid%3A%40alice%3Aexample.com";

  const http::Response signed_out = account_->showAccount(get(link));

  EXPECT_EQ(test::locationOf(signed_out), "/login?next=%2Faccount%2Fsessions&username=alice");
  signIn();
  EXPECT_EQ(test::locationOf(account_->showAccount(get(link))), "/account/sessions");
  const http::Response for_bob = account_->showAccount(
      get("/account/?action=org.matrix.devices_list&login_hint=mxid%3A%40bob%3Aexample.com"));
  EXPECT_EQ(for_bob.status, 200);
  EXPECT_NE(for_bob.body.find("This link is for another account"), std::string::npos);
  EXPECT_NE(for_bob.body.find("@bob:example.com"), std::string::npos);
  EXPECT_NE(for_bob.body.find("href=\"/account/sessions\""), std::string::npos);
  const http::Response foreign_server = account_->showAccount(
      get("/account/?action=org.matrix.devices_list&login_hint=mxid%3A%40bob%3Aelsewhere.org"));
  EXPECT_EQ(test::locationOf(foreign_server), "/account/sessions");
}

std::string english(const templates::Text& text) {
  auto catalogue = i18n::Catalogue::load();
  return catalogue ? catalogue->translate("en", text) : std::string();
}

TEST(BrowserNames, NameTheBrowserAndTheSystem) {
  EXPECT_EQ(english(browserName(
                "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0")),
            "Firefox on Linux");
  EXPECT_EQ(
      english(browserName("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                          "like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0")),
      "Edge on Windows");
  EXPECT_EQ(
      english(browserName("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) "
                          "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 "
                          "Safari/604.1")),
      "Safari on iOS");
  EXPECT_EQ(english(browserName("")), "Web browser");
  EXPECT_EQ(english(browserName("Mozilla/5.0 (X11; Linux x86_64) Unknown/1")),
            "Web browser on Linux");
}

}  // namespace
}  // namespace mxauth::web
