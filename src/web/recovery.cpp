#include "web/recovery.h"

#include <optional>
#include <string>
#include <utility>

#include "accounts/password_login.h"
#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/email_address.h"
#include "email/message.h"
#include "http/client_address.h"
#include "web/account_effects.h"
#include "web/password_rules.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kRecoverPurpose = "recover";
constexpr std::string_view kRecoverPasswordPurpose = "recover-password";
constexpr std::size_t kMaxAddressInput = 254;
constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMaxTokenInput = 128;

core::RateLimiterOptions limiterOptions(std::uint32_t burst, Duration interval) {
  core::RateLimiterOptions options;
  options.limit = core::RateLimit{burst, interval};
  return options;
}

std::string tokenHash(std::string_view token) { return core::hexEncode(crypto::sha256(token)); }

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// <public base>recover/password?token=...: from the configured base only.
std::string recoveryLink(const WebSettings& settings, std::string_view token) {
  std::string base = settings.public_base;
  if (base.empty() || base.back() != '/') base.push_back('/');
  return PageKit::withQuery(base + std::string(kRecoverPasswordPath.substr(1)), {{"token", token}});
}

// A usable ticket for `token`: known, not used, not expired, and its user
// still allowed to sign in.
struct LiveTicket {
  storage::RecoveryTicket ticket;
  domain::User user;
};

Result<std::optional<LiveTicket>, storage::StorageError> liveTicket(storage::Transaction& tx,
                                                                    const Clock& clock,
                                                                    std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenInput) return std::optional<LiveTicket>();
  auto ticket = tx.recoveryTickets().findByTokenHash(tokenHash(token));
  if (!ticket) return unexpected(std::move(ticket).error());
  if (!*ticket || (*ticket)->consumed_at || (*ticket)->expires_at <= clock.now()) {
    return std::optional<LiveTicket>();
  }
  auto user = tx.users().lookup((*ticket)->user_id);
  if (!user) return unexpected(std::move(user).error());
  if (!*user || !(*user)->canLogIn()) return std::optional<LiveTicket>();
  return std::optional<LiveTicket>(LiveTicket{std::move(**ticket), std::move(**user)});
}

}  // namespace

RecoveryPages::RecoveryPages(const PageKit& kit)
    : kit_(kit),
      per_address_(kit.context().clock,
                   limiterOptions(kRecoveryPerAddressBurst, kRecoveryPerAddressInterval)),
      per_email_(kit.context().clock,
                 limiterOptions(kRecoveryPerEmailBurst, kRecoveryPerEmailInterval)) {}

http::Response RecoveryPages::unavailable(const http::Request& request) const {
  return kit_.errorPage(request, 404, Text("error.not_available_title"), Text("recover.disabled"));
}

http::Response RecoveryPages::deadLink(const http::Request& request) const {
  templates::NoticePage notice;
  notice.layout = kit_.layout(request);
  notice.title = Text("recover.link_invalid_title");
  notice.message = Text("recover.link_invalid");
  notice.link_href = std::string(kRecoverPath);
  notice.link_label = Text("recover.ask_again");
  return kit_.html(400, kit_.context().templates.render(notice));
}

http::Response RecoveryPages::renderRecover(const http::Request& request, int status,
                                            templates::RecoverPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kRecoverPurpose);
  page.valid_minutes = static_cast<int>(
      (context.settings.recovery_link_ttl + std::chrono::seconds(59)) / std::chrono::minutes(1));
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response RecoveryPages::renderPassword(const http::Request& request, int status,
                                             templates::RecoverPasswordPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kRecoverPasswordPurpose);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response RecoveryPages::showRecover(const http::Request& request) const {
  if (!kit_.settings().password_recovery_enabled) return unavailable(request);
  return renderRecover(request, 200, templates::RecoverPage{});
}

http::Response RecoveryPages::submitRecover(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().password_recovery_enabled) return unavailable(request);
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::RecoverPage page;
  const std::string address(form->get("email").value_or("").substr(0, 1024));
  page.email = address.substr(0, kMaxAddressInput);
  if (!kit_.sessions().verifyCsrf(request, kRecoverPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderRecover(request, 403, std::move(page));
  }
  if (address.empty()) {
    page.email_error = Text("recover.enter_email");
  } else if (address.size() > kMaxAddressInput || !domain::isValidEmailAddress(address)) {
    page.email_error = Text("form.email_invalid");
  }
  if (page.email_error) return renderRecover(request, 400, std::move(page));

  // The limits apply whether or not the address is known, so that a 429
  // says nothing about it.
  const auto limited = [&](const core::RateDecision& decision) {
    page.error = Text("recover.too_many").with("wait", waitMessage(decision.retry_after));
    http::Response response = renderRecover(request, 429, std::move(page));
    response.setHeader("Retry-After", retryAfterSeconds(decision.retry_after));
    return response;
  };
  const core::RateDecision by_client =
      per_address_.tryAcquire(http::addressKey(request.remote_address));
  if (!by_client.allowed) return limited(by_client);
  const core::RateDecision by_email = per_email_.tryAcquire(lowerAscii(address));
  if (!by_email.allowed) return limited(by_email);

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto user = (*tx)->users().findByEmail(address);
  if (!user) return kit_.storageFailure(request, user.error());
  if (*user && (*user)->canLogIn() && context.mailer != nullptr &&
      context.email_templates != nullptr) {
    auto emails = (*tx)->userEmails().listForUser((*user)->id);
    if (!emails) return kit_.storageFailure(request, emails.error());
    const domain::UserEmail* target = nullptr;
    for (const domain::UserEmail& email : *emails) {
      if (email.isConfirmed() && lowerAscii(email.address) == lowerAscii(address)) {
        target = &email;
      }
    }
    if (target != nullptr) {
      const std::string token = crypto::randomUrlSafeString(context.rng, kTokenBytes);
      auto added = (*tx)->recoveryTickets().add(
          context.rng, context.clock, (*user)->id, target->id, tokenHash(token),
          context.clock.now() + context.settings.recovery_link_ttl);
      if (!added) return kit_.storageFailure(request, added.error());
      templates::PasswordRecoveryEmail message;
      message.layout.service_name = context.settings.service_name;
      message.layout.lang = kit_.pageLanguage(request);
      message.username = "@" + (*user)->localpart + ":" + context.settings.homeserver;
      message.link = recoveryLink(context.settings, token);
      message.valid_minutes = page.valid_minutes;
      const templates::RenderedEmail rendered = context.email_templates->render(message);
      auto queued = context.mailer->queue(
          **tx, email::Message{target->address, rendered.subject, rendered.text, rendered.html});
      if (!queued) {
        return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                              Text("recover.not_sent"));
      }
      auto committed = (*tx)->commit();
      if (!committed) return kit_.storageFailure(request, committed.error());
    }
  }
  page.sent = true;
  return renderRecover(request, 200, std::move(page));
}

