#pragma once

// POST /oauth2/revoke (RFC 7009, MSC4254, spec-digest §3.7).
//
//  - `token` is required (invalid_request); it may be an access or a refresh
//    token, and either ends the whole OAuthSession — both tokens and every
//    other token under it (MSC4254: logout revokes the pair) — and drops
//    the session from the introspection cache. The answer comes only after
//    the commit (security checklist D.31); a storage failure is 5xx.
//  - Unknown, malformed, expired or already revoked tokens: 200 (RFC 7009
//    §2.2), so nobody learns whether a token existed.
//  - Client authentication is optional. Without it, or when the token
//    belongs to another client, the token is still revoked (spec-digest §6
//    #2: the spec SHOULD, which lets secret scanners revoke leaked tokens;
//    a token holder can use it anyway); a bare client_id, even an unknown
//    one, is not checked. Secrets that are presented (Basic or
//    client_secret) must be right: wrong ones are 401 invalid_client and
//    revoke nothing.
//  - `token_type_hint` is advisory: both kinds are looked up whatever it
//    says, and unknown values are ignored rather than answered with
//    unsupported_token_type (RFC 7009 §2.1 lets the server ignore the hint;
//    every token type we issue can be revoked).
//  - The body of a 200 is `{}`.

#include "core/clock.h"
#include "core/rng.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/client_authenticator.h"
#include "oauth/introspection_cache.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"

namespace mxauth::oauth {

class RevokeHandler {
 public:
  RevokeHandler(storage::Database& database, Rng& rng, const Clock& clock,
                const ClientAuthenticator& authenticator, IntrospectionCache& cache);

  http::Response handle(const http::Request& request) const;
  Result<http::Response, OAuthError> revoke(const http::Request& request) const;

 private:
  storage::Database& database_;
  Rng& rng_;
  const Clock& clock_;
  const ClientAuthenticator& authenticator_;
  IntrospectionCache& cache_;
};

}  // namespace mxauth::oauth
