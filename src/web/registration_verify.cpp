// Mandatory e-mail verification at registration
// (account.email_verification_required): the pending registration, its
// browser cookie, the code page and the account creation that ends it.
// See web/account_pages.h.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "domain/localpart.h"
#include "homeserver/homeserver_connection.h"
#include "web/account_emails.h"
#include "web/account_pages.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kPendingVerifyPath = "/register/verify";
constexpr std::string_view kPendingVerifyPurpose = "register-verify";
constexpr std::string_view kPendingResendPurpose = "register-resend";
constexpr std::size_t kPendingCookieBytes = 32;
// Long enough for every code of the hour; the row decides what is valid.
constexpr std::chrono::hours kPendingCookieLifetime{1};
constexpr std::string_view kPendingCodeBinding = "register\n";
const Text kPendingTooMany{"register_verify.too_many_codes"};

std::string pendingCookieName(const SessionManager& sessions) {
  return sessions.secureCookies() ? "__Host-mxauth-register" : "mxauth-register";
}

http::SetCookie pendingCookie(const SessionManager& sessions, std::string value) {
  return http::SetCookie(pendingCookieName(sessions), std::move(value))
      .secure(sessions.secureCookies())
      .httpOnly(true)
      .sameSite(http::SameSite::Lax)
      .path("/");
}

void clearPendingCookie(const SessionManager& sessions, http::Response& response) {
  response.setCookie(pendingCookie(sessions, "").maxAge(std::chrono::seconds(0)));
}

// The SHA-256 (hex) of the request's pending-registration cookie, when it
// holds a value we could have made.
std::optional<std::string> pendingBrowserHash(const SessionManager& sessions,
                                              const http::Request& request) {
  const auto value = request.cookie(pendingCookieName(sessions));
  if (!value) return std::nullopt;
  const auto decoded = core::base64UrlDecode(*value);
  if (!decoded || decoded->size() != kPendingCookieBytes) return std::nullopt;
  return crypto::tokenHashHex(*value);
}

std::string pendingCodeHash(const WebContext& context, std::string_view browser_hash,
                            std::string_view code) {
  return emailCodeHash(emailCodeKey(context),
                       std::string(kPendingCodeBinding) + std::string(browser_hash), code);
}

// The key the hourly limit counts codes under.
std::string pendingSendKey(std::string_view address) { return domain::asciiLowercase(address); }

bool isVoid(const storage::PendingRegistration& pending, Timestamp now) {
  return pending.expires_at <= now || pending.attempts_left <= 0;
}

// The register form, filled in from a pending registration.
templates::RegisterPage registerPageOf(const storage::PendingRegistration& pending) {
  templates::RegisterPage page;
  page.next = pending.next;
  page.username = pending.localpart;
  page.email = pending.email;
  page.accept_terms = pending.terms_uri.has_value();
  return page;
}

}  // namespace

http::Response AccountPages::startEmailVerification(
    const http::Request& request, templates::RegisterPage page, const domain::Localpart& localpart,
    const std::string& password_hash, const std::optional<std::string>& token_hash,
    const std::optional<std::string>& terms_uri) const {
  WebContext& context = kit_.context();
  const SessionManager& sessions = kit_.sessions();
  const std::string cookie = crypto::randomUrlSafeString(context.rng, kPendingCookieBytes);
  const std::string browser_hash = crypto::tokenHashHex(cookie);
  const std::string code = newEmailCode(context.rng);
  const Timestamp now = context.clock.now();

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  // A new registration from this browser replaces its earlier one.
  if (const auto previous_hash = pendingBrowserHash(sessions, request)) {
    auto previous = (*tx)->pendingRegistrations().findByBrowserHash(*previous_hash);
    if (!previous) return kit_.storageFailure(request, previous.error());
    if (*previous) {
      auto removed = (*tx)->pendingRegistrations().remove((*previous)->id);
      if (!removed) return kit_.storageFailure(request, removed.error());
    }
  }
  auto sent = (*tx)->pendingRegistrations().countCodesSince(pendingSendKey(page.email),
                                                            now - std::chrono::hours(1));
  if (!sent) return kit_.storageFailure(request, sent.error());
  if (*sent >= kMaxCodesPerHour) {
    tx->reset();
    page.email_error = kPendingTooMany;
    http::Response response = renderRegister(request, 429, std::move(page));
    response.setHeader("Retry-After", "3600");
    return response;
  }
  storage::NewPendingRegistration fresh;
  fresh.browser_hash = browser_hash;
  fresh.localpart = localpart.str();
  fresh.password_hash = password_hash;
  fresh.password_scheme_version = kPasswordSchemeVersion;
  fresh.email = page.email;
  fresh.code_hash = pendingCodeHash(context, browser_hash, code);
  fresh.expires_at = now + kEmailCodeLifetime;
  fresh.attempts_left = kMaxCodeAttempts;
  fresh.next = page.next;
  fresh.terms_uri = terms_uri;
  fresh.registration_token_hash = token_hash;
  auto added = (*tx)->pendingRegistrations().add(context.rng, context.clock, fresh);
  if (!added) return kit_.storageFailure(request, added.error());
  auto counted = (*tx)->pendingRegistrations().recordCodeSent(
      context.clock, pendingSendKey(page.email), now - std::chrono::hours(1));
  if (!counted) return kit_.storageFailure(request, counted.error());
  if (!queueEmailCode(**tx, context, page.email, code, kit_.pageLanguage(request))) {
    tx->reset();
    return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                          Text("emails.code_not_sent"));
  }
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  http::Response response = http::Response::redirect(std::string(kPendingVerifyPath), 303);
  response.setCookie(pendingCookie(sessions, cookie).maxAge(kPendingCookieLifetime));
  return response;
}

