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
  failed.error = "Wrong username or password";
  failed.notice = "Sign in again to continue";

  LoginPage hostile;
  hostile.csrf_token = "t";
  hostile.username = "\"><script>alert(1)</script>";
  hostile.username_error = "<b>not bold</b>";
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
  invalid.username_error = "Only a-z, 0-9 and . _ = - / + are allowed";
  invalid.email_error = "This is not a valid e-mail address";
  invalid.password_error = "Use at least 8 characters";
  invalid.password_confirm_error = "The passwords do not match";
  invalid.error = "Please correct the errors below";

  RegisterPage gated = invalid;
  gated.token_required = true;
  gated.registration_token = "<b>token</b>";
  gated.registration_token_error = "This registration token cannot be used";
  gated.tos_uri = "https://example.com/tos?a=1&b=\"2\"";
  gated.accept_terms_error = "Accept the terms of service to continue";
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
  wrong.code_error = "Wrong code";
  wrong.notice = "We sent a new code.";
  RegisterVerifyPage hostile = page;
  hostile.address = "\"><script>alert(1)</script>@example.com";
  hostile.error = "<b>not bold</b>";
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
  full.scopes = {{"Full access to your Matrix account", false},
                 {"A new device with ID ABCDEFGHIJ", false},
                 {"Administer the server", true}};
  full.admin_warning = true;

  ConsentPage bare;
  bare.csrf_token = "t";
  bare.action = "/authorize/continue?id=01J0000000000000000000000";
  bare.user_id = "@bob:example.com";
  bare.client.name = kHostileName;
  bare.client.client_uri = "https://evil.example/\"onmouseover=\"alert(1)";
  bare.client.host = "evil.example";
  bare.scopes = {{"Full access to your Matrix account", false}};
  bare.error = "The form expired; please try again";
  return {full, bare};
}

std::vector<ErrorPage> ErrorPage::samples() {
  ErrorPage plain;
  plain.message = "The application sent an invalid request: unknown client_id.";
  ErrorPage detailed;
  detailed.title = "Not found";
  detailed.message = "There is no page here.";
  detailed.detail = std::string("Request ") + kHostileName;
  detailed.back_href = "/";
  detailed.back_label = "Home";
  ErrorPage interstitial;
  interstitial.title = "This request can't continue";
  interstitial.message = std::string(kHostileName) + " sent a request this server can't accept.";
  interstitial.detail = "The scope is not supported.";
  interstitial.action_href = "https://client.example/cb?error=invalid_scope&state=%22%3E";
  interstitial.action_label = "Return to client.example";
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
  app.error = "This form has expired or was not sent from this site. Please try again.";
  return {web, app};
}

std::vector<DeviceLinkPage> DeviceLinkPage::samples() {
  DeviceLinkPage empty;
  empty.csrf_token = "sample-csrf-token";
  DeviceLinkPage wrong = empty;
  wrong.code = "BCDF-GHJ\"><b>";
  wrong.code_error = "That code is not valid or has expired. Check the code on your device.";
  DeviceLinkPage limited = empty;
  limited.error = "Too many wrong codes. Wait 6 seconds and try again.";
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
  page.scopes = {{"Access your Matrix account", false}, {"See your user ID", false}};
  DeviceConsentPage hostile = page;
  hostile.client.name = kHostileName;
  hostile.client.logo_uri = "https://client.example/logo.png?\"><script>";
  hostile.device_id = std::nullopt;
  hostile.scopes.push_back({"Administer the server", true});
  hostile.admin_warning = true;
  hostile.error = "This form has expired or was not sent from this site. Please try again.";
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
  failed.error = "The form expired; please try again";
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
  returning.return_label = "Return to client.example";
  return {plain, returning};
}

