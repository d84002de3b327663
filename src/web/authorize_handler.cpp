#include "web/authorize_handler.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "domain/email_address.h"
#include "oauth/client_store.h"
#include "oauth/id_token.h"
#include "oauth/pkce.h"
#include "oauth/redirect_uri.h"
#include "oauth/scope.h"
#include "web/authorization_response.h"
#include "web/client_display.h"
#include "web/consent.h"
#include "web/navigation.h"

namespace mxauth::web {
namespace {

using oauth::OAuthErrorCode;

constexpr std::size_t kMaxStateLength = 4096;
constexpr std::size_t kMaxNonceLength = 1024;
constexpr std::size_t kMaxLoginHintLength = 512;
// An ID token of ours is well under this; longer is not one.
constexpr std::size_t kMaxIdTokenHintLength = 8192;
constexpr std::int64_t kMaxMaxAge = 10LL * 365 * 24 * 3600;
// RFC 6749 §10.10: at least 128 bits; we give the code 256.
constexpr std::size_t kCodeBytes = 32;
constexpr std::string_view kContinuePath = "/authorize/continue";
constexpr std::string_view kConsentPurposePrefix = "consent:";

std::vector<std::string_view> splitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view part = text.substr(0, space);
    if (!part.empty()) parts.push_back(part);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return parts;
}

bool hasPrompt(const std::optional<std::string>& prompt, std::string_view value) {
  if (!prompt) return false;
  for (const std::string_view part : splitSpaces(*prompt)) {
    if (part == value) return true;
  }
  return false;
}

std::string continuePath(const domain::AuthorizationGrantId& id) {
  return std::string(kContinuePath) + "?id=" + id.str();
}

// MSC4198 login_hint: "mxid:@user:server" pre-fills the localpart when the
// server is ours; a bare e-mail address pre-fills itself; anything else is
// ignored (spec-digest §3.4).
std::optional<std::string> usernameFromLoginHint(const std::optional<std::string>& hint,
                                                 std::string_view homeserver) {
  if (!hint) return std::nullopt;
  constexpr std::string_view kMxidPrefix = "mxid:";
  if (hint->starts_with(kMxidPrefix)) {
    const std::string_view mxid = std::string_view(*hint).substr(kMxidPrefix.size());
    const std::size_t colon = mxid.find(':');
    if (!mxid.starts_with('@') || colon == std::string_view::npos) return std::nullopt;
    if (mxid.substr(colon + 1) != homeserver) return std::nullopt;
    return std::string(mxid.substr(1, colon - 1));
  }
  if (domain::isValidEmailAddress(*hint)) return *hint;
  return std::nullopt;
}

// Where a browser without a session goes for a pending grant: the
// registration page when the client asked for it (prompt=create) and
// registration is open, else the login page, pre-filled with the user a
// login_hint names; either comes back to the grant's consent step.
http::Response signInFirst(const WebSettings& settings, const domain::AuthorizationGrant& grant) {
  const std::string here = continuePath(grant.id);
  if (hasPrompt(grant.prompt, "create") && settings.registration_enabled) {
    return http::Response::redirect(PageKit::withQuery("/register", {{"next", here}}), 303);
  }
  const auto username = usernameFromLoginHint(grant.login_hint, settings.homeserver);
  return http::Response::redirect(
      PageKit::withQuery("/login", {{"next", here}, {"username", username}}), 303);
}

// True when the browser session does not prove a recent enough login for
// this grant: prompt=login asks for a login after the request was made;
// max_age (OIDC Core §3.1.2.1) bounds the age of the last login.
bool needsReauthentication(const domain::AuthorizationGrant& grant,
                           const domain::BrowserSession& session, Timestamp now) {
  if (session.authenticated_at >= grant.created_at) return false;
  if (hasPrompt(grant.prompt, "login")) return true;
  return grant.max_age && now - session.authenticated_at > std::chrono::seconds(*grant.max_age);
}

std::optional<std::int64_t> parseMaxAge(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > kMaxMaxAge) {
    return std::nullopt;
  }
  return value;
}

