#include "oauth/introspection_handler.h"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "crypto/constant_time.h"
#include "crypto/token.h"
#include "http/middleware.h"
#include "oauth/client_authenticator.h"
#include "oauth/scope.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kAccessTokenType = "access_token";
constexpr std::string_view kRefreshTokenType = "refresh_token";

void appendMember(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  http::appendJsonString(out, value);
}

void appendMember(std::string& out, std::string_view name, std::int64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(value);
}

http::Response noStore(http::Response response) {
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  return response;
}

bool wantsDeviceId(const http::Request& request) {
  std::optional<std::string_view> header = request.header("X-MAS-Supports-Device-Id");
  return header && *header == "1";
}

// The token and hint of a parsed form; invalid_request when the token is
// missing or a parameter repeats.
struct IntrospectionRequest {
  std::string_view token;  // into the parsed form
  std::optional<std::string_view> hint;
};

Result<IntrospectionRequest, OAuthError> readRequest(const http::FormParams& form) {
  if (std::optional<std::string_view> duplicate = form.firstDuplicate()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest,
                   "The parameter " + std::string(*duplicate) + " appears more than once."));
  }
  std::optional<std::string_view> token = form.get("token");
  if (!token || token->empty()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest, "The parameter token is missing."));
  }
  return IntrospectionRequest{*token, form.get("token_type_hint")};
}

// The token type the hint excludes nothing of, or says the token is not
// (true when `type` contradicts a known hint).
bool hintContradicts(std::optional<std::string_view> hint, crypto::TokenType type) {
  if (!hint) return false;
  // Legacy (compat) tokens are access and refresh tokens too: Synapse sends
  // token_type_hint=access_token for every token it introspects.
  if (*hint == kAccessTokenType) {
    return type != crypto::TokenType::AccessToken && type != crypto::TokenType::CompatAccessToken;
  }
  if (*hint == kRefreshTokenType) {
    return type != crypto::TokenType::RefreshToken && type != crypto::TokenType::CompatRefreshToken;
  }
  return false;
}

}  // namespace

http::Response inactiveIntrospection() {
  return noStore(http::Response::json(200, R"({"active":false})"));
}

http::Response activeIntrospection(const IntrospectionRecord& record, std::string_view token_type,
                                   bool include_expiry, bool include_device_id, Timestamp now) {
  std::string body;
  body.reserve(160 + record.scope.size() + record.client_id.size() + record.username.size() +
               record.subject.size() + (record.device_id ? record.device_id->size() : 0));
  body = R"({"active":true)";
  appendMember(body, "scope", record.scope);
  appendMember(body, "client_id", record.client_id);
  if (!record.username.empty()) appendMember(body, "username", record.username);
  if (!record.subject.empty()) appendMember(body, "sub", record.subject);
  appendMember(body, "token_type", token_type);
  appendMember(body, "iat", toUnixSeconds(record.issued_at));
  if (include_expiry) {
    appendMember(body, "exp", toUnixSeconds(record.expires_at));
    auto left = std::chrono::duration_cast<std::chrono::seconds>(record.expires_at - now);
    appendMember(body, "expires_in", std::max<std::int64_t>(0, left.count()));
  }
  if (include_device_id && record.device_id) appendMember(body, "device_id", *record.device_id);
  body += '}';
  return noStore(http::Response::json(200, std::move(body)));
}

IntrospectionHandler::IntrospectionHandler(storage::Database& database, const Clock& clock,
                                           const ClientAuthenticator& authenticator,
                                           const TokenEndpointOptions& options,
                                           IntrospectionCache& cache, ActivityTracker& activity)
    : database_(database),
      clock_(clock),
      authenticator_(authenticator),
      options_(options),
      cache_(cache),
      activity_(activity) {}

bool IntrospectionHandler::isHomeserver(const http::Request& request) const {
  if (options_.matrix_secret.empty()) return false;
  for (const http::HeaderField& field : request.headers.fields()) {
    if (!http::equalsIgnoreCase(field.name, "Authorization")) continue;
    const std::string_view value = field.value;
    std::size_t space = value.find(' ');
    if (space == std::string_view::npos) continue;
    if (!http::equalsIgnoreCase(value.substr(0, space), "Bearer")) continue;
    std::string_view secret = value.substr(space + 1);
    while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
    if (crypto::constantTimeEquals(secret, options_.matrix_secret)) return true;
  }
  return false;
}

