#include "web/account_pages.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "accounts/password_login.h"
#include "crypto/token.h"
#include "domain/email_address.h"
#include "domain/localpart.h"
#include "http/client_address.h"
#include "jobs/homeserver_jobs.h"
#include "web/account_actions.h"
#include "web/account_effects.h"
#include "web/account_emails.h"
#include "web/account_profile.h"
#include "web/account_security.h"
#include "web/account_sessions.h"
#include "web/end_session.h"
#include "web/navigation.h"
#include "web/password_rules.h"
#include "web/recovery.h"

namespace mxauth::web {
namespace {

const Text kWrongCredentials{"login.wrong_credentials"};
constexpr std::string_view kLoginPurpose = "login";
constexpr std::string_view kRegisterPurpose = "register";
constexpr std::string_view kLogoutPurpose = kLogoutCsrfPurpose;
constexpr std::size_t kMaxUsernameInput = 320;
constexpr std::string_view kAccountPath = "/account/";
constexpr std::size_t kMaxTokenInput = 128;
const Text kUnusableToken{"register.token_unusable"};

// What the register form says about a username the grammar refuses.
Text localpartProblem(domain::LocalpartError error) {
  switch (error) {
    case domain::LocalpartError::Empty:
      return Text("register.username_empty");
    case domain::LocalpartError::TooLong:
      return Text("register.username_too_long");
    case domain::LocalpartError::InvalidCharacter:
      return Text("register.username_invalid_character");
    case domain::LocalpartError::Reserved:
      return Text("register.username_reserved");
  }
  return Text("register.username_invalid");
}

// Whether a registration token can still be used at `now`.
bool usable(const storage::RegistrationToken& token, Timestamp now) {
  if (token.revoked_at) return false;
  if (token.expires_at && *token.expires_at <= now) return false;
  return !token.usage_limit || token.times_used < *token.usage_limit;
}

std::string fieldOf(const http::FormParams& form, std::string_view name) {
  return std::string(form.get(name).value_or(""));
}

std::optional<std::string> nextOf(const http::FormParams& params) {
  const auto next = params.get("next");
  if (!next) return std::nullopt;
  return safeLocalPath(*next);
}

// The grant a `next` of /authorize/continue?id=... continues.
std::optional<domain::AuthorizationGrantId> continuedGrant(const std::optional<std::string>& next) {
  constexpr std::string_view kContinue = "/authorize/continue?id=";
  if (!next || !next->starts_with(kContinue)) return std::nullopt;
  return domain::AuthorizationGrantId::parse(next->substr(kContinue.size()));
}

// The form-action source of the grant `next` continues, when this instance
// remembers it (web/grant_form_targets.h).
std::optional<std::string> rememberedFormTarget(const WebContext& context,
                                                const std::optional<std::string>& next) {
  const auto id = continuedGrant(next);
  if (!id || context.grant_form_targets == nullptr) return std::nullopt;
  return context.grant_form_targets->find(*id);
}

// A login or registration form that continues a pending authorization
// request may end, through redirects, at the client's redirect URI (when
// its consent is remembered, web/consent.h), and browsers hold those
// redirects to form-action: the client's origin is allowed there too, as
// on the consent page.
void allowContinuationTarget(WebContext& context, const std::optional<std::string>& next,
                             http::Response& response) {
  const auto id = continuedGrant(next);
  if (!id) return;
  if (auto source = rememberedFormTarget(context, next)) {
    response.setHeader("Content-Security-Policy", contentSecurityPolicy(*source, ""));
    return;
  }
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return;
  auto grant = (*tx)->authorizationGrants().lookup(*id);
  if (!grant || !*grant || !(*grant)->isPending()) return;
  const std::string source = cspSourceFor((*grant)->redirect_uri);
  if (source.empty()) return;
  response.setHeader("Content-Security-Policy", contentSecurityPolicy(source, ""));
}

}  // namespace

http::Response AccountPages::renderLogin(const http::Request& request, int status,
                                         templates::LoginPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kLoginPurpose);
  if (context.settings.registration_enabled) {
    page.register_href = PageKit::withQuery("/register", {{"next", page.next}});
  }
  if (context.settings.password_recovery_enabled && context.mailer != nullptr) {
    page.recover_href = std::string(kRecoverPath);
  }
  http::Response response = kit_.html(status, context.templates.render(page));
  allowContinuationTarget(context, page.next, response);
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountPages::showLogin(const http::Request& request) const {
  templates::LoginPage page;
  page.next = nextOf(request.query);
  const std::string_view username = request.queryParam("username").value_or("");
  if (username.size() <= kMaxUsernameInput) page.username = std::string(username);
  if (request.queryParam("reauth")) page.notice = Text("login.reauth_notice");
  return renderLogin(request, 200, std::move(page));
}

std::optional<http::Response> AccountPages::showLoginWithoutStorage(
    const http::Request& request) const {
  const std::optional<std::string> next = nextOf(request.query);
  if (continuedGrant(next) && !rememberedFormTarget(kit_.context(), next)) return std::nullopt;
  return showLogin(request);
}

http::Response AccountPages::submitLogin(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::LoginPage page;
  page.next = nextOf(*form);
  page.username = fieldOf(*form, "username").substr(0, kMaxUsernameInput);
  const std::string password = fieldOf(*form, "password");

  if (!kit_.sessions().verifyCsrf(request, kLoginPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderLogin(request, 403, std::move(page));
  }
  if (page.username.empty()) page.username_error = Text("login.enter_username");
  if (password.empty()) page.password_error = Text("form.enter_password");
  if (page.username_error || page.password_error) {
    return renderLogin(request, 400, std::move(page));
  }

  const auto overloaded = [&]() {
    return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                          Text("error.busy_sign_ins"));
  };
  const std::string client_key = http::addressKey(request.remote_address);
  auto user =
      accounts::checkPassword({context.database, context.hasher, context.rng, context.clock,
                               context.settings.homeserver, context.login_throttle, client_key},
                              page.username, password);
  if (!user) {
    switch (user.error().code) {
      case accounts::PasswordLoginError::WrongCredentials:
        page.error = kWrongCredentials;
        return renderLogin(request, 400, std::move(page));
      case accounts::PasswordLoginError::Deactivated:
        page.error = Text("login.deactivated");
        return renderLogin(request, 403, std::move(page));
      case accounts::PasswordLoginError::Locked:
        page.error = Text("login.locked");
        return renderLogin(request, 403, std::move(page));
      case accounts::PasswordLoginError::Overloaded:
        return overloaded();
      case accounts::PasswordLoginError::RateLimited: {
        // Checklist G.45: the same words whichever limit it was, so that
        // they say nothing about the account.
        const Duration wait = user.error().retry_after;
        page.error = Text("login.too_many_attempts").with("wait", waitMessage(wait));
        http::Response response = renderLogin(request, 429, std::move(page));
        response.setHeader("Retry-After", retryAfterSeconds(wait));
        return response;
      }
      case accounts::PasswordLoginError::Unavailable:
        return kit_.storageFailure(
            request,
            storage::StorageError{storage::StorageErrorCode::Unavailable, "password check"});
      case accounts::PasswordLoginError::Internal:
        break;
    }
    return kit_.errorPage(request, 500, Text("error.title"), Text("login.check_failed"));
  }
  return startSession(request, user->id, page.next);
}

http::Response AccountPages::startSession(const http::Request& request, const domain::UserId& user,
                                          const std::optional<std::string>& next) const {
  WebContext& context = kit_.context();
  // A new browser session need not wait for the disk (storage/database.h):
  // lost in a crash of the database, its user signs in again. Ending the
  // session a cookie still names is a logout, which must not be lost.
  auto tx = context.database.begin(kit_.sessions().sessionCookie(request)
                                       ? storage::TransactionMode::ReadWrite
                                       : storage::TransactionMode::ReadWriteUnsynced);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto previous = kit_.sessions().current(request, **tx, context.clock);
  if (!previous) return kit_.storageFailure(request, previous.error());
  if (*previous) {
    auto finished = (*tx)->browserSessions().finish(context.clock, (*previous)->session.id);
    if (!finished) return kit_.storageFailure(request, finished.error());
  }
  storage::NewBrowserSession fresh;
  fresh.user_id = user;
  fresh.user_agent = boundedUserAgent(request);
  fresh.ip_address = request.remote_address;
  auto added = (*tx)->browserSessions().add(context.rng, context.clock, fresh);
  if (!added) return kit_.storageFailure(request, added.error());
  auto committed = (*tx)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());

