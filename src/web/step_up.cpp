#include "web/step_up.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <utility>

#include "accounts/password_login.h"
#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/random.h"
#include "email/message.h"
#include "http/client_address.h"
#include "web/navigation.h"

namespace mxauth::web {
namespace {

constexpr std::string_view kReauthPath = "/account/reauth";
constexpr std::string_view kAccountPath = "/account/";
constexpr std::size_t kProgressIdBytes = 16;
constexpr char kSeparator = '|';

std::string csrfPurpose(const StepUpProgress& progress) {
  return "reauth:" + progress.id + ":" + std::to_string(progress.done);
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string_view> splitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t at = text.find(kSeparator);
    fields.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return fields;
    text.remove_prefix(at + 1);
  }
}

// "session|stages|id|done|started ms|completed ms or empty"
std::string encodeProgress(const StepUpProgress& progress) {
  std::string text = progress.session.str();
  for (const std::string& field :
       {progress.stages, progress.id, std::to_string(progress.done),
        std::to_string(toUnixMillis(progress.started_at)),
        progress.completed_at ? std::to_string(toUnixMillis(*progress.completed_at))
                              : std::string()}) {
    text += kSeparator;
    text += field;
  }
  return text;
}

std::optional<StepUpProgress> decodeProgress(std::string_view text) {
  const std::vector<std::string_view> fields = splitFields(text);
  if (fields.size() != 6) return std::nullopt;
  auto session = domain::BrowserSessionId::parse(fields[0]);
  const auto done = parseInteger(fields[3]);
  const auto started = parseInteger(fields[4]);
  if (!session || !done || *done < 0 || !started || fields[2].empty()) return std::nullopt;
  StepUpProgress progress;
  progress.session = std::move(*session);
  progress.stages = std::string(fields[1]);
  progress.id = std::string(fields[2]);
  progress.done = static_cast<std::size_t>(*done);
  progress.started_at = fromUnixMillis(*started);
  if (!fields[5].empty()) {
    const auto completed = parseInteger(fields[5]);
    if (!completed) return std::nullopt;
    progress.completed_at = fromUnixMillis(*completed);
  }
  return progress;
}

// The local path to return to after the step-up: `next` when it is safe,
// else the account page (never another host, RFC 9700 §4.11).
std::string returnPath(std::optional<std::string_view> next) {
  if (next) {
    if (auto safe = safeLocalPath(*next)) return *safe;
  }
  return std::string(kAccountPath);
}

}  // namespace

StagePrompt PasswordStage::prompt(const StageAttempt& /*attempt*/) const {
  StagePrompt prompt;
  prompt.lead = Text("reauth.password_lead");
  templates::FormField password;
  password.name = "password";
  password.label = Text("field.password");
  prompt.fields.push_back(std::move(password));
  return prompt;
}

StageOutcome PasswordStage::check(const StageAttempt& attempt, const http::FormParams& form) const {
  const std::string_view password = form.get("password").value_or("");
  if (password.empty()) return {StageResult::Failed, Text("form.enter_password"), {}};
  WebContext& context = attempt.kit.context();
  const std::string client_key = http::addressKey(attempt.request.remote_address);
  // The login throttle (accounts/login_throttle.h) counts this attempt per
  // address and, when wrong, per account, together with the logins.
  auto user =
      accounts::checkPassword({context.database, context.hasher, context.rng, context.clock,
                               context.settings.homeserver, context.login_throttle, client_key},
                              attempt.active.user.localpart, password);
  if (user) {
    if (user->id != attempt.active.user.id)
      return {StageResult::Failed, Text("reauth.wrong_password"), {}};
    return {StageResult::Passed, std::nullopt, {}};
  }
  switch (user.error().code) {
    case accounts::PasswordLoginError::WrongCredentials:
      return {StageResult::Failed, Text("reauth.wrong_password"), {}};
    case accounts::PasswordLoginError::Deactivated:
    case accounts::PasswordLoginError::Locked:
      // The session ends with the account (web/session.h); this attempt
      // raced the change.
      return {StageResult::Failed, Text("reauth.cannot_sign_in"), {}};
    case accounts::PasswordLoginError::RateLimited:
      return {StageResult::RateLimited, std::nullopt, user.error().retry_after};
    case accounts::PasswordLoginError::Overloaded:
      return {StageResult::Overloaded, std::nullopt, {}};
    case accounts::PasswordLoginError::Unavailable:
      return {StageResult::Unavailable, std::nullopt, {}};
    case accounts::PasswordLoginError::Internal:
      break;
  }
  return {StageResult::Internal, std::nullopt, {}};
}

