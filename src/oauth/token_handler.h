#pragma once

// POST /oauth2/token (RFC 6749 §3.2, §4, §5; spec-digest §3.5): a form
// body, each parameter at most once (RFC 6749 §3.1), then `grant_type`
// (missing: invalid_request; not one of authorization_code, refresh_token,
// client_credentials, urn:ietf:params:oauth:grant-type:device_code:
// unsupported_grant_type), then client authentication
// (client_authenticator.h), then the grant (grants/). Runs on the blocking
// pool: it reads and writes the database and may sign an ID token.
//
// Errors are RFC 6749 §5.2 JSON through errorResponse(); successes carry
// Cache-Control: no-store and Pragma: no-cache.

#include "core/clock.h"
#include "core/rng.h"
#include "crypto/key_source.h"
#include "homeserver/homeserver_connection.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "oauth/activity_tracker.h"
#include "oauth/device_authorization_handler.h"
#include "oauth/introspection_cache.h"
#include "oauth/introspection_handler.h"
#include "oauth/oauth_error.h"
#include "oauth/revoke_handler.h"
#include "oauth/token_issuer.h"
#include "oauth/userinfo_handler.h"
#include "storage/database.h"

namespace mxauth::oauth {

class TokenHandler {
 public:
  TokenHandler(storage::Database& database, Rng& rng, const Clock& clock,
               const crypto::KeySource& keys, const TokenEndpointOptions& options,
               const ClientAuthenticator& authenticator, IntrospectionCache& cache,
               homeserver::HomeserverConnection* homeserver);

  http::Response handle(const http::Request& request) const;
  Result<http::Response, OAuthError> exchange(const http::Request& request) const;

 private:
  storage::Database& database_;
  Rng& rng_;
  const Clock& clock_;
  // Each exchange signs with one snapshot (crypto/key_source.h).
  const crypto::KeySource& keys_;
  const TokenEndpointOptions& options_;
  const ClientAuthenticator& authenticator_;
  IntrospectionCache& cache_;
  homeserver::HomeserverConnection* homeserver_;  // null: nothing to provision
  TokenIssuer issuer_;
};

// The token, introspection, revocation and userinfo endpoints with the state
// they share: the introspection cache and the batched activity tracker. The
// composition root makes one, calls start() once the server runs, and
// stop() (or destroys it) before the Database goes away; stop() writes the
// last batch of activity.
class TokenEndpoints {
 public:
  // `homeserver` (when not null) learns of users and devices before their
  // first tokens are handed out (homeserver_provisioning.h).
  TokenEndpoints(storage::Database& database, Rng& rng, const Clock& clock,
                 const crypto::KeySource& keys, TokenEndpointOptions options,
                 homeserver::HomeserverConnection* homeserver = nullptr);

  void start() { activity_.start(options_.activity_flush_interval); }
  void stop() { activity_.stop(); }

  const TokenEndpointOptions& options() const { return options_; }
  IntrospectionCache& introspectionCache() { return cache_; }
  ActivityTracker& activityTracker() { return activity_; }
  const ClientAuthenticator& clientAuthenticator() const { return authenticator_; }
  const TokenHandler& tokenHandler() const { return token_; }
  const IntrospectionHandler& introspectionHandler() const { return introspection_; }
  const RevokeHandler& revokeHandler() const { return revoke_; }
  const UserinfoHandler& userinfoHandler() const { return userinfo_; }
  const DeviceAuthorizationHandler& deviceAuthorizationHandler() const { return device_; }

 private:
  TokenEndpointOptions options_;
  ClientAuthenticator authenticator_;
  IntrospectionCache cache_;
  ActivityTracker activity_;
  TokenHandler token_;
  DeviceAuthorizationHandler device_;
  IntrospectionHandler introspection_;
  RevokeHandler revoke_;
  UserinfoHandler userinfo_;
};

// Adds POST /oauth2/token, POST /oauth2/device, POST /oauth2/introspect (Blocking, with the
// cache fast path), POST /oauth2/revoke and GET+POST /oauth2/userinfo, all
// Blocking. `endpoints` must outlive the router's use.
void mountTokenRoutes(http::Router& router, TokenEndpoints& endpoints);

}  // namespace mxauth::oauth