  http::Response response = http::Response::redirect(next.value_or(std::string(kAccountPath)), 303);
  kit_.sessions().attach(response, added->id, context.rng, context.clock);
  return response;
}

http::Response AccountPages::renderRegister(const http::Request& request, int status,
                                            templates::RegisterPage page) const {
  WebContext& context = kit_.context();
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kRegisterPurpose);
  page.homeserver = context.settings.homeserver;
  page.login_href = PageKit::withQuery("/login", {{"next", page.next}});
  page.token_required = context.settings.registration_token_required;
  page.tos_uri = context.settings.tos_uri;
  page.email_required = context.settings.email_verification_required;
  http::Response response = kit_.html(status, context.templates.render(page));
  allowContinuationTarget(context, page.next, response);
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountPages::showRegister(const http::Request& request) const {
  if (!kit_.settings().registration_enabled) {
    return kit_.errorPage(request, 404, Text("register.closed_title"), Text("register.closed"));
  }
  templates::RegisterPage page;
  page.next = nextOf(request.query);
  return renderRegister(request, 200, std::move(page));
}

http::Response AccountPages::submitRegister(const http::Request& request) const {
  WebContext& context = kit_.context();
  if (!context.settings.registration_enabled) {
    return kit_.errorPage(request, 404, Text("register.closed_title"), Text("register.closed"));
  }
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  templates::RegisterPage page;
  page.next = nextOf(*form);
  page.username = fieldOf(*form, "username").substr(0, kMaxUsernameInput);
  page.email = fieldOf(*form, "email").substr(0, kMaxUsernameInput);
  const std::string password = fieldOf(*form, "password");
  const std::string confirm = fieldOf(*form, "password_confirm");
  page.registration_token = fieldOf(*form, "registration_token").substr(0, kMaxTokenInput);
  page.accept_terms = form->contains("accept_terms");

  if (!kit_.sessions().verifyCsrf(request, kRegisterPurpose, form->get("csrf").value_or(""))) {
    page.error = kExpiredForm;
    return renderRegister(request, 403, std::move(page));
  }

  auto localpart = domain::Localpart::parse(page.username, context.settings.homeserver);
  if (!localpart) page.username_error = localpartProblem(localpart.error());
  if (page.email.empty() && context.settings.email_verification_required) {
    page.email_error = Text("register.email_required");
  } else if (!page.email.empty() && !domain::isValidEmailAddress(page.email)) {
    page.email_error = Text("register.email_invalid");
  }
  if (auto problem = passwordProblem(
          password, localpart ? localpart->str() : std::string_view(page.username))) {
    page.password_error = std::move(problem);
  }
  if (!page.password_error && password != confirm) {
    page.password_confirm_error = Text("form.passwords_mismatch");
  }
  const bool token_required = context.settings.registration_token_required;
  const std::string token_hash = crypto::tokenHashHex(page.registration_token);
  if (token_required) {
    if (page.registration_token.empty()) {
      page.registration_token_error = Text("register.enter_token");
    } else {
      // A first look, before the costly password hash; the use that counts
      // is the conditional write in the transaction below.
      auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
      if (!tx) return kit_.storageFailure(request, tx.error());
      auto found = (*tx)->registrationTokens().findByHash(token_hash);
      if (!found) return kit_.storageFailure(request, found.error());
      if (!*found || !usable(**found, context.clock.now())) {
        page.registration_token_error = kUnusableToken;
      }
    }
  }
  const bool terms = context.settings.tos_uri && !context.settings.tos_uri->empty();
  if (terms && !page.accept_terms) {
    page.accept_terms_error = Text("register.accept_terms_required");
  }
  if (page.username_error || page.email_error || page.password_error ||
      page.password_confirm_error || page.registration_token_error || page.accept_terms_error) {
    return renderRegister(request, 400, std::move(page));
  }

  const auto taken = [&]() {
    page.username_error = Text("register.username_taken");
    return renderRegister(request, 409, std::move(page));
  };
  {
    auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return kit_.storageFailure(request, tx.error());
    auto existing = (*tx)->users().findByLocalpart(localpart->str());
    if (!existing) return kit_.storageFailure(request, existing.error());
    if (*existing) return taken();
  }
  // The homeserver has the last word on a localpart (spec-digest §5.5):
  // another account, an application service's namespace, its own rules.
  if (context.homeserver != nullptr) {
    auto available = context.homeserver->isLocalpartAvailable(localpart->str());
    if (!available) {
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("register.homeserver_unreachable"));
    }
    switch (*available) {
      case homeserver::LocalpartAvailability::Available:
        break;
      case homeserver::LocalpartAvailability::InUse:
        return taken();
      case homeserver::LocalpartAvailability::Invalid:
        page.username_error = Text("register.username_refused");
        return renderRegister(request, 400, std::move(page));
      case homeserver::LocalpartAvailability::Exclusive:
        page.username_error = Text("register.username_exclusive");
        return renderRegister(request, 409, std::move(page));
    }
  }

  auto hash = context.hasher.hash(context.rng, password);
  if (!hash) {
    if (hash.error() == crypto::PasswordError::Overloaded) {
      return kit_.errorPage(request, 503, Text("error.unavailable_title"),
                            Text("error.busy_sign_ins"));
    }
    page.password_error = Text("form.password_refused");
    return renderRegister(request, 400, std::move(page));
  }

  const std::optional<std::string> spent_token =
      token_required ? std::optional<std::string>(token_hash) : std::nullopt;
  const std::optional<std::string> terms_uri =
      terms ? context.settings.tos_uri : std::optional<std::string>();
  if (context.settings.email_verification_required) {
    return startEmailVerification(request, std::move(page), *localpart, *hash, spent_token,
                                  terms_uri);
  }
  auto created =
      createAccount(request, NewAccount{.localpart = *localpart,
                                        .password_hash = *hash,
                                        .password_scheme_version = kPasswordSchemeVersion,
                                        .email = page.email,
                                        .email_verified = false,
                                        .token_hash = spent_token,
                                        .terms_uri = terms_uri,
                                        .pending = std::nullopt});
  if (!created) return refuseAccount(request, std::move(page), created.error());
  return startSession(request, *created, page.next);
}

