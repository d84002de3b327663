#pragma once

// The OAuth 2.0 data model (RFC 6749, OIDC Core, the Matrix OAuth API): the
// records mxauth keeps and their states. No I/O; storage/ persists them and
// oauth/ and web/ drive their transitions.
//
//   OAuthClient ── registered by a client (RFC 7591) or an operator
//   BrowserSession ── a user logged in to mxauth's web pages (cookie)
//   AuthorizationGrant ── one /authorize request: Pending → Fulfilled (code
//       issued, bound to a BrowserSession and an OAuthSession) → Exchanged,
//       or → Cancelled (denied, or the code was replayed)
//   OAuthSession ── what one user granted one client (scope, Matrix device);
//       ends by revocation, logout or replay defence
//   AccessToken / RefreshToken ── issued under an OAuthSession; stored only
//       as SHA-256 hashes (design §7)

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/id.h"

namespace mxauth::domain {

// A registered client. The registration metadata is kept as the canonical
// JSON document the server registered (RFC 7591 §3.2.1 response members),
// which oauth/ parses; storage treats it as opaque text.
struct OAuthClient {
  ClientId id;  // the client_id handed to the client
  std::string metadata_json;
  // SHA-256 hex of the client secret for confidential clients (design §7).
  std::optional<std::string> secret_hash;
  // For de-duplicating identical public-client registrations: a digest of
  // the canonical metadata. Unique when present.
  std::optional<std::string> metadata_digest;
  // Added by an operator (`mxauth client add`), not by dynamic registration.
  bool is_static = false;
  Timestamp created_at;
  // client_secret_jwt clients only: the secret itself, sealed with the
  // configured encryption key (crypto/aead.h), since it is their HMAC key.
  std::optional<std::string> encrypted_secret;

  friend bool operator==(const OAuthClient&, const OAuthClient&) = default;
};

// A login to mxauth's own web pages, referenced by the (encrypted) session
// cookie. `authenticated_at` is the last time the user proved who they are
// (password, re-authentication): OIDC `auth_time` and `max_age` use it.
// A browser session ends this long after its sign-in at the latest
// (web/session.h), cookie or not.
inline constexpr Duration kBrowserSessionLifetime = std::chrono::hours(24 * 30);

struct BrowserSession {
  BrowserSessionId id;
  UserId user_id;
  Timestamp created_at;
  Timestamp authenticated_at;
  std::optional<Timestamp> finished_at;
  std::string user_agent;
  std::string ip_address;

  bool isActive() const { return !finished_at.has_value(); }
  friend bool operator==(const BrowserSession&, const BrowserSession&) = default;
};

enum class ResponseMode { Query, Fragment, FormPost };

// One authorization request (RFC 6749 §4.1.1 + PKCE + OIDC), kept from
// /authorize until its code is exchanged. Invariants:
//  - fulfilled_at, code_hash, session_id, browser_session_id and user_id
//    are set together, when the user has consented;
//  - exchanged_at is set at most once (a conditional write), only after
//    fulfilment;
//  - cancelled_at ends the grant without a code, or after a replay.
struct AuthorizationGrant {
  AuthorizationGrantId id;
  ClientId client_id;
  std::string redirect_uri;
  std::string scope;  // space-separated, as requested (validated)
  std::optional<std::string> state;
  std::optional<std::string> nonce;
  ResponseMode response_mode = ResponseMode::Query;
  std::optional<std::string> code_challenge;  // S256 only (RFC 7636 §4.2)
  std::optional<std::string> login_hint;
  std::optional<std::string> prompt;
  std::optional<std::int64_t> max_age;  // seconds (OIDC Core §3.1.2.1)
  Timestamp created_at;

  std::optional<Timestamp> fulfilled_at;
  std::optional<std::string> code_hash;  // SHA-256 hex of the code
  std::optional<OAuthSessionId> session_id;
  std::optional<BrowserSessionId> browser_session_id;
  std::optional<UserId> user_id;
  std::optional<Timestamp> exchanged_at;
  std::optional<Timestamp> cancelled_at;

  bool isPending() const { return !fulfilled_at && !cancelled_at; }
  bool isExchangeable() const { return fulfilled_at && !exchanged_at && !cancelled_at; }
  friend bool operator==(const AuthorizationGrant&, const AuthorizationGrant&) = default;
};

// What one user granted one client. user_id is empty for client_credentials
// sessions. device_id is the Matrix device bound by the device scope.
struct OAuthSession {
  OAuthSessionId id;
  ClientId client_id;
  std::optional<UserId> user_id;
  std::string scope;  // space-separated, as granted
  std::optional<std::string> device_id;
  Timestamp created_at;
  std::optional<Timestamp> finished_at;
  std::optional<Timestamp> last_active_at;
  std::optional<std::string> last_active_ip;
  std::string user_agent;
  // OIDC auth_time of the authentication behind this session.
  std::optional<Timestamp> authenticated_at;

  bool isActive() const { return !finished_at.has_value(); }
  friend bool operator==(const OAuthSession&, const OAuthSession&) = default;
};

struct AccessToken {
  AccessTokenId id;
  OAuthSessionId session_id;
  std::string token_hash;  // SHA-256 hex of the whole token string
  Timestamp created_at;
  Timestamp expires_at;
  // Set by the first introspection: feeds the lost-response refresh retry
  // (a successor pair whose access token was never used may be re-issued).
  std::optional<Timestamp> first_used_at;
  std::optional<Timestamp> revoked_at;

  bool isValidAt(Timestamp now) const { return !revoked_at && now < expires_at; }
  friend bool operator==(const AccessToken&, const AccessToken&) = default;
};

struct RefreshToken {
  RefreshTokenId id;
  OAuthSessionId session_id;
  std::string token_hash;
  // The access token issued together with this refresh token.
  AccessTokenId access_token_id;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  // Rotation (RFC 9700 §4.14.2): consumed when exchanged for a successor.
  std::optional<Timestamp> consumed_at;
  std::optional<RefreshTokenId> next_refresh_token_id;
  std::optional<Timestamp> revoked_at;

  bool isUsableAt(Timestamp now) const {
    return !consumed_at && !revoked_at && (!expires_at || now < *expires_at);
  }
  friend bool operator==(const RefreshToken&, const RefreshToken&) = default;
};

}  // namespace mxauth::domain
