#include "compat/compat_handlers.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "accounts/password_login.h"
#include "compat/device_ids.h"
#include "compat/matrix_error.h"
#include "crypto/token.h"
#include "http/client_address.h"
#include "http/middleware.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/session_end.h"

namespace mxauth::compat {
namespace {

constexpr std::size_t kMaxDisplayNameLength = 256;
constexpr std::size_t kMaxUserAgent = 512;

// --- Request parsing (spec-digest §4.2: Content-Type optional, but JSON) --

struct JsonBody {
  boost::json::object object;
};

Result<JsonBody, http::Response> parseBody(const http::Request& request) {
  if (auto type = request.header("Content-Type")) {
    std::string_view media = type->substr(0, type->find(';'));
    while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
    if (!http::equalsIgnoreCase(media, "application/json")) {
      return unexpected(matrixError(400, "M_NOT_JSON", "Content-Type must be application/json"));
    }
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec) return unexpected(matrixError(400, "M_NOT_JSON", "The body is not valid JSON"));
  if (!value.is_object()) {
    return unexpected(matrixError(400, "M_BAD_JSON", "The body must be a JSON object"));
  }
  return JsonBody{std::move(value.as_object())};
}

// A string member: nullopt when absent; an error when present but not a
// string.
Result<std::optional<std::string>, http::Response> stringMember(const boost::json::object& object,
                                                                std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) {
    return unexpected(matrixError(400, "M_BAD_JSON", std::string(name) + " must be a string"));
  }
  return std::optional<std::string>(std::string(value->as_string()));
}

Result<bool, http::Response> boolMember(const boost::json::object& object, std::string_view name) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return false;
  if (!value->is_bool()) {
    return unexpected(matrixError(400, "M_BAD_JSON", std::string(name) + " must be a boolean"));
  }
  return value->as_bool();
}