namespace {

constexpr std::string_view kEmailCodePurpose = "web-step-up-email";
constexpr int kCodeDigits = 6;

// Where the code goes: the user's primary address when it is confirmed,
// else their first confirmed one (creation order); empty when none.
Result<std::optional<std::string>, storage::StorageError> confirmedAddress(
    WebContext& context, const domain::UserId& user) {
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(std::move(tx).error());
  auto emails = (*tx)->userEmails().listForUser(user);
  if (!emails) return unexpected(std::move(emails).error());
  std::optional<std::string> first;
  for (const domain::UserEmail& email : *emails) {
    if (!email.isConfirmed()) continue;
    if (email.is_primary) return std::optional<std::string>(email.address);
    if (!first) first = email.address;
  }
  return first;
}

// "a•••@example.org": enough to recognise one's address, not to learn it.
std::string maskedAddress(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::string(address);
  return std::string(address.substr(0, 1)) + "\u2022\u2022\u2022" + std::string(address.substr(at));
}

}  // namespace

EmailCodeStage::EmailCodeStage(const crypto::EncryptionSecret& secret)
    : key_(crypto::deriveKey(secret, kEmailCodePurpose)) {}

std::string EmailCodeStage::codeFor(const StageAttempt& attempt) const {
  std::string message = attempt.active.session.id.str();
  message.push_back('\0');
  message.append(attempt.progress_id);
  const crypto::Sha256Digest mac = crypto::hmacSha256(key_, core::asBytes(message));
  std::uint64_t number = 0;
  for (std::size_t i = 0; i < 8; ++i) number = (number << 8) | mac[i];
  std::string code = std::to_string(number % 1000000);
  return std::string(static_cast<std::size_t>(kCodeDigits) - code.size(), '0') + code;
}

bool EmailCodeStage::begin(const StageAttempt& attempt) const {
  WebContext& context = attempt.kit.context();
  if (context.mailer == nullptr || context.email_templates == nullptr) return true;
  auto address = confirmedAddress(context, attempt.active.user.id);
  if (!address) return false;
  if (!*address) return true;  // prompt() says why the stage cannot pass
  templates::VerificationCodeEmail email;
  email.layout.service_name = context.settings.service_name;
  email.layout.lang = attempt.kit.pageLanguage(attempt.request);
  email.code = codeFor(attempt);
  email.address = **address;
  email.valid_minutes = static_cast<int>(kProgressLifetime.count());
  const templates::RenderedEmail rendered = context.email_templates->render(email);
  auto tx = context.database.begin();
  if (!tx) return false;
  auto queued = context.mailer->queue(
      **tx, email::Message{**address, rendered.subject, rendered.text, rendered.html});
  if (!queued) return false;
  return (*tx)->commit().has_value();
}

StagePrompt EmailCodeStage::prompt(const StageAttempt& attempt) const {
  WebContext& context = attempt.kit.context();
  StagePrompt prompt;
  auto address = confirmedAddress(context, attempt.active.user.id);
  if (context.mailer == nullptr || !address || !*address) {
    prompt.lead = Text("reauth.no_email");
    return prompt;
  }
  prompt.lead = Text("reauth.email_lead", {{"address", maskedAddress(**address)}});
  templates::FormField code;
  code.name = "code";
  code.label = Text("common.code");
  code.type = "text";
  code.autocomplete = "one-time-code";
  code.plain_text = true;
  prompt.fields.push_back(std::move(code));
  return prompt;
}

