#include "web/device_link.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/rate_limiter.h"
#include "crypto/token.h"
#include "web/web_test_support.h"

// The browser half of the device authorization grant: /link, the login
// detour, the consent page and its decision (web/device_link.h).
namespace mxauth::web {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kDeviceScope =
    "openid urn:matrix:client:api:* urn:matrix:client:device:QRLOGIN4242";

class DeviceLinkTest : public test::WebTest {
 protected:
  DeviceLinkTest() : pages_(*kit_) {}

  domain::DeviceCodeGrant addDeviceGrant(const std::string& user_code,
                                         std::string_view scope = kDeviceScope) {
    test::ClientOptions options;
    options.name = "Element X";
    const oauth::RegisteredClient client = addClient(options);
    storage::NewDeviceCodeGrant grant;
    grant.client_id = client.id();
    grant.scope = std::string(scope);
    grant.device_code_hash = crypto::tokenHashHex(user_code);
    grant.user_code = user_code;
    grant.expires_at = clock_.now() + 1200s;
    auto tx = database_->begin();
    auto added = (*tx)->deviceCodeGrants().add(rng_, clock_, grant);
    EXPECT_TRUE(added.has_value());
    EXPECT_TRUE((*tx)->commit().has_value());
    return added.value_or(domain::DeviceCodeGrant{});
  }

  domain::DeviceCodeGrant stored(const domain::DeviceCodeGrantId& id) {
    auto tx = database_->begin(storage::TransactionMode::ReadOnly);
    auto found = (*tx)->deviceCodeGrants().lookup(id);
    EXPECT_TRUE(found && *found);
    return found && *found ? **found : domain::DeviceCodeGrant{};
  }

  http::Response linkPage(const std::string& target = "/link") {
    http::Response response = pages_.showLink(get(target));
    remember(response);
    return response;
  }

  http::Response submitCode(const std::string& code) {
    const http::Response page = linkPage();
    http::Request request = post("/link", {{"csrf", csrfOf(page)}, {"code", code}});
    http::Response response = pages_.submitLink(request);
    remember(response);
    return response;
  }

  http::Response consentPage(const std::string& path,
                             const std::optional<test::Form>& form = std::nullopt) {
    http::Request request = form ? post(path, *form) : get(path);
    request.path_params = {{"id", path.substr(path.rfind('/') + 1)}};
    http::Response response = form ? pages_.submitConsent(request) : pages_.showConsent(request);
    remember(response);
    return response;
  }

  DeviceLinkPages pages_;
};

TEST_F(DeviceLinkTest, TheLinkPageHasTheCodeFormPrefilledFromTheCompleteUri) {
  http::Response empty = linkPage();
  http::Response prefilled = linkPage("/link?code=bcdfghjk");
  http::Response hostile = linkPage("/link?code=%22%3E%3Cscript%3E");

  EXPECT_EQ(empty.status, 200);
  EXPECT_NE(empty.body.find("<form id=\"link\" method=\"post\" action=\"/link\">"),
            std::string::npos);
  EXPECT_NE(empty.body.find("name=\"code\""), std::string::npos);
  EXPECT_NE(prefilled.body.find("value=\"BCDF-GHJK\""), std::string::npos);
  EXPECT_EQ(hostile.body.find("<script>"), std::string::npos);
}

TEST_F(DeviceLinkTest, ARightCodeInAnyCaseLeadsToItsConsentPage) {
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");

  http::Response found = submitCode(" bcdf-ghjk ");

  ASSERT_EQ(found.status, 303);
  EXPECT_EQ(test::locationOf(found), "/device/" + grant.id.str());
}

TEST_F(DeviceLinkTest, WrongExpiredOrAnsweredCodesComeBackOnTheForm) {
  const domain::DeviceCodeGrant expiring = addDeviceGrant("BCDFGHJK");
  const domain::DeviceCodeGrant denied = addDeviceGrant("LMNPQRST");
  {
    auto tx = database_->begin();
    ASSERT_TRUE((*tx)->deviceCodeGrants().deny(clock_, denied.id).value_or(false));
    ASSERT_TRUE((*tx)->commit().has_value());
  }
  clock_.advance(1200s);

  for (const std::string code : {"BCDFGHJK", "LMNPQRST", "VWXZVWXZ", "AEIOU123", ""}) {
    http::Response refused = submitCode(code);
    EXPECT_EQ(refused.status, 400) << code;
    EXPECT_NE(refused.body.find("aria-invalid=\"true\""), std::string::npos) << code;
  }
  (void)expiring;
}

TEST_F(DeviceLinkTest, TheCodeFormNeedsItsCsrfToken) {
  addDeviceGrant("BCDFGHJK");
  linkPage();

  http::Response forged = pages_.submitLink(post("/link", {{"csrf", "x"}, {"code", "BCDFGHJK"}}));

  EXPECT_EQ(forged.status, 403);
}

TEST_F(DeviceLinkTest, WrongCodesAreLimitedPerAddressWhileRightOnesCostNothing) {
  core::RateLimiter limiter(clock_, {.limit = {3, 10s}});
  int refusals = 0;
  context_->device_link_limiter = &limiter;
  context_->on_device_link_limited = [&refusals] { ++refusals; };
  addDeviceGrant("BCDFGHJK");

  for (int i = 0; i < 5; ++i) EXPECT_EQ(submitCode("BCDFGHJK").status, 303) << i;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(submitCode("VWXZVWXZ").status, 400) << i;
  http::Response limited = submitCode("VWXZVWXZ");
  // Over the limit nothing is looked up: a right code waits too.
  http::Response right_but_limited = submitCode("BCDFGHJK");

  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "10");
  EXPECT_NE(limited.body.find("Too many wrong codes. Please wait 10 seconds"), std::string::npos);
  EXPECT_EQ(right_but_limited.status, 429);
  EXPECT_EQ(refusals, 2);
  clock_.advance(10s);
  EXPECT_EQ(submitCode("BCDFGHJK").status, 303);
}

