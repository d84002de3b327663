#include "oauth/oauth_error.h"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cstdlib>
#include <utility>

namespace mxauth::oauth {

std::string_view wireName(OAuthErrorCode code) {
  switch (code) {
    case OAuthErrorCode::InvalidRequest:
      return "invalid_request";
    case OAuthErrorCode::InvalidClient:
      return "invalid_client";
    case OAuthErrorCode::InvalidGrant:
      return "invalid_grant";
    case OAuthErrorCode::UnauthorizedClient:
      return "unauthorized_client";
    case OAuthErrorCode::UnsupportedGrantType:
      return "unsupported_grant_type";
    case OAuthErrorCode::UnsupportedResponseType:
      return "unsupported_response_type";
    case OAuthErrorCode::UnsupportedTokenType:
      return "unsupported_token_type";
    case OAuthErrorCode::InvalidScope:
      return "invalid_scope";
    case OAuthErrorCode::AccessDenied:
      return "access_denied";
    case OAuthErrorCode::ServerError:
      return "server_error";
    case OAuthErrorCode::TemporarilyUnavailable:
      return "temporarily_unavailable";
    case OAuthErrorCode::InvalidRedirectUri:
      return "invalid_redirect_uri";
    case OAuthErrorCode::InvalidClientMetadata:
      return "invalid_client_metadata";
    case OAuthErrorCode::LoginRequired:
      return "login_required";
    case OAuthErrorCode::ConsentRequired:
      return "consent_required";
    case OAuthErrorCode::InteractionRequired:
      return "interaction_required";
    case OAuthErrorCode::RequestNotSupported:
      return "request_not_supported";
    case OAuthErrorCode::RequestUriNotSupported:
      return "request_uri_not_supported";
    case OAuthErrorCode::RegistrationNotSupported:
      return "registration_not_supported";
    case OAuthErrorCode::AuthorizationPending:
      return "authorization_pending";
    case OAuthErrorCode::SlowDown:
      return "slow_down";
    case OAuthErrorCode::ExpiredToken:
      return "expired_token";
    case OAuthErrorCode::InvalidToken:
      return "invalid_token";
    case OAuthErrorCode::InsufficientScope:
      return "insufficient_scope";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

int httpStatus(OAuthErrorCode code) {
  switch (code) {
    case OAuthErrorCode::InvalidClient:
    case OAuthErrorCode::InvalidToken:
      return 401;
    case OAuthErrorCode::InsufficientScope:
      return 403;
    case OAuthErrorCode::ServerError:
      return 500;
    case OAuthErrorCode::TemporarilyUnavailable:
      return 503;
    case OAuthErrorCode::InvalidRequest:
    case OAuthErrorCode::InvalidGrant:
    case OAuthErrorCode::UnauthorizedClient:
    case OAuthErrorCode::UnsupportedGrantType:
    case OAuthErrorCode::UnsupportedResponseType:
    case OAuthErrorCode::UnsupportedTokenType:
    case OAuthErrorCode::InvalidScope:
    case OAuthErrorCode::AccessDenied:
    case OAuthErrorCode::InvalidRedirectUri:
    case OAuthErrorCode::InvalidClientMetadata:
    case OAuthErrorCode::LoginRequired:
    case OAuthErrorCode::ConsentRequired:
    case OAuthErrorCode::InteractionRequired:
    case OAuthErrorCode::RequestNotSupported:
    case OAuthErrorCode::RequestUriNotSupported:
    case OAuthErrorCode::RegistrationNotSupported:
    case OAuthErrorCode::AuthorizationPending:
    case OAuthErrorCode::SlowDown:
    case OAuthErrorCode::ExpiredToken:
      return 400;
  }
  std::abort();  // unreachable: every enumerator is handled above
}

OAuthError oauthError(OAuthErrorCode code, std::string description, std::string detail) {
  return OAuthError{code, std::move(description), std::move(detail)};
}

http::Response errorResponse(const OAuthError& error) {
  std::string body = "{\"error\":\"";
  body += wireName(error.code);
  body += '"';
  if (!error.description.empty()) {
    body += ",\"error_description\":";
    body += boost::json::serialize(boost::json::string(error.description));
  }
  body += '}';
  http::Response response = http::Response::json(httpStatus(error.code), std::move(body));
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  if (error.code == OAuthErrorCode::InvalidClient) {
    response.setHeader("WWW-Authenticate", "Basic realm=\"mxauth\"");
  } else if (error.code == OAuthErrorCode::InvalidToken ||
             error.code == OAuthErrorCode::InsufficientScope) {
    response.setHeader("WWW-Authenticate",
                       "Bearer error=\"" + std::string(wireName(error.code)) + "\"");
  }
  return response;
}

}  // namespace mxauth::oauth