StageOutcome EmailCodeStage::check(const StageAttempt& attempt,
                                   const http::FormParams& form) const {
  WebContext& context = attempt.kit.context();
  if (context.mailer == nullptr) return {StageResult::Failed, Text("reauth.no_code"), {}};
  std::string typed;
  for (const char c : form.get("code").value_or("")) {
    if (c >= '0' && c <= '9') typed.push_back(c);  // "123 456" is fine
  }
  if (typed.empty()) return {StageResult::Failed, Text("form.enter_email_code"), {}};
  // The login limits (checklist G.45): every attempt per address, wrong
  // codes per account, as for passwords.
  const std::string account = attempt.active.user.localpart;
  if (accounts::LoginThrottle* throttle = context.login_throttle) {
    const core::RateDecision address =
        throttle->admitAddress(http::addressKey(attempt.request.remote_address));
    if (!address.allowed) return {StageResult::RateLimited, std::nullopt, address.retry_after};
    const core::RateDecision per_account = throttle->admitAccount(account);
    if (!per_account.allowed) {
      return {StageResult::RateLimited, std::nullopt, per_account.retry_after};
    }
  }
  const bool right = crypto::constantTimeEquals(codeFor(attempt), typed);
  if (accounts::LoginThrottle* throttle = context.login_throttle) {
    if (right) {
      throttle->forgiveAccount(account);
    } else {
      throttle->settleAccount(account);
    }
  }
  if (!right) return {StageResult::Failed, Text("form.wrong_code"), {}};
  return {StageResult::Passed, std::nullopt, {}};
}

std::unique_ptr<StepUpStage> makeStepUpStage(std::string_view name,
                                             const crypto::EncryptionSecret& secret) {
  if (name == "password") return std::make_unique<PasswordStage>();
  if (name == "email") return std::make_unique<EmailCodeStage>(secret);
  return nullptr;
}

StepUp::StepUp(const PageKit& kit)
    : kit_(kit),
      aead_(kit.context().encryption_secret),
      cookie_name_(kit.sessions().secureCookies() ? "__Host-mxauth-step-up" : "mxauth-step-up") {
  for (const std::string& name : kit.settings().step_up_stages) {
    auto stage = makeStepUpStage(name, kit.context().encryption_secret);
    if (!stage) {
      misconfigured_ = true;
      continue;
    }
    if (!stage->provedByPasswordLogin()) login_suffices_ = false;
    stages_.push_back(std::move(stage));
  }
  if (stages_.empty()) misconfigured_ = true;
}

StepUp::StepUp(const PageKit& kit, std::vector<std::unique_ptr<StepUpStage>> stages)
    : kit_(kit),
      stages_(std::move(stages)),
      aead_(kit.context().encryption_secret),
      cookie_name_(kit.sessions().secureCookies() ? "__Host-mxauth-step-up" : "mxauth-step-up") {
  for (const auto& stage : stages_) {
    if (!stage->provedByPasswordLogin()) login_suffices_ = false;
  }
  if (stages_.empty()) misconfigured_ = true;
}

std::string StepUp::stageList() const {
  std::string list;
  for (const auto& stage : stages_) {
    if (!list.empty()) list += ',';
    list += stage->name();
  }
  return list;
}

std::optional<StepUpProgress> StepUp::readProgress(const http::Request& request,
                                                   const ActiveSession& active) const {
  const auto sealed = request.cookie(cookie_name_);
  if (!sealed) return std::nullopt;
  auto opened = aead_.open(*sealed, cookie_name_);
  if (!opened) return std::nullopt;
  auto progress = decodeProgress(*opened);
  if (!progress) return std::nullopt;
  // Bound to this browser session and this list of stages, for a while.
  if (progress->session != active.session.id || progress->stages != stageList()) {
    return std::nullopt;
  }
  if (progress->done > stages_.size()) return std::nullopt;
  if (kit_.context().clock.now() - progress->started_at >= kProgressLifetime &&
      !progress->completed_at) {
    return std::nullopt;
  }
  return progress;
}