std::optional<std::string_view> bearerToken(const http::Request& request) {
  auto header = request.header("Authorization");
  if (!header || header->size() < 7 || !http::equalsIgnoreCase(header->substr(0, 7), "Bearer ")) {
    return std::nullopt;
  }
  std::string_view token = header->substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

std::string userAgentOf(const http::Request& request) {
  std::string agent;
  for (const char c : request.header("User-Agent").value_or("")) {
    if (agent.size() == kMaxUserAgent) break;
    if (c >= 0x20 && c <= 0x7e) agent.push_back(c);
  }
  return agent;
}

http::Response storageFailure(const storage::StorageError& error) {
  if (error.code == storage::StorageErrorCode::Unavailable) {
    return matrixError(503, "M_UNKNOWN", "The service is temporarily unavailable");
  }
  return matrixError(500, "M_UNKNOWN", "Internal server error");
}

http::Response homeserverFailure(const homeserver::HomeserverError& error) {
  if (error.code == homeserver::HomeserverErrorCode::Unreachable) {
    return matrixError(503, "M_UNKNOWN",
                       "The homeserver cannot be reached right now. Try again shortly.");
  }
  return matrixError(500, "M_UNKNOWN", "The homeserver refused to set up the device");
}

http::Response unknownToken() {
  return matrixError(401, "M_UNKNOWN_TOKEN", "Unknown or expired access token");
}

// The identifier of m.login.password (spec-digest §4.2): the deprecated
// top-level "user" wins, then identifier m.id.user, then m.id.thirdparty
// with an e-mail address (the deprecated top-level medium/address too).
Result<std::string, http::Response> loginName(const boost::json::object& body) {
  auto user = stringMember(body, "user");
  if (!user) return unexpected(std::move(user).error());
  if (*user) return std::move(**user);
  const boost::json::value* identifier = body.if_contains("identifier");
  if (identifier == nullptr) {
    auto medium = stringMember(body, "medium");
    auto address = stringMember(body, "address");
    if (!medium) return unexpected(std::move(medium).error());
    if (!address) return unexpected(std::move(address).error());
    if (*medium && *address && **medium == "email") return std::move(**address);
    return unexpected(matrixError(400, "M_BAD_JSON", "The login has no identifier"));
  }
  if (!identifier->is_object()) {
    return unexpected(matrixError(400, "M_BAD_JSON", "identifier must be an object"));
  }
  const boost::json::object& id = identifier->as_object();
  auto type = stringMember(id, "type");
  if (!type) return unexpected(std::move(type).error());
  if (*type == "m.id.user") {
    auto name = stringMember(id, "user");
    if (!name) return unexpected(std::move(name).error());
    if (!*name) return unexpected(matrixError(400, "M_BAD_JSON", "identifier.user is missing"));
    return std::move(**name);
  }
  if (*type == "m.id.thirdparty") {
    auto medium = stringMember(id, "medium");
    auto address = stringMember(id, "address");
    if (!medium) return unexpected(std::move(medium).error());
    if (!address) return unexpected(std::move(address).error());
    if (*medium && *address && **medium == "email") return std::move(**address);
    return unexpected(
        matrixError(403, "M_FORBIDDEN", "Only e-mail addresses can be used to log in"));
  }
  return unexpected(matrixError(400, "M_UNKNOWN", "Unsupported login identifier"));
}

http::Response passwordFailure(const accounts::PasswordLoginFailure& failure) {
  switch (failure.code) {
    case accounts::PasswordLoginError::WrongCredentials:
      return matrixError(403, "M_FORBIDDEN", "Invalid username or password");
    case accounts::PasswordLoginError::Deactivated:
      return matrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
    case accounts::PasswordLoginError::Locked:
      return matrixError(401, "M_USER_LOCKED", "This account has been locked");
    case accounts::PasswordLoginError::Overloaded:
      return limitExceeded(1000);
    case accounts::PasswordLoginError::Unavailable:
      return matrixError(503, "M_UNKNOWN", "The service is temporarily unavailable");
    case accounts::PasswordLoginError::RateLimited:
      return limitExceeded(failure.retry_after.count());
    case accounts::PasswordLoginError::Internal:
      break;
  }
  return matrixError(500, "M_UNKNOWN", "The password could not be checked");
}

struct IssuedPair {
  std::string access_token;
  std::optional<std::string> refresh_token;
  domain::CompatAccessToken access;
  std::optional<domain::CompatRefreshToken> refresh;
};

Result<IssuedPair, storage::StorageError> issuePair(storage::Transaction& tx, Rng& rng,
                                                    const Clock& clock,
                                                    const domain::CompatSessionId& session,
                                                    bool with_refresh, Duration ttl) {
  IssuedPair pair;
  pair.access_token = crypto::generateToken(rng, crypto::TokenType::CompatAccessToken);
  std::optional<Timestamp> expires;
  if (with_refresh) expires = clock.now() + ttl;
  auto access = tx.compatAccessTokens().add(rng, clock, session,
                                            crypto::tokenHashHex(pair.access_token), expires);
  if (!access) return unexpected(std::move(access).error());
  pair.access = std::move(*access);
  if (with_refresh) {
    pair.refresh_token = crypto::generateToken(rng, crypto::TokenType::CompatRefreshToken);
    auto refresh = tx.compatRefreshTokens().add(
        rng, clock, session, crypto::tokenHashHex(*pair.refresh_token), pair.access.id);
    if (!refresh) return unexpected(std::move(refresh).error());
    pair.refresh = std::move(*refresh);
  }
  return pair;
}

void appendTokens(std::string& body, const IssuedPair& pair, Duration ttl) {
  body += "\"access_token\":";
  http::appendJsonString(body, pair.access_token);
  if (pair.refresh_token) {
    body += ",\"refresh_token\":";
    http::appendJsonString(body, *pair.refresh_token);
    body += ",\"expires_in_ms\":" +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count());
  }
}

// The compat session behind a request's bearer token, or the Matrix error
// to answer (spec-digest §4.4).
struct CallingSession {
  domain::CompatSession session;
};

Result<CallingSession, http::Response> callingSession(storage::Transaction& tx,
                                                      const http::Request& request,
                                                      const Clock& clock) {
  auto token = bearerToken(request);
  if (!token) return unexpected(matrixError(401, "M_MISSING_TOKEN", "Missing access token"));
  auto type = crypto::parseToken(*token);
  if (!type || *type != crypto::TokenType::CompatAccessToken) return unexpected(unknownToken());
  auto access = tx.compatAccessTokens().findByHash(crypto::tokenHashHex(*token));
  if (!access) return unexpected(storageFailure(access.error()));
  if (!*access || !(*access)->isValidAt(clock.now())) return unexpected(unknownToken());
  auto session = tx.compatSessions().lookup((*access)->session_id);
  if (!session) return unexpected(storageFailure(session.error()));
  if (!*session || !(*session)->isActive()) return unexpected(unknownToken());
  return CallingSession{std::move(**session)};
}

}  // namespace