#include "web/client_display.h"
#include "web/consent.h"
// What issueCode() may take as read already: the user's consent, read with
// the grant, and whether this transaction holds the grant's row
// (lookupForConsentForUpdate), which nothing else can then answer.
struct ReadWithTheGrant {
  const RecordedConsent* consent = nullptr;
  bool grant_locked = false;
};

// Ends a pending grant the user allowed (or had allowed before, web/consent.h):
// the OAuthSession, a code (32 random bytes, stored only as its SHA-256,
// design §7) and the remembered consent, committed together. Empty when the
// grant was no longer pending: another answer fulfilled it first.
Result<std::optional<std::string>, storage::StorageError> issueCode(
    storage::Transaction& tx, WebContext& context, const domain::AuthorizationGrant& grant,
    const oauth::ScopeSet& scope, const ActiveSession& session, ReadWithTheGrant known = {}) {
  storage::NewOAuthSession new_session;
  new_session.client_id = grant.client_id;
  new_session.user_id = session.user.id;
  new_session.scope = grant.scope;
  new_session.device_id = scope.deviceId();
  new_session.user_agent = session.session.user_agent;
  // auth_time of the ID token: the login of this browser session, which a
  // prompt=login or an exceeded max_age has just renewed.
  new_session.authenticated_at = session.session.authenticated_at;
  auto oauth_session = tx.oauthSessions().add(context.rng, context.clock, new_session);
  if (!oauth_session) return unexpected(oauth_session.error());

  const std::string code = crypto::randomUrlSafeString(context.rng, kCodeBytes);
  const std::string code_hash = crypto::tokenHashHex(code);
  if (known.grant_locked) {
    // Pending when read, and locked since: the update needs no answer, and
    // goes out with the commit.
    auto fulfilled = tx.authorizationGrants().fulfillLocked(
        context.clock, grant.id, code_hash, oauth_session->id, session.session.id, session.user.id);
    if (!fulfilled) return unexpected(fulfilled.error());
  } else {
    auto fulfilled = tx.authorizationGrants().fulfill(
        context.clock, grant.id, code_hash, oauth_session->id, session.session.id, session.user.id);
    if (!fulfilled) return unexpected(fulfilled.error());
    if (!*fulfilled) return std::optional<std::string>();
  }
  auto remembered =
      known.consent != nullptr
          ? rememberConsent(tx, context.clock, session.user.id, grant.client_id, scope,
                            *known.consent)
          : rememberConsent(tx, context.clock, session.user.id, grant.client_id, scope);
  if (!remembered) return unexpected(remembered.error());
  auto committed = tx.commit();
  if (!committed) return unexpected(committed.error());
  return std::optional<std::string>(code);
}

}  // namespace

