#include "web/account_emails.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/hash.h"
#include "domain/email_address.h"
#include "email/message.h"
#include "jobs/homeserver_jobs.h"
#include "web/account_effects.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kAddPurpose = "email-add";
constexpr std::string_view kVerifyPurpose = "email-verify";
constexpr std::string_view kResendPurpose = "email-resend";
constexpr std::string_view kPrimaryPurpose = "email-primary";
constexpr std::string_view kRemovePurpose = "email-remove";
constexpr std::string_view kCodeKeyPurpose = "web-email-verification-code";
constexpr std::size_t kMaxAddressInput = 254;
constexpr int kCodeDigits = 6;

std::string verifyHref(const domain::UserEmailId& id) {
  return PageKit::withQuery(std::string(kEmailVerifyPath), {{"id", id.str()}});
}

std::string jsonString(std::string_view text) { return emailJsonString(text); }

// The address `id` of `user`, or nothing (unknown, or someone else's).
Result<std::optional<domain::UserEmail>, storage::StorageError> ownEmail(storage::Transaction& tx,
                                                                         const domain::UserId& user,
                                                                         std::string_view id_text) {
  const auto id = domain::UserEmailId::parse(id_text);
  if (!id) return std::optional<domain::UserEmail>();
  auto email = tx.userEmails().lookup(*id);
  if (!email) return unexpected(std::move(email).error());
  if (!*email || (*email)->user_id != user) return std::optional<domain::UserEmail>();
  return email;
}

enum class SendOutcome { Sent, Limited, Failed };

}  // namespace

std::string newEmailCode(Rng& rng) {
  std::string code = std::to_string(rng.uniform(1000000));
  return std::string(static_cast<std::size_t>(kCodeDigits) - code.size(), '0') + code;
}

std::string typedEmailCode(std::string_view input) {
  std::string digits;
  for (const char c : input.substr(0, 64)) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

std::string emailJsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) >= 0x20) {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

crypto::Sha256Digest emailCodeKey(const WebContext& context) {
  return crypto::deriveKey(context.encryption_secret, kCodeKeyPurpose);
}

std::string emailCodeHash(const crypto::Sha256Digest& key, std::string_view binding,
                          std::string_view code) {
  std::string message(binding);
  message.push_back('\0');
  message.append(code);
  return core::hexEncode(crypto::hmacSha256(key, core::asBytes(message)));
}

bool queueEmailCode(storage::Transaction& tx, WebContext& context, std::string_view address,
                    std::string_view code, std::string_view language) {
  if (context.mailer == nullptr || context.email_templates == nullptr) return false;
  templates::VerificationCodeEmail message;
  message.layout.service_name = context.settings.service_name;
  message.layout.lang = std::string(language);
  message.code = std::string(code);
  message.address = std::string(address);
  message.valid_minutes = static_cast<int>(kEmailCodeLifetime.count());
  const templates::RenderedEmail rendered = context.email_templates->render(message);
  auto queued = context.mailer->queue(
      tx, email::Message{std::string(address), rendered.subject, rendered.text, rendered.html});
  return queued.has_value();
}

AccountEmailPages::AccountEmailPages(const PageKit& kit, const StepUp& step_up)
    : kit_(kit), step_up_(step_up), code_key_(emailCodeKey(kit.context())) {}

std::string AccountEmailPages::codeHash(std::string_view email_id, std::string_view code) const {
  return emailCodeHash(code_key_, email_id, code);
}

namespace {

// Stores a new code for `email` and queues its message, in `tx`; refuses
// past kMaxCodesPerHour codes for the user in the last hour.
// The code is written in `language`, the language of the page that asked
// for it.
SendOutcome sendCode(storage::Transaction& tx, WebContext& context, const AccountEmailPages& pages,
                     const domain::UserEmail& email, std::string_view language) {
  if (context.mailer == nullptr || context.email_templates == nullptr) return SendOutcome::Failed;
  auto sent = tx.userEmailCodes().countForUserSince(email.user_id,
                                                    context.clock.now() - std::chrono::hours(1));
  if (!sent) return SendOutcome::Failed;
  if (*sent >= kMaxCodesPerHour) return SendOutcome::Limited;
  const std::string code = newEmailCode(context.rng);
  auto stored = tx.userEmailCodes().add(context.rng, context.clock, email.id,
                                        pages.codeHash(email.id.str(), code),
                                        context.clock.now() + kEmailCodeLifetime);
  if (!stored) return SendOutcome::Failed;
  return queueEmailCode(tx, context, email.address, code, language) ? SendOutcome::Sent
                                                                    : SendOutcome::Failed;
}

}  // namespace

Result<ActiveSession, http::Response> AccountEmailPages::signedIn(
    const http::Request& request) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(kit_.storageFailure(request, tx.error()));
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return unexpected(kit_.storageFailure(request, active.error()));
  if (!*active) {
    return unexpected(http::Response::redirect(
        PageKit::withQuery("/login", {{"next", std::string_view(kEmailsPath)}}), 303));
  }
  return std::move(**active);
}