http::Response AccountPages::renderRegisterVerify(const http::Request& request, int status,
                                                  templates::RegisterVerifyPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kPendingVerifyPurpose);
  page.resend_csrf_token = kit_.sessions().csrfToken(csrf, kPendingResendPurpose);
  page.valid_minutes = static_cast<int>(kEmailCodeLifetime.count());
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountPages::showRegisterVerify(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!context.settings.registration_enabled || !context.settings.email_verification_required) {
    return http::Response::redirect("/register", 303);
  }
  const auto browser_hash = pendingBrowserHash(kit_.sessions(), request);
  if (!browser_hash) return http::Response::redirect("/register", 303);
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto pending = (*tx)->pendingRegistrations().findByBrowserHash(*browser_hash);
  if (!pending) return kit_.storageFailure(request, pending.error());
  if (!*pending) {
    tx->reset();
    http::Response response = http::Response::redirect("/register", 303);
    clearPendingCookie(kit_.sessions(), response);
    return response;
  }
  if (isVoid(**pending, context.clock.now())) {
    auto removed = (*tx)->pendingRegistrations().remove((*pending)->id);
    if (!removed) return kit_.storageFailure(request, removed.error());
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
    templates::RegisterPage page = registerPageOf(**pending);
    page.error = Text("register_verify.expired");
    http::Response response = renderRegister(request, 200, std::move(page));
    clearPendingCookie(kit_.sessions(), response);
    return response;
  }
  tx->reset();
  templates::RegisterVerifyPage page;
  page.address = (*pending)->email;
  page.restart_href = PageKit::withQuery("/register", {{"next", (*pending)->next}});
  if (request.queryParam("sent") == "1") page.notice = Text("emails.code_resent");
  return renderRegisterVerify(request, 200, std::move(page));
}

http::Response AccountPages::submitRegisterVerify(const http::Request& request) const {
  WebContext& context = kit_.context();
  const SessionManager& sessions = kit_.sessions();
  if (!context.settings.registration_enabled || !context.settings.email_verification_required) {
    return http::Response::redirect("/register", 303);
  }
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  const auto browser_hash = pendingBrowserHash(sessions, request);
  if (!browser_hash) return http::Response::redirect("/register", 303);

  // The pending registration, or the register form when it is gone or
  // void (a void one is deleted: the user must start again).
  const auto voided = [&](const storage::PendingRegistration& pending,
                          Text message) -> http::Response {
    auto tx = context.database.begin();
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto removed = (*tx)->pendingRegistrations().remove(pending.id);
    if (!removed) return kit_.storageFailure(request, removed.error());
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
    templates::RegisterPage page = registerPageOf(pending);
    page.error = std::move(message);
    http::Response response = renderRegister(request, 400, std::move(page));
    clearPendingCookie(sessions, response);
    return response;
  };
  std::optional<storage::PendingRegistration> pending;
  {
    auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto found = (*tx)->pendingRegistrations().findByBrowserHash(*browser_hash);
    if (!found) return kit_.storageFailure(request, found.error());
    pending = std::move(*found);
  }
  if (!pending) {
    http::Response response = http::Response::redirect("/register", 303);
    clearPendingCookie(sessions, response);
    return response;
  }
  templates::RegisterVerifyPage page;
  page.address = pending->email;
  page.restart_href = PageKit::withQuery("/register", {{"next", pending->next}});
  if (!sessions.verifyCsrf(request, kPendingVerifyPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderRegisterVerify(request, 403, std::move(page));
  }
  if (isVoid(*pending, context.clock.now())) {
    return voided(*pending, Text(pending->attempts_left <= 0 ? "register_verify.too_many_wrong"
                                                             : "register_verify.expired"));
  }
  const std::string typed = typedEmailCode(form->get("code").value_or(""));
  if (typed.empty()) {
    page.code_error = Text("form.enter_email_code");
    return renderRegisterVerify(request, 400, std::move(page));
  }
  {
    // The guess counts before it is compared, in its own commit.
    auto tx = context.database.begin();
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto counted = (*tx)->pendingRegistrations().recordAttempt(context.clock, pending->id);
    if (!counted) return kit_.storageFailure(request, counted.error());
    if (!*counted) {
      tx->reset();
      return voided(*pending, Text("register_verify.too_many_wrong"));
    }
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
  }
  const int attempts_left = pending->attempts_left - 1;
  const bool right = crypto::constantTimeEquals(pendingCodeHash(context, *browser_hash, typed),
                                                pending->code_hash);
  if (!right) {
    if (attempts_left <= 0) {
      return voided(*pending, Text("register_verify.too_many_wrong"));
    }
    page.code_error = attempts_left == 1 ? Text("register_verify.wrong_code_last")
                                         : Text("register_verify.wrong_code",
                                                {{"count", std::to_string(attempts_left)}});
    return renderRegisterVerify(request, 400, std::move(page));
  }

  templates::RegisterPage form_again = registerPageOf(*pending);
  auto localpart = domain::Localpart::parse(pending->localpart, context.settings.homeserver);
  if (!localpart) return voided(*pending, Text("register.username_invalid"));
  // The homeserver has the last word on a localpart (spec-digest §5.5),
  // and it may have given this one away since the form was checked.
  bool homeserver_refuses = false;
  if (context.homeserver != nullptr) {
    auto available = context.homeserver->isLocalpartAvailable(localpart->str());
    if (!available) {
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("register_verify.homeserver_unreachable"));
    }
    homeserver_refuses = *available != homeserver::LocalpartAvailability::Available;
  }
  auto created =
      homeserver_refuses
          ? Result<domain::UserId, AccountFailure>(
                unexpected(AccountFailure{AccountRefusal::Taken, std::nullopt}))
          : createAccount(request,
                          NewAccount{.localpart = *localpart,
                                     .password_hash = pending->password_hash,
                                     .password_scheme_version = pending->password_scheme_version,
                                     .email = pending->email,
                                     .email_verified = true,
                                     .token_hash = pending->registration_token_hash,
                                     .terms_uri = pending->terms_uri,
                                     .pending = pending->id});
  if (!created) {
    if (created.error().refusal == AccountRefusal::Storage) {
      return refuseAccount(request, std::move(form_again), created.error());
    }
    // It can never succeed (or already did): drop it; the form comes back
    // with what went wrong.
    if (created.error().refusal != AccountRefusal::PendingGone) {
      auto tx = context.database.begin();
      if (!tx) return kit_.storageFailure(request, tx.error());
      auto removed = (*tx)->pendingRegistrations().remove(pending->id);
      if (!removed) return kit_.storageFailure(request, removed.error());
      auto committed = (*tx)->commit();
      if (!committed) return kit_.storageFailure(request, committed.error());
    }
    http::Response response = refuseAccount(request, std::move(form_again), created.error());
    clearPendingCookie(sessions, response);
    return response;
  }
  http::Response response = startSession(request, *created, pending->next);
  clearPendingCookie(sessions, response);
  return response;
}