http::Response AuthorizeHandler::authorize(const http::Request& request) const {
  WebContext& context = kit_.context();
  http::FormParams params;
  if (request.method == http::Method::Post) {
    auto form = request.form();
    if (!form) return kit_.badForm(request);
    params = std::move(*form);
  } else {
    params = request.query;
  }
  const auto invalid = [&](const char* key) {
    return kit_.errorPage(request, 400, Text("authorize.invalid_title"),
                          Text("authorize.invalid").with("problem", Text(key)));
  };

  // 1. Problems with the client or where to answer it: a page, never a
  //    redirect (RFC 6749 §4.1.2.1).
  const auto client_id = params.getUnique("client_id");
  if (!client_id) return invalid("authorize.client_id_repeated");
  if (!*client_id || (*client_id)->empty()) return invalid("authorize.no_client_id");
  const auto redirect_uri = params.getUnique("redirect_uri");
  if (!redirect_uri) return invalid("authorize.redirect_uri_repeated");
  const auto response_mode = params.getUnique("response_mode");
  if (!response_mode) return invalid("authorize.response_mode_repeated");

  auto tx = context.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  auto client = oauth::loadClient(**tx, **client_id);
  if (!client) return kit_.storageFailure(request, client.error());
  if (!*client) return invalid("error.unknown_client");
  const auto matched = oauth::matchRedirectUri((*client)->metadata, *redirect_uri);
  if (!matched) {
    return invalid(*redirect_uri ? "authorize.redirect_uri_unknown" : "authorize.no_redirect_uri");
  }
  domain::ResponseMode mode = domain::ResponseMode::Query;
  if (*response_mode) {
    const auto parsed = parseResponseMode(**response_mode);
    if (!parsed) return invalid("authorize.response_mode_unsupported");
    mode = *parsed;
  }

  // 2. Everything else is answered at the client's redirect URI.
  ResponseTarget target;
  target.redirect_uri = *matched;
  target.mode = mode;
  if (const auto state = params.get("state")) target.state = std::string(*state);
  target.issuer = context.settings.public_base;
  // Security checklist A.2: an error for a self-registered client, with
  // nobody signed in, waits for the user's click on a page that names the
  // client's host. Operator-added clients are trusted, and silent
  // authentication (prompt=none) must answer without a page.
  const auto failWith = [&](const oauth::OAuthError& error) -> http::Response {
    const bool silent = error.code == OAuthErrorCode::LoginRequired ||
                        error.code == OAuthErrorCode::ConsentRequired;
    if (!(*client)->client.is_static && !silent) {
      auto active = kit_.sessions().current(request, **tx, context.clock);
      if (!active) return kit_.storageFailure(request, active.error());
      if (!*active) {
        const templates::ClientDisplay display = clientDisplay(**client, request);
        return authorizationErrorInterstitial(context.templates, kit_.layout(request), target,
                                              error, display.name, display.host.value_or(""));
      }
    }
    return authorizationError(context.templates, kit_.layout(request), target, error);
  };
  const auto fail = [&](OAuthErrorCode code, std::string description) {
    return failWith(oauth::oauthError(code, std::move(description)));
  };

  if (const auto duplicate = params.firstDuplicate()) {
    return fail(OAuthErrorCode::InvalidRequest,
                "The " + std::string(*duplicate) + " parameter was given more than once.");
  }
  if (params.contains("request")) {
    return fail(OAuthErrorCode::RequestNotSupported, "Request objects are not supported.");
  }
  if (params.contains("request_uri")) {
    return fail(OAuthErrorCode::RequestUriNotSupported, "request_uri is not supported.");
  }
  if (params.contains("registration")) {
    return fail(OAuthErrorCode::RegistrationNotSupported,
                "The registration parameter is not supported.");
  }
  const auto response_type = params.get("response_type");
  if (!response_type) return fail(OAuthErrorCode::InvalidRequest, "response_type is required.");
  if (*response_type != "code") {
    return fail(OAuthErrorCode::UnsupportedResponseType, "Only response_type=code is supported.");
  }
  if (!(*client)->metadata.allowsGrant(oauth::GrantType::AuthorizationCode)) {
    return fail(OAuthErrorCode::UnauthorizedClient,
                "This client is not registered for the authorization_code grant.");
  }
  if (target.state && target.state->size() > kMaxStateLength) {
    return fail(OAuthErrorCode::InvalidRequest, "state is too long.");
  }

  const auto scope_text = params.get("scope");
  if (!scope_text) return fail(OAuthErrorCode::InvalidScope, "scope is required.");
  auto scope = oauth::ScopeSet::parse(*scope_text);
  if (!scope) return failWith(scope.error());
  // The admin scope is checked again once the user is known.
  if (auto allowed = oauth::validateScope(*scope, oauth::GrantKind::AuthorizationCode, true);
      !allowed) {
    return failWith(allowed.error());
  }

  // PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only; required for public clients.
  const auto challenge = params.get("code_challenge");
  const auto method = params.get("code_challenge_method");
  if (method && *method != "S256") {
    return fail(OAuthErrorCode::InvalidRequest, "code_challenge_method must be S256.");
  }
  if (challenge && !method) {
    // RFC 7636 §4.3: no method means plain, which we refuse.
    return fail(OAuthErrorCode::InvalidRequest, "code_challenge_method must be S256.");
  }
  if (method && !challenge) {
    return fail(OAuthErrorCode::InvalidRequest, "code_challenge is required.");
  }
  const bool is_public =
      !(*client)->isConfidential() ||
      (*client)->metadata.token_endpoint_auth_method == oauth::TokenEndpointAuthMethod::None;
  if (!challenge && is_public) {
    return fail(OAuthErrorCode::InvalidRequest, "PKCE (code_challenge) is required.");
  }
  if (challenge && !oauth::isValidCodeChallenge(*challenge)) {
    return fail(OAuthErrorCode::InvalidRequest, "code_challenge is malformed.");
  }

  std::optional<std::string> prompt;
  if (const auto prompt_text = params.get("prompt")) {
    const auto values = splitSpaces(*prompt_text);
    const bool has_none = std::find(values.begin(), values.end(), "none") != values.end();
    if (has_none && values.size() > 1) {
      return fail(OAuthErrorCode::InvalidRequest, "prompt=none cannot be combined.");
    }
    if (!values.empty()) prompt = std::string(*prompt_text);
  }
  std::optional<std::int64_t> max_age;
  if (const auto max_age_text = params.get("max_age")) {
    max_age = parseMaxAge(*max_age_text);
    if (!max_age) {
      return fail(OAuthErrorCode::InvalidRequest, "max_age must be a non-negative integer.");
    }
  }
  const auto nonce = params.get("nonce");
  if (nonce && nonce->size() > kMaxNonceLength) {
    return fail(OAuthErrorCode::InvalidRequest, "nonce is too long.");
  }
  std::optional<std::string> login_hint;
  if (const auto hint = params.get("login_hint"); hint && hint->size() <= kMaxLoginHintLength) {
    login_hint = std::string(*hint);
  }

  // display, claims_locales and acr_values (OIDC Core §3.1.2.1) are
  // accepted and have no effect: one display, one authentication level.
  // ui_locales chooses the language of this request's pages (the login
  // and consent pages that follow keep it: PageKit::rememberUiLocales).

  // OIDC Core §3.1.2.1: an ID token we issued, naming the user the client
  // expects; checked as at the end-session endpoint (our keys, our issuer,
  // expired accepted). Anything else is invalid_request.
  std::optional<oauth::IdTokenHint> id_token_hint;
  if (const auto hint = params.get("id_token_hint")) {
    auto verified = context.keys == nullptr || hint->size() > kMaxIdTokenHintLength
                        ? Result<oauth::IdTokenHint, oauth::IdTokenHintError>(
                              unexpected(oauth::IdTokenHintError::BadSignature))
                        : oauth::verifyIdTokenHint(*context.keys->current(),
                                                   context.settings.public_base, *hint);
    if (!verified) {
      return failWith(oauth::oauthError(OAuthErrorCode::InvalidRequest,
                                        "id_token_hint is not an ID token of this server.",
                                        std::string(oauth::describe(verified.error()))));
    }
    id_token_hint = std::move(*verified);
  }
  auto active = kit_.sessions().current(request, **tx, context.clock);
  if (!active) return kit_.storageFailure(request, active.error());
  const bool hint_names_another_user =
      id_token_hint && *active && (*active)->user.id.str() != id_token_hint->subject;

  if (hasPrompt(prompt, "none")) {
    // No interaction allowed (checklist B.14): without a fresh session of
    // the user the client expects, the user must log in; without a consent
    // that covers the request (web/consent.h), they must consent.
    const bool fresh =
        *active && (!max_age || context.clock.now() - (*active)->session.authenticated_at <=
                                    std::chrono::seconds(*max_age));
    if (!fresh) return fail(OAuthErrorCode::LoginRequired, "The user is not logged in.");
    if (hint_names_another_user) {
      return fail(OAuthErrorCode::LoginRequired,
                  "The user signed in is not the one id_token_hint names.");
    }
    const ActiveSession& session = **active;
    if (auto allowed = oauth::validateScope(*scope, oauth::GrantKind::AuthorizationCode,
                                            session.user.is_admin);
        !allowed) {
      return failWith(allowed.error());
    }
    auto given = consentAlreadyGiven(**tx, session.user.id, **client, target.redirect_uri, *scope);
    if (!given) return kit_.storageFailure(request, given.error());
    if (!*given)
      return fail(OAuthErrorCode::ConsentRequired, "The user must consent interactively.");
  }

  // Interactively, a hint that names a user pre-fills the login form; one
  // that names another user than the one signed in asks for a new login
  // rather than answering for the wrong account.
  if (id_token_hint && !hasPrompt(prompt, "none")) {
    if (hint_names_another_user) prompt = prompt ? *prompt + " login" : std::string("login");
    if (!login_hint) {
      auto hinted = domain::UserId::parse(id_token_hint->subject);
      auto user = hinted ? (*tx)->users().lookup(*hinted)
                         : Result<std::optional<domain::User>, storage::StorageError>();
      if (!user) return kit_.storageFailure(request, user.error());
      if (*user) login_hint = "mxid:" + matrixUserId(**user, context.settings.homeserver);
    }
  }
  tx->reset();

  storage::NewAuthorizationGrant grant;
  grant.client_id = (*client)->id();
  grant.redirect_uri = target.redirect_uri;
  grant.scope = scope->toString();
  grant.state = target.state;
  if (nonce) grant.nonce = std::string(*nonce);
  grant.response_mode = mode;
  if (challenge) grant.code_challenge = std::string(*challenge);
  grant.login_hint = std::move(login_hint);
  grant.prompt = std::move(prompt);
  grant.max_age = max_age;

  // A pending request need not wait for the disk (storage/database.h): lost
  // in a crash of the database, the client asks again. A silent answer
  // issues its code in the same transaction, durably.
  auto write = context.database.begin(hasPrompt(grant.prompt, "none")
                                          ? storage::TransactionMode::ReadWrite
                                          : storage::TransactionMode::ReadWriteUnsynced);
  if (!write) return kit_.storageFailure(request, write.error());
  auto added = (*write)->authorizationGrants().add(context.rng, context.clock, grant);
  if (!added) return kit_.storageFailure(request, added.error());
  if (hasPrompt(grant.prompt, "none")) {
    // Silent success: the checks above passed, and the code is issued now.
    auto code = issueCode(**write, context, *added, *scope, **active);
    if (!code) return kit_.storageFailure(request, code.error());
    if (!*code) {
      return authorizationError(
          context.templates, kit_.layout(request), target,
          oauth::oauthError(OAuthErrorCode::ServerError, "The request was answered twice."));
    }
    return authorizationResponse(context.templates, kit_.layout(request), target,
                                 {{"code", **code}});
  }
  auto committed = (*write)->commit();
  if (!committed) return kit_.storageFailure(request, committed.error());
  // Without a session the consent step would only send the browser on to
  // sign in: it goes there at once, one redirect fewer. Its login page needs
  // the client's origin (grant_form_targets.h).
  if (!*active && context.grant_form_targets != nullptr) {
    if (std::string source = cspSourceFor(added->redirect_uri); !source.empty()) {
      context.grant_form_targets->remember(added->id, std::move(source));
    }
  }
  http::Response redirect = *active ? http::Response::redirect(continuePath(added->id), 303)
                                    : signInFirst(context.settings, *added);
  kit_.rememberUiLocales(request, redirect);
  return redirect;
}

