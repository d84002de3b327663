#pragma once

// The legacy Matrix login API (spec-digest §4), served at
// /_matrix/client/{r0,v3}/… for clients that never learnt OAuth; a
// deployment's reverse proxy routes these paths here (docs/setup/synapse.md).
//
//   GET  /login        the login flows (m.login.password)
//   POST /login        m.login.password → a compat session (one Matrix device)
//                      and an "mct_" access token (an "mcr_" refresh token too
//                      with "refresh_token": true)
//   POST /logout       ends the calling token's session; the device goes
//   POST /logout/all   ends every session of the user, compat and OAuth
//   POST /refresh      rotates a compat refresh token
//
// Errors are Matrix errors ({"errcode","error"}). Like the token endpoint,
// login provisions the user and upserts the device on the homeserver before
// any token exists; ending a session queues the homeserver device sync in
// the same transaction (jobs/homeserver_jobs.h).

#include <string>

#include "core/clock.h"
#include "core/rng.h"
#include "crypto/password_hasher.h"
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
  CompatContext context_;
};

// Mounts every path above for r0 and v3 (and the unstable MSC2918 refresh)
// on the blocking pool.
void mountCompatRoutes(http::Router& router, const CompatHandlers& handlers);

}  // namespace mxauth::compat
