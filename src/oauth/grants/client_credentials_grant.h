#pragma once

// The client credentials grant (RFC 6749 §4.4): for confidential clients
// that registered it, acting on their own behalf. It creates an
// OAuthSession without a user and issues an access token only (RFC 6749
// §4.4.3: "A refresh token SHOULD NOT be included"). The scope is optional;
// the Matrix API and device scopes and the admin scope are refused
// (invalid_scope), since there is no user (spec-digest §3.8).

#include "http/response.h"
#include "oauth/grants/grant_context.h"

namespace mxauth::oauth {

Result<http::Response, OAuthError> clientCredentialsGrant(const GrantContext& context);

}  // namespace mxauth::oauth
