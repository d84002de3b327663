#include "web/account_security.h"

#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "accounts/password_login.h"
#include "http/client_address.h"
#include "jobs/homeserver_jobs.h"
#include "web/account_effects.h"
#include "web/password_rules.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kPasswordChangePurpose = "password-change";
constexpr std::string_view kDeactivatePurpose = "deactivate";
constexpr std::string_view kCrossSigningResetPurpose = "cross-signing-reset";
// How long the homeserver lets the user replace their cross-signing keys
// after allow_cross_signing_reset (spec-digest §3.12).
constexpr std::chrono::minutes kCrossSigningResetWindow{10};

// "14:32 UTC"
std::string clockTime(Timestamp at) {
  const auto seconds = static_cast<std::time_t>(toUnixMillis(at) / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[16];
  const std::size_t length = std::strftime(text, sizeof text, "%H:%M UTC", &parts);
  return std::string(text, length);
}

}  // namespace

// One of the confirmation pages, with a fresh CSRF token for `purpose` and
// the signed-in user.
template <class Page>
http::Response AccountSecurityPages::render(const http::Request& request,
                                            const ActiveSession& active, int status,
                                            std::string_view purpose, Page page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, purpose);
  page.user_id = userIdOf(kit_, active);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountSecurityPages::disabled(const http::Request& request) const {
  return kit_.errorPage(request, 404, Text("error.not_available_title"),
                        Text("account.change_disabled"));
}

// --- Password change -------------------------------------------------------

http::Response AccountSecurityPages::showPasswordChange(const http::Request& request) const {
  if (!kit_.settings().password_change_enabled) return disabled(request);
  auto active = step_up_.require(request, kPasswordChangePath);
  if (!active) return std::move(active).error();
  return render(request, *active, 200, kPasswordChangePurpose, templates::PasswordChangePage{});
}

http::Response AccountSecurityPages::submitPasswordChange(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().password_change_enabled) return disabled(request);
  auto active = step_up_.require(request, kPasswordChangePath);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::PasswordChangePage page;
  page.end_sessions = form->contains("end_sessions");
  if (!kit_.sessions().verifyCsrf(request, kPasswordChangePurpose,
                                  form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return render(request, *active, 403, kPasswordChangePurpose, std::move(page));
  }
  const std::string_view current = form->get("current_password").value_or("");
  const std::string_view fresh = form->get("new_password").value_or("");
  const std::string_view confirm = form->get("new_password_confirm").value_or("");
  if (current.empty()) page.current_password_error = Text("password_change.enter_current");
  page.new_password_error = passwordProblem(fresh, active->user.localpart);
  if (!page.new_password_error && fresh == current) {
    page.new_password_error = Text("password_change.same");
  }
  if (!page.new_password_error && fresh != confirm) {
    page.new_password_confirm_error = Text("form.passwords_mismatch");
  }
  if (page.current_password_error || page.new_password_error || page.new_password_confirm_error) {
    return render(request, *active, 400, kPasswordChangePurpose, std::move(page));
  }

  // The current password, checked like a login (and limited with them).
  const PasswordStage password_stage;
  http::FormParams stage_form;
  stage_form.add("password", std::string(current));
  const StageOutcome checked = password_stage.check({kit_, request, *active, ""}, stage_form);
  switch (checked.result) {
    case StageResult::Passed:
      break;
    case StageResult::Failed:
      page.current_password_error = checked.field_error;
      return render(request, *active, 400, kPasswordChangePurpose, std::move(page));
    case StageResult::RateLimited: {
      page.error = Text("form.too_many_attempts").with("wait", waitMessage(checked.retry_after));
      http::Response response =
          render(request, *active, 429, kPasswordChangePurpose, std::move(page));
      response.setHeader("Retry-After", retryAfterSeconds(checked.retry_after));
      return response;
    }
    case StageResult::Overloaded:
    case StageResult::Unavailable:
    case StageResult::Internal:
      return stageFailurePage(kit_, request, checked.result, Text("reauth.what_password"));
  }

  // Hashed before the transaction, so that the slow hash holds no connection.
  auto hash = context.hasher.hash(context.rng, fresh);
  if (!hash) {
    if (hash.error() == crypto::PasswordError::Overloaded) {
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("error.busy_sign_ins"));
    }
    page.new_password_error = Text("form.password_refused");
    return render(request, *active, 400, kPasswordChangePurpose, std::move(page));
  }
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto added = (*tx)->userPasswords().add(context.rng, context.clock, active->user.id, *hash,
                                          accounts::kPasswordSchemeVersion, std::nullopt);
  if (!added) return kit_.storageFailure(request, added.error());
  EndedSessions ended;
  if (page.end_sessions) {
    auto finished = endUserSessions(**tx, context, active->user.id, active->session.id, true);
    if (!finished) return kit_.storageFailure(request, finished.error());
    ended = std::move(*finished);
  }
  std::string details = "{\"other_sessions_ended\":";
  details += page.end_sessions ? "true" : "false";
  details += ",\"sessions_ended\":" +
             std::to_string(static_cast<std::int64_t>(ended.token_sessions.size()) +
                            ended.browser_sessions) +
             "}";
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditPasswordChange,
                             std::move(details));
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  forgetInCache(context, ended);
  return http::Response::redirect("/account/?done=password", 303);
}