Result<domain::UserId, AccountPages::AccountFailure> AccountPages::createAccount(
    const http::Request& request, const NewAccount& account) const {
  WebContext& context = kit_.context();
  const auto refused = [](AccountRefusal refusal) {
    return unexpected(AccountFailure{refusal, std::nullopt});
  };
  const auto failed = [](storage::StorageError error) {
    return unexpected(AccountFailure{AccountRefusal::Storage, std::move(error)});
  };
  auto tx = context.database.begin();
  if (!tx) return failed(tx.error());
  if (account.pending) {
    // Consumed with the account: two submissions of one right code create
    // one account, and a failed creation leaves it for the caller to drop.
    auto consumed = (*tx)->pendingRegistrations().consume(context.clock, *account.pending);
    if (!consumed) return failed(consumed.error());
    if (!*consumed) return refused(AccountRefusal::PendingGone);
  }
  if (account.token_hash) {
    // Spent with the account, in its transaction: a failed registration
    // spends nothing, and racing ones cannot spend more than its uses.
    auto used = (*tx)->registrationTokens().use(context.clock, *account.token_hash);
    if (!used) return failed(used.error());
    if (!*used) return refused(AccountRefusal::TokenUnusable);
  }
  auto user = (*tx)->users().add(context.rng, context.clock, account.localpart, false);
  if (!user) {
    if (user.error().code == storage::StorageErrorCode::Conflict) {
      return refused(AccountRefusal::Taken);
    }
    return failed(user.error());
  }
  if (account.terms_uri) {
    auto accepted =
        (*tx)->registrationTokens().acceptTerms(context.clock, user->id, *account.terms_uri);
    if (!accepted) return failed(accepted.error());
  }
  auto stored =
      (*tx)->userPasswords().add(context.rng, context.clock, user->id, account.password_hash,
                                 account.password_scheme_version, std::nullopt);
  if (!stored) return failed(stored.error());
  if (!account.email.empty()) {
    // Without mandatory verification the address stays unconfirmed until
    // the user proves they own it on /account/emails; an unconfirmed
    // address cannot be used to log in.
    auto email = (*tx)->userEmails().add(context.rng, context.clock, user->id, account.email);
    if (!email) return failed(email.error());
    if (account.email_verified) {
      auto confirmed = (*tx)->userEmails().confirm(context.clock, email->id);
      if (!confirmed) {
        // Another account verified it meanwhile.
        if (confirmed.error().code == storage::StorageErrorCode::Conflict) {
          return refused(AccountRefusal::EmailInUse);
        }
        return failed(confirmed.error());
      }
      auto primary = (*tx)->userEmails().setPrimary(user->id, email->id);
      if (!primary) return failed(primary.error());
      auto audited = recordAudit(**tx, context, request, user->id, kAuditEmailVerify,
                                 "{\"address\":" + emailJsonString(account.email) + "}");
      if (!audited) return failed(audited.error());
    }
  }
  // The homeserver learns of the account soon, in the background; the
  // token endpoint provisions it synchronously anyway before any token.
  auto provision = jobs::enqueueUserProvisioning(**tx, context.rng, context.clock, user->id);
  if (!provision) return failed(provision.error());
  auto committed = (*tx)->commit();
  if (!committed) {
    if (committed.error().code == storage::StorageErrorCode::Conflict) {
      return refused(AccountRefusal::Taken);
    }
    return failed(committed.error());
  }
  return user->id;
}