http::Response CompatHandlers::loginFlows(const http::Request&) const {
  // spec-digest §4.1: what an OAuth-aware server advertises. Clients that
  // know OAuth see oauth_aware_preferred and use it instead.
  return matrixJson(200, R"({"flows":[{"type":"m.login.password"},)"
                         R"({"type":"m.login.sso","oauth_aware_preferred":true,)"
                         R"("org.matrix.msc3824.delegated_oidc_compatibility":true},)"
                         R"({"type":"m.login.token"}]})");
}

http::Response CompatHandlers::login(const http::Request& request) const {
  auto body = parseBody(request);
  if (!body) return std::move(body).error();
  auto type = stringMember(body->object, "type");
  if (!type) return std::move(type).error();
  if (!*type) return matrixError(400, "M_BAD_JSON", "The login has no type");
  if (**type == "m.login.application_service") {
    return matrixError(400, "M_APPSERVICE_LOGIN_UNSUPPORTED",
                       "Application services log in with OAuth on this server");
  }
  if (**type != "m.login.password" && **type != "m.login.token") {
    return matrixError(400, "M_UNKNOWN", "Unsupported login type");
  }

  // What every login type shares: the device and the token kind.
  LoginRequest login;
  auto device = stringMember(body->object, "device_id");
  if (!device) return std::move(device).error();
  auto display_name = stringMember(body->object, "initial_device_display_name");
  if (!display_name) return std::move(display_name).error();
  auto stable_refresh = boolMember(body->object, "refresh_token");
  if (!stable_refresh) return std::move(stable_refresh).error();
  auto unstable_refresh = boolMember(body->object, "org.matrix.msc2918.refresh_token");
  if (!unstable_refresh) return std::move(unstable_refresh).error();
  login.with_refresh = *stable_refresh || *unstable_refresh;
  if (*device && !isAcceptableDeviceId(**device)) {
    return matrixError(400, "M_INVALID_PARAM", "device_id has characters that are not allowed");
  }
  login.device_id = std::move(*device);
  login.display_name = std::move(*display_name);
  if (login.display_name && login.display_name->size() > kMaxDisplayNameLength) {
    login.display_name->resize(kMaxDisplayNameLength);
  }

  if (**type == "m.login.token") {
    auto token = stringMember(body->object, "token");
    if (!token) return std::move(token).error();
    if (!*token) return matrixError(400, "M_BAD_JSON", "token is missing");
    return loginWithToken(request, **token, std::move(login));
  }

  auto name = loginName(body->object);
  if (!name) return std::move(name).error();
  auto password = stringMember(body->object, "password");
  if (!password) return std::move(password).error();
  if (!*password) return matrixError(403, "M_FORBIDDEN", "Invalid username or password");

  const CompatContext& c = context_;
  const std::string client_key = http::addressKey(request.remote_address);
  auto user = accounts::checkPassword(
      {c.database, c.hasher, c.rng, c.clock, c.options.server_name, c.login_throttle, client_key},
      *name, **password);
  if (!user) return passwordFailure(user.error());
  return startSession(request, *user, std::move(login), std::nullopt);
}

http::Response CompatHandlers::loginWithToken(const http::Request& request, std::string_view token,
                                              LoginRequest login) const {
  const CompatContext& c = context_;
  const auto invalid = [] { return matrixError(403, "M_FORBIDDEN", "Invalid login token"); };
  auto tx = c.database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return storageFailure(tx.error());
  auto sso = (*tx)->compatSsoLogins().findByTokenHash(crypto::tokenHashHex(token));
  if (!sso) return storageFailure(sso.error());
  if (!*sso || (*sso)->isPending() || (*sso)->isExchanged() || !(*sso)->user_id ||
      !(*sso)->browser_session_id) {
    return invalid();
  }
  if (c.clock.now() - *(*sso)->fulfilled_at > c.options.login_token_ttl) {
    return matrixError(403, "M_FORBIDDEN", "Login token expired");
  }
  // Signing out of the browser in between withdraws the login.
  auto browser = (*tx)->browserSessions().lookup(*(*sso)->browser_session_id);
  if (!browser) return storageFailure(browser.error());
  if (!*browser || !(*browser)->isActive()) return invalid();
  auto user = (*tx)->users().lookup(*(*sso)->user_id);
  if (!user) return storageFailure(user.error());
  if (!*user) return invalid();
  if (!(*user)->isActive()) {
    return matrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
  }
  if ((*user)->isLocked()) return matrixError(401, "M_USER_LOCKED", "This account has been locked");
  tx->reset();
  return startSession(request, **user, std::move(login), (*sso)->id);
}

