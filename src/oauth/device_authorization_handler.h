#pragma once

// POST /oauth2/device: the device authorization endpoint (RFC 8628 §3.1,
// §3.2; Matrix v1.18 "device authorization grant", MSC4341; spec-digest
// §3.6). Runs on the blocking pool.
//
// A form body, each parameter at most once; the client authenticates as at
// the token endpoint (a public client sends its client_id) and must have
// registered the urn:ietf:params:oauth:grant-type:device_code grant
// (unauthorized_client otherwise). `scope` follows the authorization-code
// rules (the device scope included; the admin scope is checked against the
// user at approval); prompt=create is refused (invalid_request), as the
// spec says the grant cannot register accounts.
//
// The answer: a device_code of 32 random bytes (base64url; stored only as
// its SHA-256), a user_code (oauth/user_code.h, shown grouped), the
// verification_uri <public base>link and verification_uri_complete with the
// code in it, expires_in (tokens.device_code_ttl, 1200 s) and interval
// (tokens.device_code_interval, 5 s). The device then polls the token
// endpoint (grants/device_code_grant.h) while the user approves in a
// browser (web/device_link.h).

#include "core/clock.h"
#include "core/rng.h"
#include "http/request.h"
#include "http/response.h"
#include "oauth/oauth_error.h"
#include "oauth/token_issuer.h"
#include "storage/database.h"

namespace mxauth::oauth {

inline constexpr std::string_view kDeviceAuthorizationPath = "/oauth2/device";
// Where people type the user code (web/device_link.h).
inline constexpr std::string_view kDeviceVerificationPath = "/link";

class DeviceAuthorizationHandler {
 public:
  DeviceAuthorizationHandler(storage::Database& database, Rng& rng, const Clock& clock,
                             const TokenEndpointOptions& options);

  http::Response handle(const http::Request& request) const;
  Result<http::Response, OAuthError> authorize(const http::Request& request) const;

 private:
  storage::Database& database_;
  Rng& rng_;
  const Clock& clock_;
  const TokenEndpointOptions& options_;
};

}  // namespace mxauth::oauth