http::Response AccountEmailPages::refused(const http::Request& request) const {
  return kit_.errorPage(request, 403, Text("error.not_available_title"),
                        Text("emails.change_disabled"));
}

http::Response AccountEmailPages::renderList(const http::Request& request,
                                             const ActiveSession& active, int status,
                                             templates::EmailsPage page) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto emails = (*tx)->userEmails().listForUser(active.user.id);
  if (!emails) return kit_.storageFailure(request, emails.error());
  tx->reset();
  for (const domain::UserEmail& email : *emails) {
    templates::EmailEntry entry;
    entry.id = email.id.str();
    entry.address = email.address;
    entry.confirmed = email.isConfirmed();
    entry.primary = email.is_primary;
    if (!email.isConfirmed()) entry.verify_href = verifyHref(email.id);
    page.emails.push_back(std::move(entry));
  }
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.user_id = userIdOf(kit_, active);
  page.editable = context.settings.email_change_enabled;
  page.add_csrf_token = kit_.sessions().csrfToken(csrf, kAddPurpose);
  page.primary_csrf_token = kit_.sessions().csrfToken(csrf, kPrimaryPurpose);
  page.remove_csrf_token = kit_.sessions().csrfToken(csrf, kRemovePurpose);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  kit_.sessions().refresh(response, active, context.rng, context.clock);
  return response;
}

http::Response AccountEmailPages::renderVerify(const http::Request& request,
                                               const ActiveSession& active, int status,
                                               templates::EmailVerifyPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.user_id = userIdOf(kit_, active);
  page.valid_minutes = static_cast<int>(kEmailCodeLifetime.count());
  page.csrf_token = kit_.sessions().csrfToken(csrf, kVerifyPurpose);
  page.resend_csrf_token = kit_.sessions().csrfToken(csrf, kResendPurpose);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountEmailPages::showEmails(const http::Request& request) const {
  auto active = signedIn(request);
  if (!active) return std::move(active).error();
  templates::EmailsPage page;
  const std::string_view done = request.queryParam("done").value_or("");
  if (done == "verified") page.notice = Text("emails.verified");
  if (done == "primary") page.notice = Text("emails.primary_changed");
  if (done == "removed") page.notice = Text("emails.removed");
  const std::string_view add = request.queryParam("add").value_or("");
  if (add.size() <= kMaxAddressInput) page.email = std::string(add);
  if (!kit_.settings().email_change_enabled) {
    page.notice = Text("emails.change_disabled_here");
  }
  return renderList(request, *active, 200, std::move(page));
}

http::Response AccountEmailPages::submitAdd(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().email_change_enabled) return refused(request);
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  const std::string address = std::string(form->get("email").value_or("")).substr(0, 1024);
  // Adding is sensitive (UIA protected it): a recent authentication first;
  // the typed address comes back pre-filled.
  const std::string here = PageKit::withQuery(
      std::string(kEmailsPath),
      {{"add", address.size() <= kMaxAddressInput ? std::optional<std::string_view>(address)
                                                  : std::nullopt}});
  auto active = step_up_.require(request, here);
  if (!active) return std::move(active).error();
  templates::EmailsPage page;
  page.email = address.substr(0, kMaxAddressInput);
  if (!kit_.sessions().verifyCsrf(request, kAddPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderList(request, *active, 403, std::move(page));
  }
  if (address.empty()) {
    page.email_error = Text("emails.enter_address");
  } else if (address.size() > kMaxAddressInput || !domain::isValidEmailAddress(address)) {
    page.email_error = Text("form.email_invalid");
  }
  if (page.email_error) return renderList(request, *active, 400, std::move(page));

  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto existing = (*tx)->userEmails().listForUser(active->user.id);
  if (!existing) return kit_.storageFailure(request, existing.error());
  if (existing->size() >= kMaxEmailsPerUser) {
    tx->reset();
    page.email_error = Text("emails.too_many", {{"count", std::to_string(kMaxEmailsPerUser)}});
    return renderList(request, *active, 400, std::move(page));
  }
  auto added = (*tx)->userEmails().add(context.rng, context.clock, active->user.id, address);
  if (!added) {
    if (added.error().code == storage::StorageErrorCode::Conflict) {
      tx->reset();
      page.email_error = Text("emails.already_yours");
      return renderList(request, *active, 400, std::move(page));
    }
    return kit_.storageFailure(request, added.error());
  }
  switch (sendCode(**tx, context, *this, *added, kit_.pageLanguage(request))) {
    case SendOutcome::Sent:
      break;
    case SendOutcome::Limited:
      tx->reset();
      page.error = Text("emails.too_many_codes");
      return renderList(request, *active, 429, std::move(page));
    case SendOutcome::Failed:
      tx->reset();
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("emails.code_not_sent"));
  }
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditEmailAdd,
                             "{\"address\":" + jsonString(address) + "}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(verifyHref(added->id), 303);
}