// --- Deactivation ----------------------------------------------------------

http::Response AccountSecurityPages::showDeactivate(const http::Request& request) const {
  if (!kit_.settings().deactivation_enabled) return disabled(request);
  auto active = step_up_.require(request, kDeactivatePath);
  if (!active) return std::move(active).error();
  return render(request, *active, 200, kDeactivatePurpose, templates::DeactivatePage{});
}

http::Response AccountSecurityPages::submitDeactivate(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().deactivation_enabled) return disabled(request);
  auto active = step_up_.require(request, kDeactivatePath);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::DeactivatePage page;
  page.erase = form->contains("erase");
  if (!kit_.sessions().verifyCsrf(request, kDeactivatePurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return render(request, *active, 403, kDeactivatePurpose, std::move(page));
  }

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  // Every session ends, this browser's too, and the homeserver deletes the
  // user (with their devices): the same change as `mxauth user deactivate`.
  auto deactivated = accounts::changeAccount(**tx, context.rng, context.clock, active->user.id,
                                             accounts::AccountChange::Deactivate, page.erase);
  if (!deactivated) return kit_.storageFailure(request, deactivated.error());
  if (!*deactivated)
    return kit_.storageFailure(request, {storage::StorageErrorCode::Conflict, "user gone"});
  const accounts::EndedSessions* ended = &(*deactivated)->ended;
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditDeactivate,
                             page.erase ? "{\"erase\":true}" : "{\"erase\":false}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  forgetInCache(context, *ended);

  templates::NoticePage notice;
  notice.layout = kit_.layout(request);
  notice.title = Text("deactivate.done_title");
  notice.message = Text("deactivate.done", {{"user_id", userIdOf(kit_, *active)}});
  http::Response response = kit_.html(200, context.templates.render(notice));
  kit_.sessions().clear(response);
  return response;
}

// --- Cross-signing reset ---------------------------------------------------

http::Response AccountSecurityPages::showCrossSigningReset(const http::Request& request) const {
  auto active = step_up_.require(request, kCrossSigningResetPath);
  if (!active) return std::move(active).error();
  return render(request, *active, 200, kCrossSigningResetPurpose,
                templates::CrossSigningResetPage{});
}

http::Response AccountSecurityPages::submitCrossSigningReset(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto active = step_up_.require(request, kCrossSigningResetPath);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::CrossSigningResetPage page;
  if (!kit_.sessions().verifyCsrf(request, kCrossSigningResetPurpose,
                                  form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return render(request, *active, 403, kCrossSigningResetPurpose, std::move(page));
  }
  // Synchronous, outside any transaction (homeserver_connection.h): the
  // user must know whether the approval reached the homeserver.
  if (context.homeserver != nullptr) {
    auto allowed = context.homeserver->allowCrossSigningReset(active->user.localpart);
    if (!allowed) {
      page.error = Text("error.homeserver_unreachable");
      return render(request, *active, 503, kCrossSigningResetPurpose, std::move(page));
    }
  }
  const Timestamp until = context.clock.now() + kCrossSigningResetWindow;
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditCrossSigningReset,
                             "{\"window_seconds\":600}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  page.approved = true;
  page.approved_until = clockTime(until);
  return render(request, *active, 200, kCrossSigningResetPurpose, std::move(page));
}

}  // namespace mxauth::web
