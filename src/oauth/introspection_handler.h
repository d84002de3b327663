#pragma once

// POST /oauth2/introspect (RFC 7662; the Matrix contract of spec-digest
// §5.4). The hot path of the server (design §8).
//
// Caller authentication (RFC 7662 §2.1 "MUST require some form of
// authorization"): the homeserver with `Authorization: Bearer
// <matrix.secret>` (compared in constant time; only when the secret is
// configured), or a confidential client with its own credentials. Anyone
// else gets 401 invalid_client.
//
// The answer for the `token` parameter (required; invalid_request without):
//  - `{"active":false}` for anything that is not an active OAuth access or
//    refresh token of this server: a malformed token or one whose checksum
//    fails (no database lookup at all), an unknown, expired, revoked or
//    consumed one, a finished session, a locked or deactivated user, and a
//    `token_type_hint` that names the other type. Unknown hint values are
//    ignored (RFC 7662 §2.1 makes the hint advisory);
//  - an active access token: active, scope (ScopeSet::introspectionScope),
//    client_id, username (localpart), sub (user id), token_type, exp, iat,
//    expires_in (whole seconds left), and device_id when the caller sends
//    `X-MAS-Supports-Device-Id: 1` and the session is bound to a device;
//  - an active refresh token: the same with token_type "refresh_token",
//    exp/expires_in only when it has an expiry.
// The first introspection of an access token records first_used_at (it
// feeds the refresh retry rule); every active introspection records session
// activity through the ActivityTracker (batched).
//
// fastPath() runs on the I/O thread: it authenticates a Bearer caller,
// answers malformed tokens, and serves cached active access tokens; it
// returns nullopt (on to the blocking handle()) for everything else.

#include <optional>

#include "core/clock.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/activity_tracker.h"
#include "oauth/client_authenticator.h"
#include "oauth/introspection_cache.h"
#include "oauth/oauth_error.h"
#include "oauth/token_issuer.h"
#include "storage/database.h"

namespace mxauth::oauth {

class IntrospectionHandler {
 public:
  IntrospectionHandler(storage::Database& database, const Clock& clock,
                       const ClientAuthenticator& authenticator,
                       const TokenEndpointOptions& options, IntrospectionCache& cache,
                       ActivityTracker& activity);

  std::optional<http::Response> fastPath(const http::Request& request) const;
  http::Response handle(const http::Request& request) const;

 private:
  Result<http::Response, OAuthError> introspect(const http::Request& request) const;
  bool isHomeserver(const http::Request& request) const;
  Result<http::Response, OAuthError> introspectCompat(std::unique_ptr<storage::Transaction>& tx,
                                                      const http::Request& request,
                                                      const std::string& hash, Timestamp now,
                                                      std::uint64_t seen_invalidations) const;

  storage::Database& database_;
  const Clock& clock_;
  const ClientAuthenticator& authenticator_;
  const TokenEndpointOptions& options_;
  IntrospectionCache& cache_;
  ActivityTracker& activity_;
};

// The fixed-shape JSON answers, built without a DOM (exposed for tests).
http::Response inactiveIntrospection();
http::Response activeIntrospection(const IntrospectionRecord& record, std::string_view token_type,
                                   bool include_expiry, bool include_device_id, Timestamp now);

}  // namespace mxauth::oauth