http::Response AuthorizeHandler::showContinue(const http::Request& request) const {
  return continueGrant(request, false);
}

http::Response AuthorizeHandler::submitContinue(const http::Request& request) const {
  return continueGrant(request, true);
}

http::Response AuthorizeHandler::continueGrant(const http::Request& request, bool submitted) const {
  WebContext& context = kit_.context();
  const auto expired = [&]() {
    return kit_.errorPage(request, 400, Text("authorize.expired_title"), Text("authorize.expired"));
  };
  const auto id = domain::AuthorizationGrantId::parse(request.queryParam("id").value_or(""));
  if (!id) return expired();

  std::optional<http::FormParams> form;
  if (submitted) {
    auto parsed = request.form();
    if (!parsed) return kit_.badForm(request);
    form = std::move(*parsed);
  }

  auto tx = context.database.begin(submitted ? storage::TransactionMode::ReadWrite
                                             : storage::TransactionMode::ReadOnly);
  if (!tx) return kit_.storageFailure(request, tx.error());
  storage::Transaction& transaction = **tx;
  // The grant, the browser session of the cookie with its user, and their
  // consent to the client: one read (storage/oauth_repositories.h).
  // The answer of the form locks the grant: nothing else can answer it
  // before this transaction ends.
  const std::optional<SessionCookie> cookie = kit_.sessions().sessionCookie(request);
  const std::optional<domain::BrowserSessionId> browser =
      cookie ? std::optional(cookie->id) : std::nullopt;
  auto found = submitted ? transaction.authorizationGrants().lookupForConsentForUpdate(*id, browser)
                         : transaction.authorizationGrants().lookupForConsent(*id, browser);
  if (!found) return kit_.storageFailure(request, found.error());
  if (!*found || !(*found)->grant.isPending()) return expired();
  const domain::AuthorizationGrant& grant = (*found)->grant;
  const RecordedConsent& recorded = (*found)->consent;
  const Timestamp now = context.clock.now();
  if (now - grant.created_at > context.settings.grant_lifetime) return expired();
  auto client = oauth::loadClient(transaction, grant.client_id);
  if (!client) return kit_.storageFailure(request, client.error());
  if (!*client) return expired();

  ResponseTarget target;
  target.redirect_uri = grant.redirect_uri;
  target.mode = grant.response_mode;
  target.state = grant.state;
  target.issuer = context.settings.public_base;
  const auto failWith = [&](const oauth::OAuthError& error) {
    return authorizationError(context.templates, kit_.layout(request), target, error);
  };

  const std::string here = continuePath(*id);
  const std::optional<ActiveSession> active =
      cookie ? kit_.sessions().activeSession(*cookie, std::move((*found)->browser), context.clock)
             : std::nullopt;
  if (!active) return signInFirst(context.settings, grant);
  const ActiveSession& session = *active;
  if (needsReauthentication(grant, session.session, now)) {
    // The user an id_token_hint or login_hint named, else the same user.
    const auto username = usernameFromLoginHint(grant.login_hint, context.settings.homeserver)
                              .value_or(session.user.localpart);
    return http::Response::redirect(
        PageKit::withQuery("/login", {{"next", here}, {"username", username}, {"reauth", "1"}}),
        303);
  }

  auto scope = oauth::ScopeSet::parse(grant.scope);
  if (!scope) return failWith(scope.error());
  if (auto allowed =
          oauth::validateScope(*scope, oauth::GrantKind::AuthorizationCode, session.user.is_admin);
      !allowed) {
    // Only now is the user known: the admin scope is for admins only.
    if (!submitted) {
      tx->reset();
      auto write = context.database.begin();
      if (!write) return kit_.storageFailure(request, write.error());
      auto cancelled = (*write)->authorizationGrants().cancel(context.clock, *id);
      if (!cancelled) return kit_.storageFailure(request, cancelled.error());
      auto committed = (*write)->commit();
      if (!committed) return kit_.storageFailure(request, committed.error());
    } else {
      auto cancelled = transaction.authorizationGrants().cancel(context.clock, *id);
      if (!cancelled) return kit_.storageFailure(request, cancelled.error());
      auto committed = transaction.commit();
      if (!committed) return kit_.storageFailure(request, committed.error());
    }
    return failWith(allowed.error());
  }

  const std::string purpose = std::string(kConsentPurposePrefix) + id->str();
  const auto renderConsent = [&](int status, std::optional<Text> error) {
    const CsrfCookie csrf = kit_.sessions().csrfCookie(request, context.rng);
    templates::ConsentPage page;
    page.layout = kit_.layout(request);
    page.csrf_token = kit_.sessions().csrfToken(csrf, purpose);
    page.action = here;
    page.user_id = matrixUserId(session.user, context.settings.homeserver);
    page.client = clientDisplay(**client, request);
    for (const oauth::ScopeSet::Token& token : scope->tokens()) {
      const bool is_admin = token.kind == oauth::ScopeTokenKind::SynapseAdmin;
      page.scopes.push_back({scopeText(token.value), is_admin});
      page.admin_warning = page.admin_warning || is_admin;
    }
    page.error = std::move(error);
    http::Response response = kit_.html(status, context.templates.render(page));
    // The form's answer redirects to the client, and browsers hold that
    // redirect to form-action too; the logo is on the client's host.
    response.setHeader(
        "Content-Security-Policy",
        contentSecurityPolicy(
            cspSourceFor(target.redirect_uri),
            page.client.logo_uri ? cspSourceFor(*page.client.logo_uri) : std::string()));
    kit_.sessions().issueCsrfCookie(response, csrf);
    kit_.sessions().refresh(response, session, context.rng, context.clock);
    return response;
  };

  if (!submitted) {
    auto given = consentAlreadyGiven(transaction, session.user.id, **client, grant.redirect_uri,
                                     *scope, recorded);
    if (!given) return kit_.storageFailure(request, given.error());
    // First-time or wider scopes, or a client whose identity is not proven:
    // the consent page (web/consent.h).
    if (!*given) return renderConsent(200, std::nullopt);
    tx->reset();
    auto write = context.database.begin();
    if (!write) return kit_.storageFailure(request, write.error());
    auto code = issueCode(**write, context, grant, *scope, session, {&recorded, false});
    if (!code) return kit_.storageFailure(request, code.error());
    if (!*code) return expired();
    return authorizationResponse(context.templates, kit_.layout(request), target,
                                 {{"code", **code}});
  }

  if (!kit_.sessions().verifyCsrf(request, purpose, form->get("csrf").value_or(""))) {
    return renderConsent(403, kExpiredForm);
  }
  const std::string_view action = form->get("action").value_or("");
  if (action == "deny") {
    auto cancelled = transaction.authorizationGrants().cancel(context.clock, *id);
    if (!cancelled) return kit_.storageFailure(request, cancelled.error());
    if (!*cancelled) return expired();
    auto committed = transaction.commit();
    if (!committed) return kit_.storageFailure(request, committed.error());
    return failWith(
        oauth::oauthError(OAuthErrorCode::AccessDenied, "The user denied the request."));
  }
  if (action != "allow") return renderConsent(400, Text("consent.choose"));

  auto code = issueCode(transaction, context, grant, *scope, session, {&recorded, true});
  if (!code) return kit_.storageFailure(request, code.error());
  // Conditional: another submit of this form already fulfilled the grant.
  if (!*code) return expired();
  return authorizationResponse(context.templates, kit_.layout(request), target, {{"code", **code}});
}

}  // namespace mxauth::web
