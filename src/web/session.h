#pragma once

// Browser sessions and CSRF protection for the web pages (security
// checklist F.38, F.39, F.42, F.43).
//
// Session cookie. It holds "<BrowserSession id>.<last seen, Unix ms>" sealed
// with crypto::Aead (AES-256-GCM under a key derived from secrets.encryption;
// associated data = the cookie name), so it can be neither forged nor moved
// to another cookie name. Its name is "__Host-mxauth-session" (Secure, no
// Domain: subdomains cannot plant it) when the public base is https, and
// "mxauth-session" on plain-http loopback set-ups; always HttpOnly,
// SameSite=Lax, Path=/. current() accepts it only when the session exists,
// is not finished, was created less than the absolute lifetime ago, was last
// seen (the time in the cookie, or the last authentication if later) less
// than the idle lifetime ago, and its user may still log in. Anything else —
// a missing, tampered, foreign or stale cookie — reads as "logged out".
// Logging in always creates a new BrowserSession (a new id: no fixation);
// logging out finishes it in the database, so a replayed cookie is dead.
//
// CSRF. A separate cookie ("__Host-mxauth-csrf" / "mxauth-csrf", HttpOnly,
// SameSite=Lax) holds 32 random bytes, created on the first page that shows
// a form. The token in a form is HMAC-SHA256(csrf key, cookie value, form
// purpose), base64url: bound to this browser and to one purpose (e.g. the
// consent of one authorization grant), compared in constant time. A POST is
// also refused when it says it comes from another site (an Origin that is
// not ours, or Sec-Fetch-Site: cross-site).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "domain/oauth.h"
#include "domain/user.h"
#include "http/request.h"
#include "http/response.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::web {

struct SessionSettings {
  // The public base (http.public_base): https means Secure, __Host- cookies.
  std::string public_base = "http://127.0.0.1:8080/";
  std::chrono::seconds idle_lifetime = std::chrono::hours(24 * 7);
  std::chrono::seconds absolute_lifetime =
      std::chrono::duration_cast<std::chrono::seconds>(domain::kBrowserSessionLifetime);
  // A cookie last seen longer ago than this is re-issued, which moves the
  // idle timer on without a Set-Cookie on every page.
  std::chrono::seconds refresh_after = std::chrono::hours(1);
};

// A session that passed every check of current().
struct ActiveSession {
  domain::BrowserSession session;
  domain::User user;
  // The cookie should be re-issued (see SessionSettings::refresh_after).
  bool needs_refresh = false;
};

// What a genuine session cookie says: the session, and when this browser
// was last seen with it.
struct SessionCookie {
  domain::BrowserSessionId id;
  Timestamp last_seen;
};

// The CSRF cookie value of a request, or a fresh one to set.
struct CsrfCookie {
  std::string value;
  bool is_new = false;
};

class SessionManager {
 public:
  SessionManager(const crypto::EncryptionSecret& secret, SessionSettings settings);

  const std::string& sessionCookieName() const { return session_cookie_; }
  const std::string& csrfCookieName() const { return csrf_cookie_; }
  bool secureCookies() const { return secure_; }
  // "https://auth.example.com" (scheme, host and port of the public base).
  const std::string& publicOrigin() const { return public_origin_; }

  // The valid session of this request, if any (see the header comment).
  Result<std::optional<ActiveSession>, storage::StorageError> current(
      const http::Request& request, storage::Transaction& transaction, const Clock& clock) const;
  // current() in two halves, for a caller that reads the session together
  // with other rows: the request's cookie when it is genuine (no storage
  // read), then the checks on the session and user read for it.
  std::optional<SessionCookie> sessionCookie(const http::Request& request) const;
  std::optional<ActiveSession> activeSession(const SessionCookie& cookie,
                                             std::optional<storage::BrowserSessionWithUser> found,
                                             const Clock& clock) const;

  // Sets the session cookie naming `session`, last seen now.
  void attach(http::Response& response, const domain::BrowserSessionId& session, Rng& rng,
              const Clock& clock) const;
  // Re-issues the cookie when `active.needs_refresh`.
  void refresh(http::Response& response, const ActiveSession& active, Rng& rng,
               const Clock& clock) const;
  // Deletes the session cookie in the browser.
  void clear(http::Response& response) const;

  // The request's CSRF cookie, or a new random value to issue with
  // issueCsrfCookie().
  CsrfCookie csrfCookie(const http::Request& request, Rng& rng) const;
  void issueCsrfCookie(http::Response& response, const CsrfCookie& cookie) const;
  // The token a form with this purpose carries.
  std::string csrfToken(const CsrfCookie& cookie, std::string_view purpose) const;
  // True when the request carries the CSRF cookie, `token` is the token for
  // `purpose` under it (constant-time comparison), and nothing says the
  // request came from another site.
  bool verifyCsrf(const http::Request& request, std::string_view purpose,
                  std::string_view token) const;
  // True when the Origin header is present and is not ours, or
  // Sec-Fetch-Site is "cross-site".
  bool isCrossSite(const http::Request& request) const;

 private:
  SessionSettings settings_;
  crypto::Aead aead_;
  crypto::Sha256Digest csrf_key_;
  bool secure_ = false;
  std::string public_origin_;
  std::string session_cookie_;
  std::string csrf_cookie_;
};

// The origin ("scheme://host[:port]") of an absolute http(s) URL, lower-cased
// scheme and host; empty when `url` is not one.
std::string originOf(std::string_view url);

}  // namespace mxauth::web