http::Response RecoveryPages::showRecoverPassword(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().password_recovery_enabled) return unavailable(request);
  const std::string_view token = request.queryParam("token").value_or("");
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto live = liveTicket(**tx, context.clock, token);
  if (!live) return kit_.storageFailure(request, live.error());
  tx->reset();
  if (!*live) return deadLink(request);
  templates::RecoverPasswordPage page;
  page.token = std::string(token);
  page.user_id = "@" + (*live)->user.localpart + ":" + context.settings.homeserver;
  return renderPassword(request, 200, std::move(page));
}

http::Response RecoveryPages::submitRecoverPassword(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().password_recovery_enabled) return unavailable(request);
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  const std::string token(form->get("token").value_or("").substr(0, kMaxTokenInput + 1));
  std::optional<LiveTicket> ticket;
  {
    auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto live = liveTicket(**tx, context.clock, token);
    if (!live) return kit_.storageFailure(request, live.error());
    if (!*live) return deadLink(request);
    ticket = std::move(*live);
  }
  templates::RecoverPasswordPage page;
  page.token = token;
  page.user_id = "@" + ticket->user.localpart + ":" + context.settings.homeserver;
  if (!kit_.sessions().verifyCsrf(request, kRecoverPasswordPurpose,
                                  form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderPassword(request, 403, std::move(page));
  }
  const std::string_view fresh = form->get("new_password").value_or("");
  const std::string_view confirm = form->get("new_password_confirm").value_or("");
  page.new_password_error = passwordProblem(fresh, ticket->user.localpart);
  if (!page.new_password_error && fresh != confirm) {
    page.new_password_confirm_error = Text("form.passwords_mismatch");
  }
  if (page.new_password_error || page.new_password_confirm_error) {
    return renderPassword(request, 400, std::move(page));
  }
  // Hashed before the transaction, so that the slow hash holds no connection.
  auto hash = context.hasher.hash(context.rng, fresh);
  if (!hash) {
    if (hash.error() == crypto::PasswordError::Overloaded) {
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("error.busy_sign_ins"));
    }
    page.new_password_error = Text("form.password_refused");
    return renderPassword(request, 400, std::move(page));
  }

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  // Single use: only the request whose conditional write consumed the
  // ticket goes on; a concurrent one gets the dead-link page.
  auto consumed = (*tx)->recoveryTickets().consume(context.clock, ticket->ticket.id);
  if (!consumed) return kit_.storageFailure(request, consumed.error());
  if (!*consumed) return deadLink(request);
  // Still allowed to sign in (not locked or deactivated meanwhile).
  auto user = (*tx)->users().lookup(ticket->user.id);
  if (!user) return kit_.storageFailure(request, user.error());
  if (!*user || !(*user)->canLogIn()) return deadLink(request);
  auto added = (*tx)->userPasswords().add(context.rng, context.clock, ticket->user.id, *hash,
                                          accounts::kPasswordSchemeVersion, std::nullopt);
  if (!added) return kit_.storageFailure(request, added.error());
  auto others = (*tx)->recoveryTickets().consumeAllForUser(context.clock, ticket->user.id);
  if (!others) return kit_.storageFailure(request, others.error());
  auto ended = endUserSessions(**tx, context, ticket->user.id, std::nullopt, true);
  if (!ended) return kit_.storageFailure(request, ended.error());
  auto audited = recordAudit(**tx, context, request, ticket->user.id, kAuditPasswordRecovery,
                             "{\"sessions_ended\":" + std::to_string(ended->total()) + "}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  forgetInCache(context, *ended);

  templates::NoticePage notice;
  notice.layout = kit_.layout(request);
  notice.title = Text("recover.done_title");
  notice.message = Text("recover.done", {{"user_id", page.user_id}});
  notice.link_href = "/login";
  notice.link_label = Text("login.title");
  http::Response response = kit_.html(200, context.templates.render(notice));
  kit_.sessions().clear(response);
  return response;
}

}  // namespace mxauth::web
