#pragma once

// The device code grant at the token endpoint (RFC 8628 §3.4, §3.5;
// grant_type=urn:ietf:params:oauth:grant-type:device_code).
//
// The device code is looked up by its SHA-256. Unknown, of another client,
// or already exchanged: invalid_grant (single use; security checklist
// H.53). Denied by the user: access_denied. Past its life: expired_token.
// Still waiting for the user: authorization_pending, or slow_down when the
// device polls sooner than the current interval after its previous poll —
// which also adds 5 s to the interval (§3.5) — both committed. All of these
// are HTTP 400 (§3.5, RFC 6749 §5.2).
//
// Approved: the OAuthSession is created now (the user, the grant's scope,
// the device from the device scope, auth_time from the approving browser
// session), the grant is exchanged for it in one conditional write (of two
// concurrent polls exactly one gets tokens), and the answer carries an
// access token, a refresh token and, with `openid`, an ID token. The token
// handler has put the user and the device on the homeserver before
// (homeserver_provisioning.h).

#include "http/response.h"
#include "oauth/grants/grant_context.h"

namespace mxauth::oauth {

inline constexpr std::string_view kDeviceCodeGrantType =
    "urn:ietf:params:oauth:grant-type:device_code";
// RFC 8628 §3.5: slow_down adds this to the interval.
inline constexpr std::int64_t kSlowDownStepSeconds = 5;

Result<http::Response, OAuthError> deviceCodeGrant(const GrantContext& context);

}  // namespace mxauth::oauth
