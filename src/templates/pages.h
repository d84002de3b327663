#pragma once

// One typed context per page (style §6.14). Handlers fill these; the
// Templates object turns them into HTML. Every string is text, never markup:
// the templates escape all of it, so a client name or a login hint holding
// "<script>" comes out as harmless text. Empty optionals and empty strings
// leave their part of the page out.
//
// Each page has samples() covering its variants, rendered by
// checkAllTemplates() and the tests.

#include <optional>
#include <string>
#include <vector>

#include "i18n/message.h"

namespace mxauth::templates {

// A message of the catalogue (resources/i18n/) with its arguments, written
// in the page's language when the page is rendered; Text::verbatim() for
// data shown where a message may stand (a session's name).
using Text = i18n::Message;

// What every page shares: the service name from branding.service_name and
// the language of the page (the lang attribute).
struct Layout {
  std::string service_name = "mxauth";
  std::string lang = "en";
};

// form#login (interface.md §5): username (localpart, Matrix ID or e-mail)
// and password.
struct LoginPage {
  Layout layout;
  std::string csrf_token;
  // Where to continue after signing in: a local path checked by the handler.
  std::optional<std::string> next;
  std::string username;  // pre-filled (login_hint, or the last attempt)
  // A line under the title, such as "Sign in again to continue".
  std::optional<Text> notice;
  std::optional<Text> error;           // shown above the form
  std::optional<Text> username_error;  // shown next to the field
  std::optional<Text> password_error;
  // Link to the registration page, when registration is enabled.
  std::optional<std::string> register_href;
  // "Forgot password?" (/recover), when password recovery is available.
  std::optional<std::string> recover_href;

  static std::vector<LoginPage> samples();
};

// form#register: username, password, password_confirm, optional email.
struct RegisterPage {
  Layout layout;
  std::string csrf_token;
  std::optional<std::string> next;
  std::string homeserver;  // shown as "@username:<homeserver>"
  std::string username;
  std::string email;
  std::optional<Text> error;
  std::optional<Text> username_error;
  std::optional<Text> email_error;
  std::optional<Text> password_error;
  std::optional<Text> password_confirm_error;
  std::string login_href = "/login";
  // account.registration_token_required: the `registration_token` field.
  bool token_required = false;
  std::string registration_token;
  std::optional<Text> registration_token_error;
  // branding.tos_uri: the required `accept_terms` checkbox linking to it.
  std::optional<std::string> tos_uri;
  bool accept_terms = false;
  std::optional<Text> accept_terms_error;
  // account.email_verification_required: the `email` field is required.
  bool email_required = false;

  static std::vector<RegisterPage> samples();
};

// GET /register/verify (account.email_verification_required): the code
// mailed to the address of a pending registration — form#email-verify
// (`code`), a form that sends a new code (form#register-resend) and a link
// back to the register form.
struct RegisterVerifyPage {
  Layout layout;
  std::string csrf_token;
  std::string resend_csrf_token;
  std::string address;
  int valid_minutes = 10;
  std::string restart_href = "/register";
  std::optional<Text> code_error;
  std::optional<Text> notice;
  std::optional<Text> error;

  static std::vector<RegisterVerifyPage> samples();
};

// How a client presents itself on the consent page (RFC 7591 §2 metadata,
// already localized for the browser's language).
struct ClientDisplay {
  std::string name;
  std::optional<std::string> logo_uri;
  std::optional<std::string> client_uri;
  std::optional<std::string> host;  // the client_uri host, shown under the name
  std::optional<std::string> policy_uri;
  std::optional<std::string> tos_uri;
};

struct ScopeLine {
  Text description;  // oauth::describeScope's message
  bool is_admin = false;
};

// form#consent with button[name=action][value=allow|deny].
struct ConsentPage {
  Layout layout;
  std::string csrf_token;
  std::string action;   // where the form posts (the grant's continue URL)
  std::string user_id;  // "@alice:example.com"
  ClientDisplay client;
  std::vector<ScopeLine> scopes;
  bool admin_warning = false;
  std::optional<Text> error;
  std::string switch_account_href = "/logout";