http::Response AccountEmailPages::showVerify(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto active = signedIn(request);
  if (!active) return std::move(active).error();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto email = ownEmail(**tx, active->user.id, request.queryParam("id").value_or(""));
  if (!email) return kit_.storageFailure(request, email.error());
  tx->reset();
  if (!*email) return http::Response::redirect(std::string(kEmailsPath), 303);
  if ((*email)->isConfirmed()) {
    return http::Response::redirect(std::string(kEmailsPath) + "?done=verified", 303);
  }
  templates::EmailVerifyPage page;
  page.email_id = (*email)->id.str();
  page.address = (*email)->address;
  if (request.queryParam("sent") == "1") page.notice = Text("emails.code_resent");
  return renderVerify(request, *active, 200, std::move(page));
}

http::Response AccountEmailPages::submitVerify(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().email_change_enabled) return refused(request);
  auto active = signedIn(request);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto email = ownEmail(**tx, active->user.id, form->get("email_id").value_or(""));
  if (!email) return kit_.storageFailure(request, email.error());
  if (!*email) {
    tx->reset();
    return http::Response::redirect(std::string(kEmailsPath), 303);
  }
  templates::EmailVerifyPage page;
  page.email_id = (*email)->id.str();
  page.address = (*email)->address;
  if (!kit_.sessions().verifyCsrf(request, kVerifyPurpose, form->get("csrf").value_or(""))) {
    tx->reset();
    page.error = kExpiredForm;
    return renderVerify(request, *active, 403, std::move(page));
  }
  if ((*email)->isConfirmed()) {
    tx->reset();
    return http::Response::redirect(std::string(kEmailsPath) + "?done=verified", 303);
  }
  const std::string typed = typedEmailCode(form->get("code").value_or(""));
  if (typed.empty()) {
    tx->reset();
    page.code_error = Text("form.enter_email_code");
    return renderVerify(request, *active, 400, std::move(page));
  }
  auto pending = (*tx)->userEmailCodes().latestPending(context.clock, (*email)->id);
  if (!pending) return kit_.storageFailure(request, pending.error());
  if (!*pending) {
    tx->reset();
    page.code_error = Text("emails.code_expired");
    return renderVerify(request, *active, 400, std::move(page));
  }
  // The guess counts before it is compared, in its own commit, so that a
  // wrong guess is counted even though nothing else is written.
  auto counted = (*tx)->userEmailCodes().recordAttempt((*pending)->id, kMaxCodeAttempts);
  if (!counted) return kit_.storageFailure(request, counted.error());
  if (!*counted) {
    tx->reset();
    page.code_error = Text("emails.code_too_many_wrong");
    return renderVerify(request, *active, 429, std::move(page));
  }
  const bool right =
      crypto::constantTimeEquals(codeHash(page.email_id, typed), (*pending)->code_hash);
  if (!right) {
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
    page.code_error = Text("form.wrong_code");
    return renderVerify(request, *active, 400, std::move(page));
  }
  auto consumed = (*tx)->userEmailCodes().consume(context.clock, (*pending)->id);
  if (!consumed) return kit_.storageFailure(request, consumed.error());
  if (!*consumed) {
    tx->reset();
    page.code_error = Text("emails.code_expired");
    return renderVerify(request, *active, 400, std::move(page));
  }
  auto confirmed = (*tx)->userEmails().confirm(context.clock, (*email)->id);
  if (!confirmed) {
    if (confirmed.error().code == storage::StorageErrorCode::Conflict) {
      // Another account verified this address: said only to whoever
      // proved they control the mailbox (see the header).
      tx->reset();
      page.error = Text("emails.in_use");
      return renderVerify(request, *active, 409, std::move(page));
    }
    return kit_.storageFailure(request, confirmed.error());
  }
  auto all = (*tx)->userEmails().listForUser(active->user.id);
  if (!all) return kit_.storageFailure(request, all.error());
  bool has_primary = false;
  for (const domain::UserEmail& other : *all) has_primary = has_primary || other.is_primary;
  if (!has_primary) {
    auto primary = (*tx)->userEmails().setPrimary(active->user.id, (*email)->id);
    if (!primary) return kit_.storageFailure(request, primary.error());
  }
  auto provision = jobs::enqueueUserProvisioning(**tx, context.rng, context.clock, active->user.id);
  if (!provision) return kit_.storageFailure(request, provision.error());
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditEmailVerify,
                             "{\"address\":" + jsonString(page.address) + "}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(std::string(kEmailsPath) + "?done=verified", 303);
}