StepUpProgress StepUp::startProgress(const ActiveSession& active) const {
  WebContext& context = kit_.context();
  StepUpProgress progress;
  progress.session = active.session.id;
  progress.stages = stageList();
  progress.id = crypto::randomUrlSafeString(context.rng, kProgressIdBytes);
  progress.started_at = context.clock.now();
  return progress;
}

void StepUp::writeProgress(http::Response& response, const StepUpProgress& progress) const {
  const std::string sealed = aead_.seal(kit_.context().rng, encodeProgress(progress), cookie_name_);
  response.setCookie(http::SetCookie(cookie_name_, sealed)
                         .secure(kit_.sessions().secureCookies())
                         .httpOnly(true)
                         .sameSite(http::SameSite::Lax)
                         .path("/"));
}

http::Response StepUp::misconfiguredPage(const http::Request& request) const {
  return kit_.errorPage(request, 500, Text("error.title"), Text("reauth.misconfigured"));
}

bool StepUp::isRecent(const http::Request& request, const ActiveSession& active) const {
  if (misconfigured_) return false;
  const Timestamp now = kit_.context().clock.now();
  if (now - active.session.authenticated_at >= kit_.settings().step_up_max_age) return false;
  if (login_suffices_) return true;
  const auto progress = readProgress(request, active);
  return progress && progress->completed_at == active.session.authenticated_at;
}

Result<ActiveSession, http::Response> StepUp::require(const http::Request& request,
                                                      std::string_view here) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(kit_.storageFailure(request, tx.error()));
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return unexpected(kit_.storageFailure(request, active.error()));
  tx->reset();
  if (!*active) {
    return unexpected(
        http::Response::redirect(PageKit::withQuery("/login", {{"next", here}}), 303));
  }
  if (misconfigured_) return unexpected(misconfiguredPage(request));
  if (!isRecent(request, **active)) {
    return unexpected(http::Response::redirect(
        PageKit::withQuery(std::string(kReauthPath), {{"next", here}}), 303));
  }
  return std::move(**active);
}

http::Response StepUp::renderStage(const http::Request& request, const ActiveSession& active,
                                   const StepUpProgress& progress, const std::string& next,
                                   int status, std::optional<Text> error,
                                   std::optional<Text> field_error) const {
  WebContext& context = kit_.context();
  const StepUpStage& stage = *stages_.at(progress.done);
  const StagePrompt prompt = stage.prompt({kit_, request, active, progress.id});
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::ReauthPage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, csrfPurpose(progress));
  page.user_id = userIdOf(kit_, active);
  page.next = next;
  page.lead = prompt.lead;
  page.fields = prompt.fields;
  if (field_error && !page.fields.empty()) page.fields.front().error = std::move(field_error);
  page.step = static_cast<int>(progress.done) + 1;
  page.steps = static_cast<int>(stages_.size());
  page.error = std::move(error);
  http::Response response = kit_.html(status, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  writeProgress(response, progress);
  return response;
}

http::Response stageFailurePage(const PageKit& kit, const http::Request& request,
                                StageResult result, const Text& what) {
  switch (result) {
    case StageResult::Overloaded:
      return kit.errorPage(request, 503, Text("error.unavailable_title"),
                           Text("error.busy_sign_ins"));
    case StageResult::Unavailable:
      return kit.storageFailure(
          request, storage::StorageError{storage::StorageErrorCode::Unavailable, "step-up check"});
    default:
      return kit.errorPage(request, 500, Text("error.title"),
                           Text("reauth.check_failed").with("what", what));
  }
}