http::Response CompatHandlers::startSession(const http::Request& request, const domain::User& user,
                                            LoginRequest login,
                                            std::optional<domain::CompatSsoLoginId> sso) const {
  const CompatContext& c = context_;
  const std::string device_id =
      login.device_id ? std::move(*login.device_id) : generateDeviceId(c.rng);

  // The homeserver first, outside any transaction (homeserver_connection.h),
  // with the device reserved before, so that a device sync running until our
  // session commits keeps it (jobs/homeserver_jobs.h, R1).
  std::optional<domain::DeviceReservationId> reservation;
  if (c.homeserver.isConnected()) {
    auto reserved = jobs::reserveDevice(c.database, c.rng, c.clock, user.id, device_id);
    if (!reserved) return storageFailure(reserved.error());
    reservation = std::move(*reserved);
    homeserver::ProvisionRequest provision;
    provision.localpart = user.localpart;
    provision.locked = false;
    auto provisioned = c.homeserver.provisionUser(provision);
    if (!provisioned) {
      jobs::releaseDevice(c.database, *reservation);
      return homeserverFailure(provisioned.error());
    }
    auto upserted = c.homeserver.upsertDevice(user.localpart, device_id, login.display_name);
    if (!upserted) {
      jobs::releaseDevice(c.database, *reservation);
      return homeserverFailure(upserted.error());
    }
  }

  auto tx = c.database.begin();
  if (!tx) return storageFailure(tx.error());
  if (reservation) {
    auto consumed = (*tx)->deviceReservations().consume(*reservation);
    if (!consumed) return storageFailure(consumed.error());
    // Purged as expired: a sync may have removed the device since.
    if (!*consumed) {
      return matrixError(503, "M_UNKNOWN", "The login took too long. Try again.");
    }
  }
  // A device belongs to one session: earlier sessions on it end.
  std::vector<std::string> ended;
  auto earlier_compat = (*tx)->compatSessions().findActiveByDevice(user.id, device_id);
  if (!earlier_compat) return storageFailure(earlier_compat.error());
  for (const domain::CompatSession& earlier : *earlier_compat) {
    auto finished = (*tx)->compatSessions().finish(c.clock, earlier.id);
    if (!finished) return storageFailure(finished.error());
    ended.push_back(earlier.id.str());
  }
  auto earlier_oauth = (*tx)->oauthSessions().findActiveByDevice(user.id, device_id);
  if (!earlier_oauth) return storageFailure(earlier_oauth.error());
  for (const domain::OAuthSession& earlier : *earlier_oauth) {
    auto finished = oauth::endOAuthSession(**tx, c.rng, c.clock, earlier.id, earlier.user_id);
    if (!finished) return storageFailure(finished.error());
    ended.push_back(earlier.id.str());
  }
  storage::NewCompatSession fresh;
  fresh.user_id = user.id;
  fresh.device_id = device_id;
  fresh.display_name = login.display_name;
  fresh.user_agent = userAgentOf(request);
  auto session = (*tx)->compatSessions().add(c.rng, c.clock, fresh);
  if (!session) return storageFailure(session.error());
  if (sso) {
    // Single use: of two clients racing with one login token, one commits
    // this and the other is refused here, having written nothing.
    auto exchanged = (*tx)->compatSsoLogins().exchange(c.clock, *sso, session->id);
    if (!exchanged) return storageFailure(exchanged.error());
    if (!*exchanged) return matrixError(403, "M_FORBIDDEN", "Invalid login token");
  }
  auto pair =
      issuePair(**tx, c.rng, c.clock, session->id, login.with_refresh, c.options.access_token_ttl);
  if (!pair) return storageFailure(pair.error());
  auto committed = (*tx)->commit();
  if (!committed) return storageFailure(committed.error());
  for (const std::string& id : ended) c.cache.invalidateSession(id);

  std::string response = "{\"user_id\":";
  http::appendJsonString(response, "@" + user.localpart + ":" + c.options.server_name);
  response += ",\"device_id\":";
  http::appendJsonString(response, device_id);
  response += ",\"home_server\":";
  http::appendJsonString(response, c.options.server_name);
  response += ',';
  appendTokens(response, *pair, c.options.access_token_ttl);
  response += '}';
  return matrixJson(200, std::move(response));
}

