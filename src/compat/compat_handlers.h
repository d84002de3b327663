#pragma once

// The legacy Matrix login API (spec-digest §4), served at
// /_matrix/client/{r0,v3}/… for clients that never learnt OAuth; a
// deployment's reverse proxy routes these paths here (docs/setup/synapse.md).
//
//   GET  /login        the login flows (m.login.password, m.login.sso,
//                      m.login.token)
//   POST /login        m.login.password, or m.login.token with the login
//                      token of a browser login (web/compat_sso.h) → a
//                      compat session (one Matrix device) and an "mct_"
//                      access token (an "mcr_" refresh token too with
//                      "refresh_token": true)
//   POST /logout       ends the calling token's session; the device goes
//   POST /logout/all   ends every session of the user, compat and OAuth
//   POST /refresh      rotates a compat refresh token
//
// Errors are Matrix errors ({"errcode","error"}). Like the token endpoint,
// login provisions the user and upserts the device on the homeserver before
// any token exists; ending a session queues the homeserver device sync in
// the same transaction (jobs/homeserver_jobs.h).

#include <optional>
#include <string>
#include <string_view>

#include "accounts/login_throttle.h"
#include "core/clock.h"
#include "core/rng.h"
#include "crypto/password_hasher.h"
#include "domain/compat.h"
#include "domain/user.h"
#include "homeserver/homeserver_connection.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "oauth/introspection_cache.h"
#include "storage/database.h"

namespace mxauth::compat {

struct CompatOptions {
  std::string server_name;  // matrix.homeserver
  // Lifetime of access tokens issued with a refresh token
  // (tokens.access_token_ttl); without one they never expire.
  Duration access_token_ttl = std::chrono::seconds(300);
  // A consumed refresh token presented again within this long of its
  // rotation is a client racing itself: refused, nothing ended.
  Duration refresh_retry_min_age = std::chrono::seconds(2);
  // How long after the user confirmed a browser login its login token may
  // be exchanged (spec-digest §4.2: MAS allows 30 s).
  Duration login_token_ttl = std::chrono::seconds(30);
};

struct CompatContext {
  storage::Database& database;
  crypto::PasswordHasher& hasher;
  Rng& rng;
  const Clock& clock;
  homeserver::HomeserverConnection& homeserver;
  // Sessions that end are dropped from the introspection cache.
  oauth::IntrospectionCache& cache;
  CompatOptions options;
  // The login limits, shared with the browser login page; null: none.
  // Over a limit, login answers 429 M_LIMIT_EXCEEDED before any hashing.
  accounts::LoginThrottle* login_throttle = nullptr;
};

class CompatHandlers {
 public:
  explicit CompatHandlers(CompatContext context) : context_(std::move(context)) {}

  http::Response loginFlows(const http::Request& request) const;
  http::Response login(const http::Request& request) const;
  http::Response logout(const http::Request& request) const;
  http::Response logoutAll(const http::Request& request) const;
  http::Response refresh(const http::Request& request) const;

 private:
  // The parts of POST /login every login type shares.
  struct LoginRequest {
    std::optional<std::string> device_id;
    std::optional<std::string> display_name;
    bool with_refresh = false;
  };
  http::Response loginWithToken(const http::Request& request, std::string_view token,
                                LoginRequest login) const;
  // Sets the device up on the homeserver, then creates the compat session
  // and its tokens (exchanging `sso` in the same transaction).
  http::Response startSession(const http::Request& request, const domain::User& user,
                              LoginRequest login,
                              std::optional<domain::CompatSsoLoginId> sso) const;

  CompatContext context_;
};

// Mounts every path above for r0 and v3 (and the unstable MSC2918 refresh)
// on the blocking pool.
void mountCompatRoutes(http::Router& router, const CompatHandlers& handlers);

}  // namespace mxauth::compat