http::Response StepUp::showReauth(const http::Request& request) const {
  WebContext& context = kit_.context();
  const std::string next = returnPath(request.queryParam("next"));
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();
  if (!*active) {
    return http::Response::redirect(
        PageKit::withQuery("/login", {{"next", std::string_view(request.target)}}), 303);
  }
  if (misconfigured_) return misconfiguredPage(request);
  if (isRecent(request, **active)) return http::Response::redirect(next, 303);
  auto progress = readProgress(request, **active);
  // A completed step-up that is no longer recent starts again.
  if (!progress || progress->completed_at || progress->done >= stages_.size()) {
    progress = startProgress(**active);
    if (!stages_.front()->begin({kit_, request, **active, progress->id})) {
      return kit_.storageFailure(
          request, storage::StorageError{storage::StorageErrorCode::Unavailable, "step-up stage"});
    }
  }
  return renderStage(request, **active, *progress, next, 200, std::nullopt, std::nullopt);
}

http::Response StepUp::submitReauth(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  const std::string next = returnPath(form->get("next"));
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();
  if (!*active) {
    return http::Response::redirect(
        PageKit::withQuery(
            "/login", {{"next", PageKit::withQuery(std::string(kReauthPath), {{"next", next}})}}),
        303);
  }
  if (misconfigured_) return misconfiguredPage(request);

  auto progress = readProgress(request, **active);
  const bool pending = progress && !progress->completed_at && progress->done < stages_.size();
  // A stale form: of an earlier stage, an earlier step-up, another browser,
  // or another site. Nothing is checked; the current stage comes back.
  if (!pending || !kit_.sessions().verifyCsrf(request, csrfPurpose(*progress),
                                              form->get("csrf").value_or(""))) {
    if (!pending) progress = startProgress(**active);
    return renderStage(request, **active, *progress, next, 403, kExpiredForm, std::nullopt);
  }

  const StepUpStage& stage = *stages_.at(progress->done);
  const StageOutcome outcome = stage.check({kit_, request, **active, progress->id}, *form);
  switch (outcome.result) {
    case StageResult::Passed:
      break;
    case StageResult::Failed:
      return renderStage(request, **active, *progress, next, 400, std::nullopt,
                         outcome.field_error);
    case StageResult::RateLimited: {
      http::Response response =
          renderStage(request, **active, *progress, next, 429,
                      Text("form.too_many_attempts").with("wait", waitMessage(outcome.retry_after)),
                      std::nullopt);
      response.setHeader("Retry-After", retryAfterSeconds(outcome.retry_after));
      return response;
    }
    case StageResult::Overloaded:
    case StageResult::Unavailable:
    case StageResult::Internal:
      return stageFailurePage(kit_, request, outcome.result, Text("reauth.what_step"));
  }

  // The stage passed: a new progress id, so that this stage's form (and
  // its token) cannot be posted again.
  StepUpProgress advanced = startProgress(**active);
  advanced.started_at = progress->started_at;
  advanced.done = progress->done + 1;
  if (advanced.done < stages_.size()) {
    if (!stages_.at(advanced.done)->begin({kit_, request, **active, advanced.id})) {
      return kit_.storageFailure(
          request, storage::StorageError{storage::StorageErrorCode::Unavailable, "step-up stage"});
    }
    http::Response response =
        http::Response::redirect(PageKit::withQuery(std::string(kReauthPath), {{"next", next}}));
    writeProgress(response, advanced);
    return response;
  }
  auto write = context.database.begin();
  if (!write) return kit_.storageFailure(request, write.error());
  auto reauthenticated =
      (*write)->browserSessions().reauthenticate(context.clock, (*active)->session.id);
  if (!reauthenticated) return kit_.storageFailure(request, reauthenticated.error());
  if (!*reauthenticated) {
    // The session ended meanwhile (signed out elsewhere).
    return http::Response::redirect(PageKit::withQuery("/login", {{"next", next}}), 303);
  }
  auto committed = (*write)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  advanced.completed_at = (*reauthenticated)->authenticated_at;
  http::Response response = http::Response::redirect(next, 303);
  writeProgress(response, advanced);
  return response;
}

}  // namespace mxauth::web
