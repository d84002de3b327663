#pragma once

// The legacy Matrix login API's sessions (spec-digest §4): what
// `POST /_matrix/client/v3/login` creates for clients that never learnt
// OAuth. A compat session is one Matrix device of one user; its access
// tokens ("mct_…") never expire unless the client asked for a refresh token
// ("mcr_…"), and the homeserver introspects them like OAuth tokens.

#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/id.h"
#include "domain/oauth.h"

namespace mxauth::domain {

using CompatSessionId = Id<struct CompatSessionIdTag>;
using CompatAccessTokenId = Id<struct CompatAccessTokenIdTag>;
using CompatRefreshTokenId = Id<struct CompatRefreshTokenIdTag>;
using CompatSsoLoginId = Id<struct CompatSsoLoginIdTag>;

struct CompatSession {
  CompatSessionId id;
  UserId user_id;
  std::string device_id;
  // initial_device_display_name at login, if any.
  std::optional<std::string> display_name;
  // Flagged by an operator (`mxauth` CLI): the session's tokens carry the
  // Synapse admin scope.
  bool is_admin = false;
  std::string user_agent;
  Timestamp created_at;
  std::optional<Timestamp> finished_at;
  std::optional<Timestamp> last_active_at;
  std::optional<std::string> last_active_ip;

  bool isActive() const { return !finished_at.has_value(); }
  friend bool operator==(const CompatSession&, const CompatSession&) = default;
};

struct CompatAccessToken {
  CompatAccessTokenId id;
  CompatSessionId session_id;
  std::string token_hash;  // SHA-256 hex of the whole token string
  Timestamp created_at;
  std::optional<Timestamp> expires_at;  // none: never expires
  std::optional<Timestamp> first_used_at;
  std::optional<Timestamp> revoked_at;

  bool isValidAt(Timestamp now) const { return !revoked_at && (!expires_at || now < *expires_at); }
  friend bool operator==(const CompatAccessToken&, const CompatAccessToken&) = default;
};

struct CompatRefreshToken {
  CompatRefreshTokenId id;
  CompatSessionId session_id;
  std::string token_hash;
  // The access token issued together with this refresh token.
  CompatAccessTokenId access_token_id;
  Timestamp created_at;
  // Consumed when exchanged at POST /refresh, pointing at its successor.
  std::optional<Timestamp> consumed_at;
  std::optional<CompatRefreshTokenId> next_refresh_token_id;
  std::optional<Timestamp> revoked_at;

  bool isUsable() const { return !consumed_at && !revoked_at; }
  friend bool operator==(const CompatRefreshToken&, const CompatRefreshToken&) = default;
};

// A login through the browser for a legacy client (m.login.sso,
// spec-digest §4.3): GET /login/sso/redirect creates it pending with the
// client's redirectUrl; the user signs in and confirms, which fulfils it
// with a single-use login token (stored as SHA-256 hex only) that the
// client exchanges at POST /login (m.login.token) for a compat session.
struct CompatSsoLogin {
  CompatSsoLoginId id;
  std::string redirect_uri;
  Timestamp created_at;
  // Set together when the user confirmed.
  std::optional<Timestamp> fulfilled_at;
  std::optional<std::string> login_token_hash;
  std::optional<UserId> user_id;
  std::optional<BrowserSessionId> browser_session_id;
  // Set together when the login token was exchanged.
  std::optional<Timestamp> exchanged_at;
  std::optional<CompatSessionId> compat_session_id;

  bool isPending() const { return !fulfilled_at.has_value(); }
  bool isExchanged() const { return exchanged_at.has_value(); }
  friend bool operator==(const CompatSsoLogin&, const CompatSsoLogin&) = default;
};

}  // namespace mxauth::domain