http::Response CompatHandlers::logout(const http::Request& request) const {
  const CompatContext& c = context_;
  auto tx = c.database.begin();
  if (!tx) return storageFailure(tx.error());
  auto calling = callingSession(**tx, request, c.clock);
  if (!calling) return std::move(calling).error();
  auto finished = (*tx)->compatSessions().finish(c.clock, calling->session.id);
  if (!finished) return storageFailure(finished.error());
  auto queued = jobs::enqueueDeviceSync(**tx, c.rng, c.clock, calling->session.user_id);
  if (!queued) return storageFailure(queued.error());
  auto committed = (*tx)->commit();
  if (!committed) return storageFailure(committed.error());
  c.cache.invalidateSession(calling->session.id.str());
  return matrixJson(200, "{}");
}

http::Response CompatHandlers::logoutAll(const http::Request& request) const {
  const CompatContext& c = context_;
  auto tx = c.database.begin();
  if (!tx) return storageFailure(tx.error());
  auto calling = callingSession(**tx, request, c.clock);
  if (!calling) return std::move(calling).error();
  const domain::UserId& user = calling->session.user_id;
  std::vector<std::string> ended;
  storage::Page page;
  page.limit = storage::Page::kMaxLimit;
  // Every session of the user, compat and OAuth (Matrix spec, /logout/all).
  for (;;) {
    auto compat = (*tx)->compatSessions().listActiveForUser(user, page);
    if (!compat) return storageFailure(compat.error());
    if (compat->empty()) break;
    for (const domain::CompatSession& session : *compat) {
      auto finished = (*tx)->compatSessions().finish(c.clock, session.id);
      if (!finished) return storageFailure(finished.error());
      ended.push_back(session.id.str());
    }
  }
  for (;;) {
    auto sessions = (*tx)->oauthSessions().listActiveForUser(user, page);
    if (!sessions) return storageFailure(sessions.error());
    if (sessions->empty()) break;
    for (const domain::OAuthSession& session : *sessions) {
      auto finished = (*tx)->oauthSessions().finish(c.clock, session.id);
      if (!finished) return storageFailure(finished.error());
      // The consent goes with the last session of its client (as in
      // oauth/session_end.h).
      auto forgotten = (*tx)->oauthConsents().forgetUnlessInUse(user, session.client_id);
      if (!forgotten) return storageFailure(forgotten.error());
      ended.push_back(session.id.str());
    }
  }
  auto queued = jobs::enqueueDeviceSync(**tx, c.rng, c.clock, user);
  if (!queued) return storageFailure(queued.error());
  auto committed = (*tx)->commit();
  if (!committed) return storageFailure(committed.error());
  for (const std::string& id : ended) c.cache.invalidateSession(id);
  return matrixJson(200, "{}");
}