http::Response AccountPages::refuseAccount(const http::Request& request,
                                           templates::RegisterPage page,
                                           const AccountFailure& failure) const {
  switch (failure.refusal) {
    case AccountRefusal::Taken:
      page.username_error = Text("register.username_taken");
      return renderRegister(request, 409, std::move(page));
    case AccountRefusal::TokenUnusable:
      page.registration_token_error = kUnusableToken;
      return renderRegister(request, 400, std::move(page));
    case AccountRefusal::EmailInUse:
      page.email_error = Text("register.email_in_use");
      return renderRegister(request, 409, std::move(page));
    case AccountRefusal::PendingGone:
      page.error = Text("register.pending_gone");
      return renderRegister(request, 400, std::move(page));
    case AccountRefusal::Storage:
      break;
  }
  return kit_.storageFailure(
      request, failure.error.value_or(
                   storage::StorageError{storage::StorageErrorCode::Internal, "account creation"}));
}

http::Response AccountPages::showLogout(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();
  if (!*active) return http::Response::redirect("/login", 303);

  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::LogoutPage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kLogoutPurpose);
  page.user_id = "@" + (*active)->user.localpart + ":" + context.settings.homeserver;
  http::Response response = kit_.html(200, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  return response;
}

http::Response AccountPages::submitLogout(const http::Request& request) const {
  WebContext& context = kit_.context();
  auto form = request.form();
  if (!form) return kit_.badForm(request);
  // The confirmation an application's logout request asked for.
  if (isEndSessionForm(*form)) return EndSessionPages(kit_).submitConfirmation(request, *form);
  if (!kit_.sessions().verifyCsrf(request, kLogoutPurpose, form->get("csrf").value_or(""))) {
    const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
    templates::LogoutPage page;
    page.layout = kit_.layout(request);
    page.csrf_token = kit_.sessions().csrfToken(csrf, kLogoutPurpose);
    page.error = kExpiredForm;
    http::Response response = kit_.html(403, context.templates.render(page));
    kit_.sessions().issueCsrfCookie(response, csrf);
    return response;
  }
  auto tx = context.database.begin();
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  if (*active) {
    auto finished = (*tx)->browserSessions().finish(context.clock, (*active)->session.id);
    if (!finished) return kit_.storageFailure(request, finished.error());
    auto committed = (*tx)->commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
  }
  http::Response response = http::Response::redirect("/login", 303);
  kit_.sessions().clear(response);
  return response;
}