  static std::vector<ConsentPage> samples();
};

// form#sso-confirm: the confirmation before a legacy client (m.login.sso)
// receives a login token for the signed-in user (spec-digest §4.3).
struct SsoConfirmPage {
  Layout layout;
  std::string csrf_token;
  std::string action;   // where the form posts
  std::string user_id;  // "@alice:example.com"
  // The host of a website, or the scheme of an app (compat::SsoDestination).
  std::string destination;
  bool destination_is_web = true;
  std::string redirect_url;  // the whole address, shown small
  std::optional<Text> error;
  std::string switch_account_href = "/logout";

  static std::vector<SsoConfirmPage> samples();
};

// form#link (interface.md §5): the user code a device shows (RFC 8628
// §3.3), typed in by the person approving it.
struct DeviceLinkPage {
  Layout layout;
  std::string csrf_token;
  std::string code;                // pre-filled from verification_uri_complete, or the last attempt
  std::optional<Text> error;       // above the form (rate limit)
  std::optional<Text> code_error;  // next to the field

  static std::vector<DeviceLinkPage> samples();
};

// form#consent for the device authorization grant: a plain warning that
// another device is being signed in, the client, the device id, the user
// code to compare with the device's screen, and what it may do.
struct DeviceConsentPage {
  Layout layout;
  std::string csrf_token;
  std::string action;  // where the form posts
  std::string user_id;
  ClientDisplay client;
  std::optional<std::string> device_id;
  std::string user_code;  // grouped, "BCDF-GHJK"
  std::vector<ScopeLine> scopes;
  bool admin_warning = false;
  std::optional<Text> error;
  std::string switch_account_href = "/logout";

  static std::vector<DeviceConsentPage> samples();
};

// The end of a device approval: signed in, or not.
struct DeviceDonePage {
  Layout layout;
  bool approved = true;
  std::string client_name;

  static std::vector<DeviceDonePage> samples();
};

struct ErrorPage {
  Layout layout;
  Text title = Text("error.title");
  Text message;
  std::optional<Text> detail;
  std::optional<std::string> back_href;
  Text back_label = Text("error.back");
  // The way forward, as a button (for example back to the application).
  std::optional<std::string> action_href;
  Text action_label = Text("common.continue");

  static std::vector<ErrorPage> samples();
};

// form#logout: the confirmation before signing out. When an application
// asked for the logout (RP-Initiated Logout, web/end_session.h), the page
// says so, names the application when it is known and where the browser
// returns afterwards, and the form carries that request in hidden fields.
struct LogoutPage {
  struct Field {
    std::string name;
    std::string value;
  };
  Layout layout;
  std::string csrf_token;
  std::optional<std::string> user_id;
  std::optional<Text> error;
  // The logout was asked for by an application, not by the user here.
  bool from_application = false;
  std::optional<std::string> client_name;  // the application, when identified
  std::optional<std::string> client_host;  // its client_uri host
  // The post-logout redirect URI the browser returns to after signing out.
  std::optional<std::string> return_to;
  std::vector<Field> fields;  // hidden inputs posted with the form

  static std::vector<LogoutPage> samples();
};

// The page after a sign-out that does not go straight back to an
// application: it says the browser is signed out and that apps and devices
// keep their sessions, and, when an application may be returned to, offers
// a button to it.
struct SignedOutPage {
  Layout layout;
  std::optional<std::string> return_href;  // the post-logout redirect, state included
  Text return_label = Text("signed_out.return");

  static std::vector<SignedOutPage> samples();
};

// The account page: who is signed in, what they can do (links to the
// pages below that are enabled), and a sign-out button.
struct SignedInPage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  // The outcome of the last operation ("Your password has been changed").
  std::optional<Text> notice;
  std::optional<std::string> profile_href;
  std::optional<std::string> sessions_href;
  std::optional<std::string> password_change_href;
  std::optional<std::string> emails_href;
  std::optional<std::string> cross_signing_reset_href;
  std::optional<std::string> deactivate_href;

  static std::vector<SignedInPage> samples();
};

// One input of a form whose inputs are data (the step-up stages).
struct FormField {
  std::string name;
  Text label;
  std::string type = "password";
  std::string autocomplete = "current-password";
  std::optional<Text> hint;
  std::optional<Text> error;
  bool plain_text = false;
};

