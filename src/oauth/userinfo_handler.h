#pragma once

// GET and POST /oauth2/userinfo (OIDC Core §5.3, RFC 6750).
//
// The access token comes from `Authorization: Bearer` (RFC 6750 §2.1) or,
// for POST, from the `access_token` form parameter (§2.2); both at once is
// invalid_request (§2: "MUST NOT use more than one method"). Never from the
// query string. Errors follow RFC 6750 §3.1: no token at all is 401 with a
// bare Bearer challenge; a token that is malformed, unknown, expired,
// revoked, of a finished session or of a locked or deactivated user is 401
// invalid_token; a token without the `openid` scope is 403
// insufficient_scope.
//
// Claims: `sub` (the user id, as in the ID token), `preferred_username`
// (the localpart) with `profile`, and with `email` the user's first
// confirmed address as `email` plus `email_verified: true`. No display
// names exist yet, so no `name`.
//
// A userinfo call counts as use of the access token (first_used_at), which
// the refresh retry rule needs (security checklist D.26).

#include "core/clock.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"

namespace mxauth::oauth {

class UserinfoHandler {
 public:
  UserinfoHandler(storage::Database& database, const Clock& clock);

  http::Response handle(const http::Request& request) const;
  Result<http::Response, OAuthError> userinfo(const http::Request& request) const;

 private:
  storage::Database& database_;
  const Clock& clock_;
};

}  // namespace mxauth::oauth