http::Response AccountPages::submitRegisterResend(const http::Request& request) const {
  WebContext& context = kit_.context();
  const SessionManager& sessions = kit_.sessions();
  if (!context.settings.registration_enabled || !context.settings.email_verification_required) {
    return http::Response::redirect("/register", 303);
  }
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  const auto browser_hash = pendingBrowserHash(sessions, request);
  if (!browser_hash) return http::Response::redirect("/register", 303);
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto pending = (*tx)->pendingRegistrations().findByBrowserHash(*browser_hash);
  if (!pending) return kit_.storageFailure(request, pending.error());
  if (!*pending || isVoid(**pending, context.clock.now())) {
    // Gone or void: the verify page says so and starts again.
    tx->reset();
    return http::Response::redirect(std::string(kPendingVerifyPath), 303);
  }
  templates::RegisterVerifyPage page;
  page.address = (*pending)->email;
  page.restart_href = PageKit::withQuery("/register", {{"next", (*pending)->next}});
  if (!sessions.verifyCsrf(request, kPendingResendPurpose, form->get("csrf").value_or(""))) {
    tx->reset();
    page.error = kExpiredForm;
    return renderRegisterVerify(request, 403, std::move(page));
  }
  const Timestamp now = context.clock.now();
  const std::string key = pendingSendKey((*pending)->email);
  auto sent = (*tx)->pendingRegistrations().countCodesSince(key, now - std::chrono::hours(1));
  if (!sent) return kit_.storageFailure(request, sent.error());
  if (*sent >= kMaxCodesPerHour) {
    tx->reset();
    page.error = kPendingTooMany;
    http::Response response = renderRegisterVerify(request, 429, std::move(page));
    response.setHeader("Retry-After", "3600");
    return response;
  }
  const std::string code = newEmailCode(context.rng);
  auto replaced = (*tx)->pendingRegistrations().replaceCode(
      (*pending)->id, pendingCodeHash(context, *browser_hash, code), now + kEmailCodeLifetime,
      kMaxCodeAttempts);
  if (!replaced) return kit_.storageFailure(request, replaced.error());
  auto counted =
      (*tx)->pendingRegistrations().recordCodeSent(context.clock, key, now - std::chrono::hours(1));
  if (!counted) return kit_.storageFailure(request, counted.error());
  if (!*replaced ||
      !queueEmailCode(**tx, context, (*pending)->email, code, kit_.pageLanguage(request))) {
    tx->reset();
    return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                          Text("emails.code_not_sent"));
  }
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(std::string(kPendingVerifyPath) + "?sent=1", 303);
}

}  // namespace mxauth::web