std::optional<http::Response> IntrospectionHandler::fastPath(const http::Request& request) const {
  if (!isHomeserver(request)) return std::nullopt;
  auto form = request.form();
  if (!form) return std::nullopt;
  auto parsed = readRequest(*form);
  if (!parsed) return std::nullopt;
  auto type = crypto::parseToken(parsed->token);
  if (!type || hintContradicts(parsed->hint, *type)) return inactiveIntrospection();
  if (*type != crypto::TokenType::AccessToken && *type != crypto::TokenType::CompatAccessToken) {
    return std::nullopt;
  }
  Timestamp now = clock_.now();
  std::shared_ptr<const IntrospectionRecord> record =
      cache_.find(crypto::tokenHashHex(parsed->token), now);
  if (!record) return std::nullopt;
  activity_.record(record->session_id, now, request.remote_address,
                   record->is_compat ? SessionKind::Compat : SessionKind::OAuth);
  return activeIntrospection(*record, kAccessTokenType, record->has_expiry, wantsDeviceId(request),
                             now);
}

http::Response IntrospectionHandler::handle(const http::Request& request) const {
  auto response = introspect(request);
  return response ? std::move(*response) : errorResponse(response.error());
}

Result<http::Response, OAuthError> IntrospectionHandler::introspect(
    const http::Request& request) const {
  auto form = request.form();
  if (!form) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The body must be application/x-www-form-urlencoded."));
  }
  std::unique_ptr<storage::Transaction> tx;
  if (!isHomeserver(request)) {
    auto presented = presentedCredentials(request, *form);
    if (!presented) return unexpected(std::move(presented).error());
    if (!*presented || (*presented)->method == TokenEndpointAuthMethod::None) {
      return unexpected(
          oauthError(OAuthErrorCode::InvalidClient, "Introspection needs client authentication."));
    }
    auto client = authenticator_.authenticate(**presented);
    if (!client) return unexpected(std::move(client).error());
  }
  auto parsed = readRequest(*form);
  if (!parsed) return unexpected(std::move(parsed).error());
  // A malformed token or a wrong checksum is answered without touching the
  // database (security checklist D.32).
  auto type = crypto::parseToken(parsed->token);
  if (!type || hintContradicts(parsed->hint, *type)) return inactiveIntrospection();
  if (!tx) {
    auto began = database_.begin(storage::TransactionMode::ReadOnly);
    if (!began) return unexpected(storageFailure(began.error()));
    tx = std::move(*began);
  }

  Timestamp now = clock_.now();
  std::string hash = crypto::tokenHashHex(parsed->token);
  std::uint64_t seen_invalidations = cache_.invalidations();
  std::optional<domain::OAuthSessionId> session_id;
  std::optional<domain::AccessTokenId> mark_used;
  IntrospectionRecord record;
  std::string_view token_type;
  bool has_expiry = true;
  switch (*type) {
    case crypto::TokenType::AccessToken: {
      if (std::shared_ptr<const IntrospectionRecord> cached = cache_.find(hash, now)) {
        activity_.record(cached->session_id, now, request.remote_address);
        return activeIntrospection(*cached, kAccessTokenType, true, wantsDeviceId(request), now);
      }
      auto token = tx->accessTokens().findByHash(hash);
      if (!token) return unexpected(storageFailure(token.error()));
      if (!*token || !(*token)->isValidAt(now)) return inactiveIntrospection();
      session_id = (*token)->session_id;
      if (!(*token)->first_used_at) mark_used = (*token)->id;
      record.issued_at = (*token)->created_at;
      record.expires_at = (*token)->expires_at;
      token_type = kAccessTokenType;
      break;
    }
    case crypto::TokenType::RefreshToken: {
      auto token = tx->refreshTokens().findByHash(hash);
      if (!token) return unexpected(storageFailure(token.error()));
      if (!*token || !(*token)->isUsableAt(now)) return inactiveIntrospection();
      session_id = (*token)->session_id;
      record.issued_at = (*token)->created_at;
      has_expiry = (*token)->expires_at.has_value();
      record.expires_at = (*token)->expires_at.value_or(now);
      token_type = kRefreshTokenType;
      break;
    }
    case crypto::TokenType::CompatAccessToken:
      return introspectCompat(tx, request, hash, now, seen_invalidations);
    case crypto::TokenType::CompatRefreshToken:
    case crypto::TokenType::PersonalToken:
      return inactiveIntrospection();
  }

  auto session = tx->oauthSessions().lookup(*session_id);
  if (!session) return unexpected(storageFailure(session.error()));
  if (!*session || !(*session)->isActive()) return inactiveIntrospection();
  if ((*session)->user_id) {
    auto user = tx->users().lookup(*(*session)->user_id);
    if (!user) return unexpected(storageFailure(user.error()));
    if (!*user || !(*user)->canLogIn()) return inactiveIntrospection();
    record.username = (*user)->localpart;
    record.subject = (*user)->id.str();
  }
  auto scope = ScopeSet::parse((*session)->scope);
  record.scope = scope ? scope->introspectionScope() : (*session)->scope;
  record.client_id = (*session)->client_id.str();
  record.device_id = (*session)->device_id;
  record.session_id = (*session)->id.str();
  tx.reset();

  if (mark_used) {
    // Once per token lifetime, not per request: the cache answers the rest.
    auto write = database_.begin(storage::TransactionMode::ReadWrite);
    if (!write) return unexpected(storageFailure(write.error()));
    auto marked = (*write)->accessTokens().markUsed(*mark_used, now);
    if (!marked) return unexpected(storageFailure(marked.error()));
    auto committed = (*write)->commit();
    if (!committed) return unexpected(storageFailure(committed.error()));
  }
  activity_.record(record.session_id, now, request.remote_address);
  if (token_type == kAccessTokenType) cache_.insert(hash, record, now, seen_invalidations);
  return activeIntrospection(record, token_type, has_expiry, wantsDeviceId(request), now);
}