http::Response CompatHandlers::refresh(const http::Request& request) const {
  const CompatContext& c = context_;
  auto body = parseBody(request);
  if (!body) return std::move(body).error();
  auto presented = stringMember(body->object, "refresh_token");
  if (!presented) return std::move(presented).error();
  if (!*presented) return matrixError(400, "M_MISSING_PARAM", "refresh_token is missing");
  auto type = crypto::parseToken(**presented);
  if (!type || *type != crypto::TokenType::CompatRefreshToken) return unknownToken();

  auto tx = c.database.begin();
  if (!tx) return storageFailure(tx.error());
  auto token = (*tx)->compatRefreshTokens().findByHash(crypto::tokenHashHex(**presented));
  if (!token) return storageFailure(token.error());
  if (!*token || (*token)->revoked_at) return unknownToken();
  auto session = (*tx)->compatSessions().lookup((*token)->session_id);
  if (!session) return storageFailure(session.error());
  if (!*session || !(*session)->isActive()) return unknownToken();
  auto user = (*tx)->users().lookup((*session)->user_id);
  if (!user) return storageFailure(user.error());
  if (!*user || !(*user)->canLogIn()) return unknownToken();

  const Timestamp now = c.clock.now();
  std::optional<domain::CompatRefreshToken> successor;
  std::optional<domain::CompatAccessToken> successor_access;
  if ((*token)->consumed_at && (*token)->next_refresh_token_id) {
    // Presented again: the Matrix spec keeps it valid until the new tokens
    // are used (a lost response); a very recent rotation is a race.
    auto next = (*tx)->compatRefreshTokens().lookup(*(*token)->next_refresh_token_id);
    if (!next) return storageFailure(next.error());
    if (*next && now - (*next)->created_at < c.options.refresh_retry_min_age) {
      return unknownToken();
    }
    if (*next && (*next)->isUsable()) {
      auto access = (*tx)->compatAccessTokens().lookup((*next)->access_token_id);
      if (!access) return storageFailure(access.error());
      if (*access && !(*access)->first_used_at && !(*access)->revoked_at) {
        successor = std::move(**next);
        successor_access = std::move(**access);
      }
    }
    if (!successor) {
      // Reuse after the new tokens were used: the token was stolen or the
      // client is confused; either way the session ends (RFC 9700 §4.14.2).
      auto finished = (*tx)->compatSessions().finish(c.clock, (*session)->id);
      if (!finished) return storageFailure(finished.error());
      auto queued = jobs::enqueueDeviceSync(**tx, c.rng, c.clock, (*session)->user_id);
      if (!queued) return storageFailure(queued.error());
      auto committed = (*tx)->commit();
      if (!committed) return storageFailure(committed.error());
      c.cache.invalidateSession((*session)->id.str());
      return unknownToken();
    }
  }

  auto pair = issuePair(**tx, c.rng, c.clock, (*session)->id, true, c.options.access_token_ttl);
  if (!pair) return storageFailure(pair.error());
  if (successor) {
    auto revoked_refresh = (*tx)->compatRefreshTokens().revoke(c.clock, successor->id);
    if (!revoked_refresh) return storageFailure(revoked_refresh.error());
    auto revoked_access = (*tx)->compatAccessTokens().revoke(c.clock, successor_access->id);
    if (!revoked_access) return storageFailure(revoked_access.error());
    auto replaced = (*tx)->compatRefreshTokens().replaceSuccessor((*token)->id, successor->id,
                                                                  pair->refresh->id);
    if (!replaced) return storageFailure(replaced.error());
    if (!*replaced) return unknownToken();
  } else {
    auto consumed = (*tx)->compatRefreshTokens().consume(c.clock, (*token)->id, pair->refresh->id);
    if (!consumed) return storageFailure(consumed.error());
    if (!*consumed) return unknownToken();  // a concurrent refresh won
    auto revoked = (*tx)->compatAccessTokens().revoke(c.clock, (*token)->access_token_id);
    if (!revoked) return storageFailure(revoked.error());
  }
  auto committed = (*tx)->commit();
  if (!committed) return storageFailure(committed.error());
  c.cache.invalidateSession((*session)->id.str());

  std::string response = "{";
  appendTokens(response, *pair, c.options.access_token_ttl);
  response += '}';
  return matrixJson(200, std::move(response));
}

void mountCompatRoutes(http::Router& router, const CompatHandlers& handlers) {
  for (std::string_view version : {"r0", "v3"}) {
    const std::string base = "/_matrix/client/" + std::string(version);
    router.add(http::Method::Get, base + "/login",
               [&handlers](http::Request& request) { return handlers.loginFlows(request); });
    router.add(http::Method::Post, base + "/login",
               [&handlers](http::Request& request) { return handlers.login(request); });
    router.add(http::Method::Post, base + "/logout",
               [&handlers](http::Request& request) { return handlers.logout(request); });
    router.add(http::Method::Post, base + "/logout/all",
               [&handlers](http::Request& request) { return handlers.logoutAll(request); });
    router.add(http::Method::Post, base + "/refresh",
               [&handlers](http::Request& request) { return handlers.refresh(request); });
  }
  router.add(http::Method::Post, "/_matrix/client/unstable/org.matrix.msc2918/refresh",
             [&handlers](http::Request& request) { return handlers.refresh(request); });
}

}  // namespace mxauth::compat
