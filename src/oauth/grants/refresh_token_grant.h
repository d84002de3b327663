#pragma once

// The refresh token grant with rotation (RFC 6749 §6, RFC 9700 §4.14.2,
// MSC2964, spec-digest §3.5, security checklist D.26–D.28).
//
//  - A usable refresh token is consumed (one conditional write pointing at
//    its successor), its access token revoked, and a new pair issued.
//  - A consumed token presented again is a lost-response retry when its
//    successor refresh token is still usable, the successor's access token
//    was never used (first_used_at unset: never introspected nor shown to
//    userinfo) and the successor is at least refresh_retry_min_age old: the
//    successor pair is revoked and a fresh pair issued in its place. A
//    successor younger than that means two requests raced: invalid_grant,
//    the session untouched (the winner keeps its pair). Any other reuse —
//    the successor was used or itself rotated — is a sign of theft: the
//    whole session ends (committed) and the answer is invalid_grant.
//  - The session's client must be the authenticated client, the session
//    active and its user able to log in; otherwise invalid_grant.
//  - The response's scope is the session's. A `scope` parameter must name
//    exactly that scope: tokens carry no scope of their own here (it lives
//    on the session), so a narrower one could not be honoured truthfully and
//    is invalid_scope, as is a wider one.

#include "http/response.h"
#include "oauth/grants/grant_context.h"

namespace mxauth::oauth {

Result<http::Response, OAuthError> refreshTokenGrant(const GrantContext& context);

}  // namespace mxauth::oauth