http::Response AccountPages::followAccountAction(const http::Request& request,
                                                 const std::optional<ActiveSession>& active,
                                                 std::string target) const {
  const WebContext& context = kit_.context();
  const auto hinted = localpartFromLoginHint(request, context.settings.homeserver);
  if (!active) {
    return http::Response::redirect(
        PageKit::withQuery("/login", {{"next", target}, {"username", hinted}}), 303);
  }
  if (!hinted || *hinted == active->user.localpart) {
    return http::Response::redirect(std::move(target), 303);
  }
  // The link was made for another account: say so rather than act on the
  // wrong one, and let the user choose.
  const std::string signed_in = "@" + active->user.localpart + ":" + context.settings.homeserver;
  templates::ErrorPage page;
  page.layout = kit_.layout(request);
  page.title = Text("account.other_account_title");
  page.message = Text("account.other_account",
                      {{"link_user_id", "@" + *hinted + ":" + context.settings.homeserver},
                       {"user_id", signed_in}});
  page.detail = Text("account.other_account_detail");
  page.action_href = std::move(target);
  page.action_label = Text("account.continue_as", {{"user_id", signed_in}});
  page.back_href = "/logout";
  page.back_label = Text("common.sign_out");
  return kit_.html(200, context.templates.render(page));
}

