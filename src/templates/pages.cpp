#include "templates/pages.h"

namespace mxauth::templates {
namespace {

// A client that tries every trick a registration allows: markup in its
// name, quotes in its URIs.
constexpr const char* kHostileName = "<script>alert(\"x\")</script> & \"Friends\"";

}  // namespace

std::vector<LoginPage> LoginPage::samples() {
  LoginPage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.register_href = "/register";
  empty.recover_href = "/recover";

  LoginPage failed = empty;
  failed.next = "/authorize/continue?id=01J0000000000000000000000";
  failed.username = "alice";
  failed.error = Text("login.wrong_credentials");
  failed.notice = Text("login.reauth_notice");

  LoginPage hostile;
  hostile.csrf_token = "t";
  hostile.username = "\"><script>alert(1)</script>";
  hostile.username_error = Text::verbatim("<b>not bold</b>");
  return {empty, failed, hostile};
}

std::vector<RegisterPage> RegisterPage::samples() {
  RegisterPage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.homeserver = "example.com";

  RegisterPage invalid = empty;
  invalid.next = "/authorize/continue?id=01J0000000000000000000000";
  invalid.username = "Alice!";
  invalid.email = "alice@example";
  invalid.username_error = Text("register.username_invalid_character");
  invalid.email_error = Text("register.email_invalid");
  invalid.password_error = Text("password.too_short", {{"count", "8"}});
  invalid.password_confirm_error = Text("form.passwords_mismatch");
  invalid.error = Text("form.expired");

  RegisterPage gated = invalid;
  gated.token_required = true;
  gated.registration_token = "<b>token</b>";
  gated.registration_token_error = Text("register.token_unusable");
  gated.tos_uri = "https://example.com/tos?a=1&b=\"2\"";
  gated.accept_terms_error = Text("register.accept_terms_required");
  RegisterPage accepted = empty;
  accepted.token_required = true;
  accepted.tos_uri = "https://example.com/tos";
  accepted.accept_terms = true;
  RegisterPage verified = invalid;
  verified.email_required = true;
  return {empty, invalid, gated, accepted, verified};
}

std::vector<RegisterVerifyPage> RegisterVerifyPage::samples() {
  RegisterVerifyPage page;
  page.csrf_token = "sample-csrf-token";
  page.resend_csrf_token = "sample-resend-token";
  page.address = "alice@example.com";
  page.restart_href = "/register?next=%2Faccount%2F";
  RegisterVerifyPage wrong = page;
  wrong.code_error = Text("register_verify.wrong_code", {{"count", "3"}});
  wrong.notice = Text("emails.code_resent");
  RegisterVerifyPage hostile = page;
  hostile.address = "\"><script>alert(1)</script>@example.com";
  hostile.error = Text::verbatim("<b>not bold</b>");
  return {page, wrong, hostile};
}

std::vector<ConsentPage> ConsentPage::samples() {
  ConsentPage full;
  full.csrf_token = "sample-csrf-token";
  full.action = "/authorize/continue?id=01J0000000000000000000000";
  full.user_id = "@alice:example.com";
  full.client.name = "Element";
  full.client.logo_uri = "https://element.example/logo.png";
  full.client.client_uri = "https://element.example/";
  full.client.host = "element.example";
  full.client.policy_uri = "https://element.example/privacy";
  full.client.tos_uri = "https://element.example/terms";
  full.scopes = {{Text("scope.matrix_api"), false},
                 {Text("scope.matrix_device", {{"device_id", "ABCDEFGHIJ"}}), false},
                 {Text("scope.synapse_admin"), true}};
  full.admin_warning = true;

  ConsentPage bare;
  bare.csrf_token = "t";
  bare.action = "/authorize/continue?id=01J0000000000000000000000";
  bare.user_id = "@bob:example.com";
  bare.client.name = kHostileName;
  bare.client.client_uri = "https://evil.example/\"onmouseover=\"alert(1)";
  bare.client.host = "evil.example";
  bare.scopes = {{Text("scope.matrix_api"), false}};
  bare.error = Text("form.expired");
  return {full, bare};
}

std::vector<ErrorPage> ErrorPage::samples() {
  ErrorPage plain;
  plain.message = Text("authorize.invalid").with("problem", Text("authorize.no_client_id"));
  ErrorPage detailed;
  detailed.title = Text("routes.not_found_title");
  detailed.message = Text("routes.not_found");
  detailed.detail = Text::verbatim(std::string("Request ") + kHostileName);
  detailed.back_href = "/";
  detailed.back_label = Text("signed_in.title");
  ErrorPage interstitial;
  interstitial.title = Text("authorization.refused_title");
  interstitial.message = Text("authorization.refused", {{"client_name", kHostileName}});
  interstitial.detail = Text::verbatim("The scope is not supported.");
  interstitial.action_href = "https://client.example/cb?error=invalid_scope&state=%22%3E";
  interstitial.action_label = Text("common.return_to", {{"destination", "client.example"}});
  return {plain, detailed, interstitial};
}

std::vector<SsoConfirmPage> SsoConfirmPage::samples() {
  SsoConfirmPage web;
  web.csrf_token = "sample-csrf-token";
  web.action = "/complete-compat-sso/01ARZ3NDEKTSV4RRFFQ69G5FAV";
  web.user_id = "@alice:example.com";
  web.destination = "app.element.io";
  web.redirect_url = "https://app.element.io/#/login";
  SsoConfirmPage app = web;
  app.destination = "im.fluffychat";
  app.destination_is_web = false;
  app.redirect_url = "im.fluffychat://login?x=%22%3E";
  app.error = Text("form.expired");
  return {web, app};
}

std::vector<DeviceLinkPage> DeviceLinkPage::samples() {
  DeviceLinkPage empty;
  empty.csrf_token = "sample-csrf-token";
  DeviceLinkPage wrong = empty;
  wrong.code = "BCDF-GHJ\"><b>";
  wrong.code_error = Text("device_link.code_invalid");
  DeviceLinkPage limited = empty;
  limited.error = Text("device_link.too_many").with("wait", Text("wait.seconds", {{"count", "6"}}));
  return {empty, wrong, limited};
}

std::vector<DeviceConsentPage> DeviceConsentPage::samples() {
  DeviceConsentPage page;
  page.csrf_token = "sample-csrf-token";
  page.action = "/device/01ARZ3NDEKTSV4RRFFQ69G5FAV";
  page.user_id = "@alice:example.com";
  page.client.name = "Element X";
  page.client.host = "element.io";
  page.client.client_uri = "https://element.io/";
  page.device_id = "QRLOGIN4242";
  page.user_code = "BCDF-GHJK";
  page.scopes = {{Text("scope.matrix_api"), false}, {Text("scope.openid"), false}};
  DeviceConsentPage hostile = page;
  hostile.client.name = kHostileName;
  hostile.client.logo_uri = "https://client.example/logo.png?\"><script>";
  hostile.device_id = std::nullopt;
  hostile.scopes.push_back({Text("scope.synapse_admin"), true});
  hostile.admin_warning = true;
  hostile.error = Text("form.expired");
  return {page, hostile};
}

std::vector<DeviceDonePage> DeviceDonePage::samples() {
  DeviceDonePage approved;
  approved.client_name = "Element X";
  DeviceDonePage denied;
  denied.approved = false;
  denied.client_name = kHostileName;
  return {approved, denied};
}

std::vector<LogoutPage> LogoutPage::samples() {
  LogoutPage signed_in;
  signed_in.csrf_token = "sample-csrf-token";
  signed_in.user_id = "@alice:example.com";
  LogoutPage failed;
  failed.csrf_token = "t";
  failed.error = Text("form.expired");
  LogoutPage requested = signed_in;
  requested.from_application = true;
  requested.client_name = kHostileName;
  requested.client_host = "client.example";
  requested.return_to = "https://client.example/logged-out?x=\"><b>";
  requested.fields = {{"end_session", "1"},
                      {"client_id", "01J0000000000000000000000"},
                      {"post_logout_redirect_uri", "https://client.example/logged-out"},
                      {"state", "\"><script>alert(1)</script>"}};
  LogoutPage anonymous_request = signed_in;
  anonymous_request.from_application = true;
  anonymous_request.fields = {{"end_session", "1"}};
  return {signed_in, failed, requested, anonymous_request};
}

std::vector<SignedOutPage> SignedOutPage::samples() {
  SignedOutPage plain;
  SignedOutPage returning;
  returning.return_href = "https://client.example/logged-out?state=%22%3E";
  returning.return_label = Text("common.return_to", {{"destination", "client.example"}});
  return {plain, returning};
}

std::vector<SignedInPage> SignedInPage::samples() {
  SignedInPage page;
  page.csrf_token = "sample-csrf-token";
  page.user_id = "@alice:example.com";
  SignedInPage full = page;
  full.notice = Text("account.password_changed");
  full.profile_href = "/account/profile";
  full.sessions_href = "/account/sessions";
  full.password_change_href = "/account/password";
  full.emails_href = "/account/emails";
  full.cross_signing_reset_href = "/account/cross-signing-reset";
  full.deactivate_href = "/account/deactivate";
  return {page, full};
}

std::vector<ReauthPage> ReauthPage::samples() {
  ReauthPage password;
  password.csrf_token = "sample-csrf-token";
  password.user_id = "@alice:example.com";
  password.next = "/account/password";
  password.lead = Text("reauth.password_lead");
  FormField password_field;
  password_field.name = "password";
  password_field.label = Text("field.password");
  password.fields = {password_field};

  ReauthPage failed = password;
  failed.step = 1;
  failed.steps = 2;
  failed.fields.front().error = Text("reauth.wrong_password");
  failed.error =
      Text("form.too_many_attempts").with("wait", Text("wait.seconds", {{"count", "30"}}));

  ReauthPage hostile = password;
  hostile.next = "/account/?x=\"><script>alert(1)</script>";
  hostile.fields = {FormField{"code", Text::verbatim("<b>Code</b>"), "text", "one-time-code",
                              Text::verbatim("Sent to <alice@example.org>"), std::nullopt, true}};
  return {password, failed, hostile};
}

std::vector<PasswordChangePage> PasswordChangePage::samples() {
  PasswordChangePage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.user_id = "@alice:example.com";

  PasswordChangePage invalid = empty;
  invalid.end_sessions = false;
  invalid.error = Text("form.passwords_mismatch");
  invalid.current_password_error = Text("reauth.wrong_password");
  invalid.new_password_error = Text("password.too_short", {{"count", "8"}});
  invalid.new_password_confirm_error = Text("form.passwords_mismatch");
  return {empty, invalid};
}

std::vector<DeactivatePage> DeactivatePage::samples() {
  DeactivatePage page;
  page.csrf_token = "sample-csrf-token";
  page.user_id = "@alice:example.com";
  DeactivatePage erase = page;
  erase.erase = true;
  erase.error = Text("form.expired");
  return {page, erase};
}

std::vector<CrossSigningResetPage> CrossSigningResetPage::samples() {
  CrossSigningResetPage ask;
  ask.csrf_token = "sample-csrf-token";
  ask.user_id = "@alice:example.com";
  CrossSigningResetPage approved = ask;
  approved.approved = true;
  approved.approved_until = "14:32 UTC";
  CrossSigningResetPage failed = ask;
  failed.error = Text("error.homeserver_unreachable");
  return {ask, approved, failed};
}

std::vector<ProfilePage> ProfilePage::samples() {
  ProfilePage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.user_id = "@alice:example.com";
  ProfilePage saved = empty;
  saved.display_name = "Alice";
  saved.notice = Text("profile.saved");
  ProfilePage invalid = empty;
  invalid.display_name = kHostileName;
  invalid.display_name_error = Text("profile.name_too_long", {{"count", "256"}});
  invalid.error = Text("form.expired");
  return {empty, saved, invalid};
}

namespace {

std::vector<SessionSummary> sampleSessions() {
  SessionSummary browser;
  browser.kind = Text("sessions.kind_browser");
  browser.name = Text("sessions.browser_on", {{"browser", "Firefox"}, {"system", "Linux"}});
  browser.created_at = "2026-11-28 09:12 UTC";
  browser.last_active_ip = "192.0.2.10";
  browser.user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
  browser.is_current = true;
  browser.href = "/account/sessions/01J0000000000000000000000B";
  SessionSummary app;
  app.kind = Text("sessions.kind_app");
  app.name = Text::verbatim("Element");
  app.logo_uri = "https://element.example/logo.png";
  app.device_id = "ABCDEFGHIJ";
  app.created_at = "2026-11-27 18:40 UTC";
  app.last_active_at = "2026-11-28 14:32 UTC";
  app.last_active_ip = "2001:db8::1";
  app.href = "/account/sessions/01J0000000000000000000000A";
  SessionSummary legacy;
  legacy.kind = Text("sessions.kind_legacy");
  legacy.name = Text::verbatim(kHostileName);
  legacy.device_id = "\"><script>alert(1)</script>";
  legacy.created_at = "2026-11-01 08:00 UTC";
  legacy.user_agent = "<b>agent</b>";
  legacy.href = "/account/sessions/01J0000000000000000000000C";
  return {browser, app, legacy};
}

}  // namespace

std::vector<SessionsPage> SessionsPage::samples() {
  SessionsPage page;
  page.user_id = "@alice:example.com";
  page.sessions = sampleSessions();
  SessionsPage ended = page;
  ended.notice = Text("sessions.ended");
  SessionsPage empty;
  empty.user_id = "@alice:example.com";
  return {page, ended, empty};
}

std::vector<SessionPage> SessionPage::samples() {
  std::vector<SessionPage> pages;
  for (const SessionSummary& session : sampleSessions()) {
    SessionPage page;
    page.user_id = "@alice:example.com";
    page.session = session;
    page.end_href = session.href + "/end";
    pages.push_back(page);
  }
  return pages;
}

std::vector<SessionEndPage> SessionEndPage::samples() {
  std::vector<SessionEndPage> pages;
  for (const SessionSummary& session : sampleSessions()) {
    SessionEndPage page;
    page.csrf_token = "sample-csrf-token";
    page.user_id = "@alice:example.com";
    page.session = session;
    page.action = session.href + "/end";
    page.cancel_href = session.href;
    pages.push_back(page);
  }
  pages.back().error = Text("form.expired");
  return pages;
}

std::vector<NoticePage> NoticePage::samples() {
  NoticePage page;
  page.title = Text("deactivate.done_title");
  page.message = Text("deactivate.done", {{"user_id", "@alice:example.com"}});
  NoticePage linked = page;
  linked.link_href = "/login";
  linked.link_label = Text("login.title");
  return {page, linked};
}

std::vector<FormPostPage> FormPostPage::samples() {
  FormPostPage page;
  page.action = "https://client.example/callback?x=1&y=2";
  page.fields = {
      {"code", "abc"}, {"state", "\"><script>alert(1)</script>"}, {"iss", "https://auth.example/"}};
  FormPostPage interstitial = page;
  interstitial.title = Text("authorization.refused_title");
  interstitial.alert = Text("authorization.refused", {{"client_name", kHostileName}});
  interstitial.lead = Text::verbatim("The scope is not supported.");
  interstitial.button_label = Text("common.return_to", {{"destination", "client.example"}});
  interstitial.auto_submit = false;
  return {page, interstitial};
}

}  // namespace mxauth::templates