TEST_F(DeviceLinkTest, TheConsentPageSendsABrowserWithoutSessionToLogInFirst) {
  addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");
  const std::string here = "/device/" + grant.id.str();

  http::Response detour = consentPage(here);
  ASSERT_EQ(detour.status, 303);
  EXPECT_EQ(test::locationOf(detour), "/login?next=%2Fdevice%2F" + grant.id.str());
  EXPECT_EQ(test::locationOf(logIn("alice", "correct horse", here)), here);
  EXPECT_EQ(consentPage(here).status, 200);
}

TEST_F(DeviceLinkTest, ApprovingWarnsNamesTheDeviceAndRecordsTheUserOnce) {
  const domain::User alice = addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");
  const std::string here = "/device/" + grant.id.str();
  logIn("alice", "correct horse");

  http::Response page = consentPage(here);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<form id=\"consent\""), std::string::npos);
  EXPECT_NE(page.body.find("A device is asking to sign in to your account"), std::string::npos);
  EXPECT_NE(page.body.find("Element X"), std::string::npos);
  EXPECT_NE(page.body.find("QRLOGIN4242"), std::string::npos);
  EXPECT_NE(page.body.find("BCDF-GHJK"), std::string::npos);
  EXPECT_NE(page.body.find("@alice:"), std::string::npos);
  EXPECT_FALSE(stored(grant.id).approved_at.has_value());

  clock_.advance(30s);
  http::Response done = consentPage(here, test::Form{{"csrf", csrfOf(page)}, {"action", "allow"}});
  ASSERT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("Element X is now signed in"), std::string::npos);
  const domain::DeviceCodeGrant approved = stored(grant.id);
  EXPECT_EQ(approved.approved_at, clock_.now());
  EXPECT_EQ(approved.user_id, alice.id);
  EXPECT_TRUE(approved.browser_session_id.has_value());

  // A second answer finds the request already decided.
  EXPECT_EQ(consentPage(here, test::Form{{"csrf", csrfOf(page)}, {"action", "deny"}}).status, 400);
  EXPECT_FALSE(stored(grant.id).denied_at.has_value());
}

TEST_F(DeviceLinkTest, DenyingRecordsTheRefusal) {
  addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");
  const std::string here = "/device/" + grant.id.str();
  logIn("alice", "correct horse");
  http::Response page = consentPage(here);

  http::Response done = consentPage(here, test::Form{{"csrf", csrfOf(page)}, {"action", "deny"}});

  EXPECT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("The device was not signed in"), std::string::npos);
  EXPECT_TRUE(stored(grant.id).denied_at.has_value());
  EXPECT_FALSE(stored(grant.id).approved_at.has_value());
}

TEST_F(DeviceLinkTest, TheDecisionNeedsTheCsrfTokenOfThisRequest) {
  addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");
  const domain::DeviceCodeGrant other = addDeviceGrant("LMNPQRST");
  logIn("alice", "correct horse");
  http::Response other_page = consentPage("/device/" + other.id.str());
  consentPage("/device/" + grant.id.str());

  http::Response forged = consentPage(
      "/device/" + grant.id.str(), test::Form{{"csrf", csrfOf(other_page)}, {"action", "allow"}});

  EXPECT_EQ(forged.status, 403);
  EXPECT_FALSE(stored(grant.id).approved_at.has_value());
}

TEST_F(DeviceLinkTest, TheAdminScopeIsDeniedForAUserWhoIsNotAnAdmin) {
  addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant =
      addDeviceGrant("BCDFGHJK", "urn:matrix:client:api:* urn:synapse:admin:*");
  logIn("alice", "correct horse");

  http::Response refused = consentPage("/device/" + grant.id.str());

  EXPECT_EQ(refused.status, 403);
  EXPECT_TRUE(stored(grant.id).denied_at.has_value());
}

TEST_F(DeviceLinkTest, AnExpiredRequestOrUnknownIdIsAPage) {
  addUser("alice", "correct horse");
  const domain::DeviceCodeGrant grant = addDeviceGrant("BCDFGHJK");
  logIn("alice", "correct horse");
  clock_.advance(1200s);

  EXPECT_EQ(consentPage("/device/" + grant.id.str()).status, 400);
  EXPECT_EQ(consentPage("/device/not-an-id").status, 400);
  EXPECT_EQ(consentPage("/device/01ARZ3NDEKTSV4RRFFQ69G5FAV").status, 400);
}

}  // namespace
}  // namespace mxauth::web