// form#reauth (interface.md §5): one stage of step-up authentication
// (web/step_up.h) before a sensitive operation. The stage decides the
// instructions and inputs (the password stage: field `password`).
struct ReauthPage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  std::string next;  // the operation to return to: a local path
  Text lead;         // what this stage asks for
  std::vector<FormField> fields;
  int step = 1;   // this stage's place in the list, from 1
  int steps = 1;  // how many stages there are ("Step 1 of 2" when more than one)
  std::optional<Text> error;

  static std::vector<ReauthPage> samples();
};

// form#password-change: current_password, new_password,
// new_password_confirm, and the `end_sessions` checkbox (ticked: sign out
// everywhere else).
struct PasswordChangePage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  bool end_sessions = true;
  std::optional<Text> error;
  std::optional<Text> current_password_error;
  std::optional<Text> new_password_error;
  std::optional<Text> new_password_confirm_error;

  static std::vector<PasswordChangePage> samples();
};

// form#deactivate: what deactivation does, the optional `erase` checkbox,
// and a confirmation button.
struct DeactivatePage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  bool erase = false;
  std::optional<Text> error;

  static std::vector<DeactivatePage> samples();
};

// form#cross-signing-reset: the approval that lets the user's app replace
// their cross-signing keys for 10 minutes (spec-digest §3.12); after it,
// the same page says it is approved and until when.
struct CrossSigningResetPage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  bool approved = false;
  std::optional<std::string> approved_until;  // "14:32 UTC"
  std::optional<Text> error;

  static std::vector<CrossSigningResetPage> samples();
};

// form#profile (interface.md §5): the Matrix user id and `display_name`.
struct ProfilePage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  std::string display_name;    // the stored one, or the last attempt
  std::optional<Text> notice;  // "Your profile has been saved."
  std::optional<Text> error;
  std::optional<Text> display_name_error;

  static std::vector<ProfilePage> samples();
};

// One session of the user as the sessions pages show it. Every text is
// already formatted for the page.
struct SessionSummary {
  Text kind;  // "App", "Legacy app", "Browser"
  // The client's name (verbatim), or what the session calls itself.
  Text name;
  std::optional<std::string> logo_uri;  // https only; the page's CSP allows its origin
  std::optional<std::string> device_id;
  std::string created_at;  // "2026-11-28 14:32 UTC"
  std::optional<std::string> last_active_at;
  std::optional<std::string> last_active_ip;
  std::optional<std::string> user_agent;
  bool is_current = false;  // the browser session showing the page
  std::string href;         // its own page
};

// The list of the user's active sessions (/account/sessions).
struct SessionsPage {
  Layout layout;
  std::string user_id;
  std::vector<SessionSummary> sessions;
  std::optional<Text> notice;  // "The session has been ended."

  static std::vector<SessionsPage> samples();
};

// One session, with the way to end it.
struct SessionPage {
  Layout layout;
  std::string user_id;
  SessionSummary session;
  std::string end_href;

  static std::vector<SessionPage> samples();
};

// form#device-delete (interface.md §5): what ending the session does, and
// the confirmation button.
struct SessionEndPage {
  Layout layout;
  std::string csrf_token;
  std::string user_id;
  SessionSummary session;
  std::string action;  // where the form posts
  std::string cancel_href;
  std::optional<Text> error;

  static std::vector<SessionEndPage> samples();
};

// A page that only says what happened (the account is deactivated).
struct NoticePage {
  Layout layout;
  Text title;
  Text message;
  std::optional<std::string> link_href;
  Text link_label = Text("common.continue");

  static std::vector<NoticePage> samples();
};

// OAuth 2.0 Form Post Response Mode: a form that posts the authorization
// response to the client's redirect URI (submitted by /assets/form_post.js,
// or by the visible button without JavaScript).
struct FormPostPage {
  struct Field {
    std::string name;
    std::string value;
  };
  Layout layout;
  std::string action;
  std::vector<Field> fields;
  Text title = Text("common.continue");
  Text lead = Text("form_post.lead");
  // Shown as an alert above the form (the interstitial before an error).
  std::optional<Text> alert;
  Text button_label = Text("common.continue");
  // The page posts itself on load unless false (the user then clicks).
  bool auto_submit = true;

  static std::vector<FormPostPage> samples();
};

}  // namespace mxauth::templates
