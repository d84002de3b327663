#include "web/session.h"

#include <charconv>
#include <utility>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "domain/localpart.h"

namespace mxauth::web {
namespace {

constexpr std::size_t kCsrfCookieBytes = 32;

std::string encodePayload(const domain::BrowserSessionId& id, Timestamp last_seen) {
  return id.str() + "." + std::to_string(toUnixMillis(last_seen));
}

std::optional<SessionCookie> decodePayload(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto id = domain::BrowserSessionId::parse(text.substr(0, dot));
  if (!id) return std::nullopt;
  const std::string_view millis_text = text.substr(dot + 1);
  std::int64_t millis = 0;
  const auto [end, error] =
      std::from_chars(millis_text.data(), millis_text.data() + millis_text.size(), millis);
  if (error != std::errc() || end != millis_text.data() + millis_text.size()) return std::nullopt;
  return SessionCookie{std::move(*id), fromUnixMillis(millis)};
}

}  // namespace

std::string originOf(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string scheme = domain::asciiLowercase(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return {};
  std::string origin = scheme + "://" + domain::asciiLowercase(authority);
  // Browsers leave the default port out of Origin (RFC 6454 §6.1).
  const std::string_view default_port = scheme == "https" ? ":443" : ":80";
  if (origin.ends_with(default_port)) origin.resize(origin.size() - default_port.size());
  return origin;
}

SessionManager::SessionManager(const crypto::EncryptionSecret& secret, SessionSettings settings)
    : settings_(std::move(settings)),
      aead_(secret),
      csrf_key_(crypto::deriveKey(secret, "web-csrf")),
      public_origin_(originOf(settings_.public_base)) {
  secure_ = public_origin_.starts_with("https://");
  session_cookie_ = secure_ ? "__Host-mxauth-session" : "mxauth-session";
  csrf_cookie_ = secure_ ? "__Host-mxauth-csrf" : "mxauth-csrf";
}

Result<std::optional<ActiveSession>, storage::StorageError> SessionManager::current(
    const http::Request& request, storage::Transaction& transaction, const Clock& clock) const {
  using Found = std::optional<ActiveSession>;
  const auto cookie = sessionCookie(request);
  if (!cookie) return Found();
  auto found = transaction.browserSessions().lookupWithUser(cookie->id);
  if (!found) return unexpected(found.error());
  return activeSession(*cookie, std::move(*found), clock);
}

std::optional<SessionCookie> SessionManager::sessionCookie(const http::Request& request) const {
  const auto sealed = request.cookie(session_cookie_);
  if (!sealed) return std::nullopt;
  auto opened = aead_.open(*sealed, session_cookie_);
  if (!opened) return std::nullopt;
  return decodePayload(*opened);
}

std::optional<ActiveSession> SessionManager::activeSession(
    const SessionCookie& cookie, std::optional<storage::BrowserSessionWithUser> found,
    const Clock& clock) const {
  if (!found || found->session.id != cookie.id) return std::nullopt;
  auto& [session, user] = *found;
  if (!session.isActive()) return std::nullopt;

  const Timestamp now = clock.now();
  if (now - session.created_at >= settings_.absolute_lifetime) return std::nullopt;
  const Timestamp last_seen = std::max(cookie.last_seen, session.authenticated_at);
  if (now - last_seen >= settings_.idle_lifetime) return std::nullopt;
  if (!user.canLogIn()) return std::nullopt;

  return ActiveSession{std::move(session), std::move(user),
                       now - cookie.last_seen >= settings_.refresh_after};
}

void SessionManager::attach(http::Response& response, const domain::BrowserSessionId& session,
                            Rng& rng, const Clock& clock) const {
  const std::string sealed = aead_.seal(rng, encodePayload(session, clock.now()), session_cookie_);
  response.setCookie(http::SetCookie(session_cookie_, sealed)
                         .secure(secure_)
                         .httpOnly(true)
                         .sameSite(http::SameSite::Lax)
                         .path("/"));
}

void SessionManager::refresh(http::Response& response, const ActiveSession& active, Rng& rng,
                             const Clock& clock) const {
  if (active.needs_refresh) attach(response, active.session.id, rng, clock);
}

void SessionManager::clear(http::Response& response) const {
  response.setCookie(http::SetCookie(session_cookie_, "")
                         .secure(secure_)
                         .httpOnly(true)
                         .sameSite(http::SameSite::Lax)
                         .path("/")
                         .maxAge(std::chrono::seconds(0)));
}

CsrfCookie SessionManager::csrfCookie(const http::Request& request, Rng& rng) const {
  if (const auto value = request.cookie(csrf_cookie_)) {
    // Only values we could have made: base64url of kCsrfCookieBytes bytes.
    const auto decoded = core::base64UrlDecode(*value);
    if (decoded && decoded->size() == kCsrfCookieBytes) return CsrfCookie{std::string(*value)};
  }
  return CsrfCookie{crypto::randomUrlSafeString(rng, kCsrfCookieBytes), true};
}

void SessionManager::issueCsrfCookie(http::Response& response, const CsrfCookie& cookie) const {
  if (!cookie.is_new) return;
  response.setCookie(http::SetCookie(csrf_cookie_, cookie.value)
                         .secure(secure_)
                         .httpOnly(true)
                         .sameSite(http::SameSite::Lax)
                         .path("/"));
}

std::string SessionManager::csrfToken(const CsrfCookie& cookie, std::string_view purpose) const {
  std::string message = cookie.value;
  message.push_back('\0');
  message.append(purpose);
  return core::base64UrlEncode(crypto::hmacSha256(csrf_key_, core::asBytes(message)));
}

bool SessionManager::isCrossSite(const http::Request& request) const {
  // Our forms are always posted from our own pages: a browser that says
  // where the request came from must say "same-origin" ("none" is a request
  // the user typed). "same-site" is refused too, so that a sibling
  // subdomain or another port on this host cannot post our forms either.
  if (const auto site = request.header("Sec-Fetch-Site")) {
    if (!http::equalsIgnoreCase(*site, "same-origin") && !http::equalsIgnoreCase(*site, "none")) {
      return true;
    }
  }
  // Browsers send "Origin: null" for a form POST from a page whose referrer
  // policy is no-referrer (ours, Fetch §3.2.5): that says nothing about the
  // site, so only a real, different origin counts. The token still decides.
  if (const auto origin = request.header("Origin"); origin && *origin != "null") {
    if (domain::asciiLowercase(*origin) != public_origin_) return true;
  }
  return false;
}

bool SessionManager::verifyCsrf(const http::Request& request, std::string_view purpose,
                                std::string_view token) const {
  if (isCrossSite(request)) return false;
  const auto value = request.cookie(csrf_cookie_);
  if (!value || value->empty() || token.empty()) return false;
  const std::string expected = csrfToken(CsrfCookie{std::string(*value)}, purpose);
  return crypto::constantTimeEquals(expected, token);
}

}  // namespace mxauth::web