// A compat access token (legacy login, spec-digest §5.4 "Compat sessions"):
// both API scopes, the device in both scope forms (and in device_id when
// the homeserver asks), the admin scope when an operator flagged the
// session; client_id "legacy"; no expiry unless it has one.
Result<http::Response, OAuthError> IntrospectionHandler::introspectCompat(
    std::unique_ptr<storage::Transaction>& tx, const http::Request& request,
    const std::string& hash, Timestamp now, std::uint64_t seen_invalidations) const {
  if (std::shared_ptr<const IntrospectionRecord> cached = cache_.find(hash, now)) {
    activity_.record(cached->session_id, now, request.remote_address, SessionKind::Compat);
    return activeIntrospection(*cached, kAccessTokenType, cached->has_expiry,
                               wantsDeviceId(request), now);
  }
  auto token = tx->compatAccessTokens().findByHash(hash);
  if (!token) return unexpected(storageFailure(token.error()));
  if (!*token || !(*token)->isValidAt(now)) return inactiveIntrospection();
  auto session = tx->compatSessions().lookup((*token)->session_id);
  if (!session) return unexpected(storageFailure(session.error()));
  if (!*session || !(*session)->isActive()) return inactiveIntrospection();
  auto user = tx->users().lookup((*session)->user_id);
  if (!user) return unexpected(storageFailure(user.error()));
  if (!*user || !(*user)->canLogIn()) return inactiveIntrospection();

  IntrospectionRecord record;
  record.scope = "urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*";
  if (isValidDeviceId((*session)->device_id)) {
    record.scope += " urn:matrix:client:device:" + (*session)->device_id +
                    " urn:matrix:org.matrix.msc2967.client:device:" + (*session)->device_id;
  }
  if ((*session)->is_admin) record.scope += " urn:synapse:admin:*";
  record.client_id = "legacy";
  record.username = (*user)->localpart;
  record.subject = (*user)->id.str();
  record.device_id = (*session)->device_id;
  record.session_id = (*session)->id.str();
  record.issued_at = (*token)->created_at;
  record.has_expiry = (*token)->expires_at.has_value();
  record.expires_at = (*token)->expires_at.value_or(Timestamp::max());
  record.is_compat = true;
  const bool first_use = !(*token)->first_used_at;
  const domain::CompatAccessTokenId token_id = (*token)->id;
  tx.reset();
  if (first_use) {
    auto write = database_.begin(storage::TransactionMode::ReadWrite);
    if (!write) return unexpected(storageFailure(write.error()));
    auto marked = (*write)->compatAccessTokens().markUsed(token_id, now);
    if (!marked) return unexpected(storageFailure(marked.error()));
    auto committed = (*write)->commit();
    if (!committed) return unexpected(storageFailure(committed.error()));
  }
  activity_.record(record.session_id, now, request.remote_address, SessionKind::Compat);
  cache_.insert(hash, record, now, seen_invalidations);
  return activeIntrospection(record, kAccessTokenType, record.has_expiry, wantsDeviceId(request),
                             now);
}

}  // namespace mxauth::oauth