http::Response AccountPages::showAccount(const http::Request& request) const {
  WebContext& context = kit_.context();
  // MSC4191 deep links (web/account_actions.h): only navigation; the page
  // asks for login, step-up and confirmation itself.
  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  tx->reset();
  if (const auto action = request.queryParam("action")) {
    if (auto target = accountActionTarget(context.settings, *action, request)) {
      return followAccountAction(request, *active, std::move(*target));
    }
  }
  if (!*active) {
    return http::Response::redirect(
        PageKit::withQuery("/login", {{"next", std::string_view(kAccountPath)}}), 303);
  }
  const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
  templates::SignedInPage page;
  page.layout = kit_.layout(request);
  page.csrf_token = kit_.sessions().csrfToken(csrf, kLogoutPurpose);
  page.user_id = "@" + (*active)->user.localpart + ":" + context.settings.homeserver;
  if (request.queryParam("done") == "password") {
    page.notice = Text("account.password_changed");
  }
  page.profile_href = std::string(kProfilePath);
  page.sessions_href = std::string(kSessionsPath);
  if (context.settings.password_change_enabled) {
    page.password_change_href = std::string(kPasswordChangePath);
  }
  page.emails_href = std::string(kEmailsPath);
  page.cross_signing_reset_href = std::string(kCrossSigningResetPath);
  if (context.settings.deactivation_enabled) page.deactivate_href = std::string(kDeactivatePath);
  http::Response response = kit_.html(200, context.templates.render(page));
  kit_.sessions().issueCsrfCookie(response, csrf);
  kit_.sessions().refresh(response, **active, context.rng, context.clock);
  return response;
}

http::Response serveAsset(const templates::Templates& templates, const http::Request& request) {
  const templates::StaticAsset* asset = templates.asset(request.path);
  if (asset == nullptr) return http::Response::text(404, "Not found\n");
  http::Response response;
  response.status = 200;
  response.body = std::string(asset->body);
  response.setHeader("Content-Type", asset->content_type);
  // Pages link assets by a content hash, so a changed file has a new URL.
  response.setHeader("Cache-Control", "public, max-age=31536000, immutable");
  response.setHeader("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace mxauth::web
