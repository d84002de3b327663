#pragma once

// The sensitive account pages (issue 5; interface.md §5). Each one needs a
// signed-in browser session, a recent authentication (web/step_up.h: older
// ones are sent to form#reauth first and come back), a CSRF token of its
// own purpose on the POST, and its config switch; each completed operation
// is written to the audit log (storage/audit_log_repository.h) in the same
// transaction as its change, with the client address and user agent.
//
//   GET/POST /account/password             form#password-change
//       (account.password_change): the current password (checked like a
//       login, with the shared login throttle), the new one twice under
//       the registration rules (web/password_rules.h). Unless the user
//       unticks `end_sessions`, every other session of the user ends:
//       OAuth and compat sessions (tokens revoked, introspection cache
//       dropped, the homeserver's devices synced by the durable job) and
//       the other browser sessions.
//   GET/POST /account/deactivate           form#deactivate
//       (account.deactivation): says what will happen; the optional
//       `erase` checkbox. The account is deactivated, every session ends
//       (this browser's too), and the durable job homeserver.delete_user
//       tells the homeserver (delete_user with erase).
//   GET/POST /account/cross-signing-reset  form#cross-signing-reset
//       calls the homeserver's allow_cross_signing_reset and says the
//       approval lasts 10 minutes (spec-digest §3.12).
//
// A GET only shows the page: a crafted link (MSC4191 deep links,
// web/account_actions.h) can never change anything by itself.

#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "storage/transaction.h"
#include "web/page_kit.h"
#include "web/step_up.h"

namespace mxauth::web {

inline constexpr std::string_view kPasswordChangePath = "/account/password";
inline constexpr std::string_view kDeactivatePath = "/account/deactivate";
inline constexpr std::string_view kCrossSigningResetPath = "/account/cross-signing-reset";

// Audit log actions.
inline constexpr std::string_view kAuditPasswordChange = "account.password_change";
inline constexpr std::string_view kAuditDeactivate = "account.deactivate";
inline constexpr std::string_view kAuditCrossSigningReset = "account.cross_signing_reset";

class AccountSecurityPages {
 public:
  AccountSecurityPages(const PageKit& kit, const StepUp& step_up) : kit_(kit), step_up_(step_up) {}

  http::Response showPasswordChange(const http::Request& request) const;
  http::Response submitPasswordChange(const http::Request& request) const;
  http::Response showDeactivate(const http::Request& request) const;
  http::Response submitDeactivate(const http::Request& request) const;
  http::Response showCrossSigningReset(const http::Request& request) const;
  http::Response submitCrossSigningReset(const http::Request& request) const;

 private:
  template <class Page>
  http::Response render(const http::Request& request, const ActiveSession& active, int status,
                        std::string_view purpose, Page page) const;
  http::Response disabled(const http::Request& request) const;

  const PageKit& kit_;
  const StepUp& step_up_;
};

}  // namespace mxauth::web