http::Response AccountEmailPages::submitResend(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().email_change_enabled) return refused(request);
  auto active = signedIn(request);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto email = ownEmail(**tx, active->user.id, form->get("email_id").value_or(""));
  if (!email) return kit_.storageFailure(request, email.error());
  if (!*email || (*email)->isConfirmed()) {
    tx->reset();
    return http::Response::redirect(std::string(kEmailsPath), 303);
  }
  templates::EmailVerifyPage page;
  page.email_id = (*email)->id.str();
  page.address = (*email)->address;
  if (!kit_.sessions().verifyCsrf(request, kResendPurpose, form->get("csrf").value_or(""))) {
    tx->reset();
    page.error = kExpiredForm;
    return renderVerify(request, *active, 403, std::move(page));
  }
  switch (sendCode(**tx, context, *this, **email, kit_.pageLanguage(request))) {
    case SendOutcome::Sent:
      break;
    case SendOutcome::Limited:
      tx->reset();
      page.error = Text("emails.too_many_codes");
      return renderVerify(request, *active, 429, std::move(page));
    case SendOutcome::Failed:
      tx->reset();
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("emails.code_not_sent"));
  }
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(
      PageKit::withQuery(std::string(kEmailVerifyPath), {{"id", page.email_id}, {"sent", "1"}}),
      303);
}

http::Response AccountEmailPages::submitPrimary(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().email_change_enabled) return refused(request);
  auto active = signedIn(request);
  if (!active) return std::move(active).error();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::EmailsPage page;
  if (!kit_.sessions().verifyCsrf(request, kPrimaryPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderList(request, *active, 403, std::move(page));
  }
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto email = ownEmail(**tx, active->user.id, form->get("email_id").value_or(""));
  if (!email) return kit_.storageFailure(request, email.error());
  if (!*email || !(*email)->isConfirmed()) {
    tx->reset();
    page.error = Text("emails.primary_must_be_verified");
    return renderList(request, *active, 400, std::move(page));
  }
  auto set = (*tx)->userEmails().setPrimary(active->user.id, (*email)->id);
  if (!set) return kit_.storageFailure(request, set.error());
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditEmailPrimary,
                             "{\"address\":" + jsonString((*email)->address) + "}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(std::string(kEmailsPath) + "?done=primary", 303);
}

http::Response AccountEmailPages::submitRemove(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!kit_.settings().email_change_enabled) return refused(request);
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  // Removing is sensitive (UIA protected it).
  auto active = step_up_.require(request, kEmailsPath);
  if (!active) return std::move(active).error();
  templates::EmailsPage page;
  if (!kit_.sessions().verifyCsrf(request, kRemovePurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderList(request, *active, 403, std::move(page));
  }
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto email = ownEmail(**tx, active->user.id, form->get("email_id").value_or(""));
  if (!email) return kit_.storageFailure(request, email.error());
  if (!*email) {
    tx->reset();
    return http::Response::redirect(std::string(kEmailsPath), 303);
  }
  if ((*email)->is_primary) {
    auto all = (*tx)->userEmails().listForUser(active->user.id);
    if (!all) return kit_.storageFailure(request, all.error());
    for (const domain::UserEmail& other : *all) {
      if (other.id != (*email)->id && other.isConfirmed()) {
        tx->reset();
        page.error = Text("emails.remove_primary");
        return renderList(request, *active, 400, std::move(page));
      }
    }
  }
  auto removed = (*tx)->userEmails().remove((*email)->id);
  if (!removed) return kit_.storageFailure(request, removed.error());
  if ((*email)->isConfirmed()) {
    auto provision =
        jobs::enqueueUserProvisioning(**tx, context.rng, context.clock, active->user.id);
    if (!provision) return kit_.storageFailure(request, provision.error());
  }
  auto audited = recordAudit(**tx, context, request, active->user.id, kAuditEmailRemove,
                             "{\"address\":" + jsonString((*email)->address) + ",\"verified\":" +
                                 ((*email)->isConfirmed() ? "true" : "false") + "}");
  if (!audited) return kit_.storageFailure(request, audited.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  return http::Response::redirect(std::string(kEmailsPath) + "?done=removed", 303);
}

}  // namespace mxauth::web
