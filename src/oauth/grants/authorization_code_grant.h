#pragma once

// The authorization code grant at the token endpoint (RFC 6749 §4.1.3,
// RFC 7636 §4.5–4.6, OIDC Core §3.1.3).
//
// The code is consumed by AuthorizationGrantRepository::exchange(), one
// conditional write, so of two concurrent redemptions exactly one gets the
// grant. A code that was already exchanged (or cancelled after a replay) is
// invalid_grant AND ends the OAuthSession it created, revoking every token
// issued from it (RFC 6749 §4.1.2 "SHOULD revoke", security checklist
// C.19/C.20); that revocation is committed although the request fails.
// Then: the client must be the grant's client, redirect_uri must be sent and
// equal the grant's, the code must be at most authorization_code_ttl old,
// and PKCE: a grant with a challenge needs a verifier that matches it
// (invalid_grant), a grant without one refuses any verifier
// (invalid_request, RFC 9700 §4.8.2), and a public client's grant always
// has one. These failures roll back, leaving the code as it was.
// Success: an access token, a refresh token and, with `openid`, an ID token.

#include "http/response.h"
#include "oauth/grants/grant_context.h"

namespace mxauth::oauth {

Result<http::Response, OAuthError> authorizationCodeGrant(const GrantContext& context);

}  // namespace mxauth::oauth
