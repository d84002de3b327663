#pragma once

// OAuth error values and their one mapping to the wire (style §6.5).
//
// Codes from RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1, RFC 7591 §3.2.2,
// RFC 8628 §3.5 and OIDC Core §3.1.2.6 that this server emits. wireName()
// gives the exact string, httpStatus() the status for JSON endpoints.

#include <string>
#include <string_view>

#include "http/response.h"

namespace mxauth::oauth {

enum class OAuthErrorCode {
  InvalidRequest,
  InvalidClient,
  InvalidGrant,
  UnauthorizedClient,
  UnsupportedGrantType,
  UnsupportedResponseType,
  UnsupportedTokenType,
  InvalidScope,
  AccessDenied,
  ServerError,
  TemporarilyUnavailable,
  // RFC 7591 §3.2.2
  InvalidRedirectUri,
  InvalidClientMetadata,
  // OIDC Core §3.1.2.6
  LoginRequired,
  ConsentRequired,
  InteractionRequired,
  RequestNotSupported,
  RequestUriNotSupported,
  RegistrationNotSupported,
  // RFC 8628 §3.5
  AuthorizationPending,
  SlowDown,
  ExpiredToken,
  // RFC 6750 §3.1 (userinfo)
  InvalidToken,
  InsufficientScope,
};

std::string_view wireName(OAuthErrorCode code);
int httpStatus(OAuthErrorCode code);

// What a protocol handler returns instead of a response.
//
// `description` is sent to the client as error_description, so it must not
// reveal whether a user, client or token exists. `detail` goes to our logs
// only and may name internal ids.
struct OAuthError {
  OAuthErrorCode code = OAuthErrorCode::ServerError;
  std::string description;
  std::string detail;
};

OAuthError oauthError(OAuthErrorCode code, std::string description, std::string detail = {});

// The JSON error response: {"error", "error_description"} with
// httpStatus(code), Cache-Control: no-store, and for invalid_client a
// WWW-Authenticate challenge (RFC 6749 §5.2). For invalid_token and
// insufficient_scope a Bearer challenge (RFC 6750 §3).
http::Response errorResponse(const OAuthError& error);

}  // namespace mxauth::oauth