std::vector<SignedInPage> SignedInPage::samples() {
  SignedInPage page;
  page.csrf_token = "sample-csrf-token";
  page.user_id = "@alice:example.com";
  SignedInPage full = page;
  full.notice = "Your password has been changed.";
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
  password.lead = "Enter your password to continue.";
  FormField password_field;
  password_field.name = "password";
  password_field.label = "Password";
  password.fields = {password_field};

  ReauthPage failed = password;
  failed.step = 1;
  failed.steps = 2;
  failed.fields.front().error = "Wrong password";
  failed.error = "Too many attempts. Please wait 30 seconds and try again.";

  ReauthPage hostile = password;
  hostile.next = "/account/?x=\"><script>alert(1)</script>";
  hostile.fields = {FormField{"code", "<b>Code</b>", "text", "one-time-code",
                              std::string("Sent to <alice@example.org>"), std::nullopt, true}};
  return {password, failed, hostile};
}

std::vector<PasswordChangePage> PasswordChangePage::samples() {
  PasswordChangePage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.user_id = "@alice:example.com";

  PasswordChangePage invalid = empty;
  invalid.end_sessions = false;
  invalid.error = "Please correct the errors below";
  invalid.current_password_error = "Wrong password";
  invalid.new_password_error = "Use at least 8 characters";
  invalid.new_password_confirm_error = "The passwords do not match";
  return {empty, invalid};
}

std::vector<DeactivatePage> DeactivatePage::samples() {
  DeactivatePage page;
  page.csrf_token = "sample-csrf-token";
  page.user_id = "@alice:example.com";
  DeactivatePage erase = page;
  erase.erase = true;
  erase.error = "This form has expired or was not sent from this site. Please try again.";
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
  failed.error = "The homeserver could not be reached. Please try again in a moment.";
  return {ask, approved, failed};
}

std::vector<ProfilePage> ProfilePage::samples() {
  ProfilePage empty;
  empty.csrf_token = "sample-csrf-token";
  empty.user_id = "@alice:example.com";
  ProfilePage saved = empty;
  saved.display_name = "Alice";
  saved.notice = "Your profile has been saved.";
  ProfilePage invalid = empty;
  invalid.display_name = kHostileName;
  invalid.display_name_error = "Use at most 256 characters";
  invalid.error = "This form has expired or was not sent from this site. Please try again.";
  return {empty, saved, invalid};
}

namespace {

std::vector<SessionSummary> sampleSessions() {
  SessionSummary browser;
  browser.kind = "Browser";
  browser.name = "Firefox on Linux";
  browser.created_at = "2026-11-28 09:12 UTC";
  browser.last_active_ip = "192.0.2.10";
  browser.user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0";
  browser.is_current = true;
  browser.href = "/account/sessions/01J0000000000000000000000B";
  SessionSummary app;
  app.kind = "App";
  app.name = "Element";
  app.logo_uri = "https://element.example/logo.png";
  app.device_id = "ABCDEFGHIJ";
  app.created_at = "2026-11-27 18:40 UTC";
  app.last_active_at = "2026-11-28 14:32 UTC";
  app.last_active_ip = "2001:db8::1";
  app.href = "/account/sessions/01J0000000000000000000000A";
  SessionSummary legacy;
  legacy.kind = "Legacy app";
  legacy.name = kHostileName;
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
  ended.notice = "The session has been ended.";
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
  pages.back().error = "This form has expired or was not sent from this site. Please try again.";
  return pages;
}

std::vector<NoticePage> NoticePage::samples() {
  NoticePage page;
  page.title = "Account deactivated";
  page.message = "Your account @alice:example.com has been deactivated.";
  NoticePage linked = page;
  linked.link_href = "/login";
  linked.link_label = "Sign in";
  return {page, linked};
}

std::vector<FormPostPage> FormPostPage::samples() {
  FormPostPage page;
  page.action = "https://client.example/callback?x=1&y=2";
  page.fields = {
      {"code", "abc"}, {"state", "\"><script>alert(1)</script>"}, {"iss", "https://auth.example/"}};
  FormPostPage interstitial = page;
  interstitial.title = "This request can't continue";
  interstitial.alert =
      std::string("The application sent a request this server can't accept: ") + kHostileName;
  interstitial.button_label = "Return to client.example";
  interstitial.auto_submit = false;
  return {page, interstitial};
}

}  // namespace mxauth::templates
