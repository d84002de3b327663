#include "oauth/userinfo_handler.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <string>
#include <utility>

#include "crypto/token.h"
#include "http/headers.h"
#include "oauth/client_authenticator.h"
#include "oauth/scope.h"

namespace mxauth::oauth {
namespace {

OAuthError invalidToken(std::string detail) {
  return oauthError(OAuthErrorCode::InvalidToken, "The access token is invalid.",
                    std::move(detail));
}

// The bearer token of the request; empty optional when none was sent.
Result<std::optional<std::string>, OAuthError> bearerToken(const http::Request& request) {
  std::optional<std::string> from_header;
  for (std::string_view value : request.headerValues("Authorization")) {
    std::size_t space = value.find(' ');
    if (space == std::string_view::npos ||
        !http::equalsIgnoreCase(value.substr(0, space), "Bearer")) {
      continue;
    }
    if (from_header) {
      return unexpected(
          oauthError(OAuthErrorCode::InvalidRequest, "More than one bearer token was sent."));
    }
    std::string_view token = value.substr(space + 1);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    from_header = std::string(token);
  }
  std::optional<std::string> from_body;
  if (request.method == http::Method::Post && !request.body.empty()) {
    auto form = request.form();
    if (form) {
      auto value = form->getUnique("access_token");
      if (!value) {
        return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                     "The parameter access_token appears more than once."));
      }
      if (*value) from_body = std::string(**value);
    }
  }
  if (from_header && from_body) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The access token was sent in more than one way."));
  }
  return from_header ? from_header : from_body;
}

}  // namespace

UserinfoHandler::UserinfoHandler(storage::Database& database, const Clock& clock)
    : database_(database), clock_(clock) {}

http::Response UserinfoHandler::handle(const http::Request& request) const {
  auto response = userinfo(request);
  if (response) return std::move(*response);
  http::Response error = errorResponse(response.error());
  if (response.error().code == OAuthErrorCode::InvalidRequest) {
    error.setHeader("WWW-Authenticate", "Bearer error=\"invalid_request\"");
  }
  return error;
}

Result<http::Response, OAuthError> UserinfoHandler::userinfo(const http::Request& request) const {
  auto token = bearerToken(request);
  if (!token) return unexpected(std::move(token).error());
  if (!*token) {
    // RFC 6750 §3.1: a request without any token gets the challenge without
    // an error code.
    return http::Response::json(401, R"({"error":"invalid_token"})")
        .setHeader("WWW-Authenticate", "Bearer")
        .setHeader("Cache-Control", "no-store");
  }
  auto type = crypto::parseToken(**token);
  if (!type || *type != crypto::TokenType::AccessToken) {
    return unexpected(invalidToken("not an access token"));
  }

  Timestamp now = clock_.now();
  auto tx = database_.begin(storage::TransactionMode::ReadWrite);
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto access = (*tx)->accessTokens().findByHash(crypto::tokenHashHex(**token));
  if (!access) return unexpected(storageFailure(access.error()));
  if (!*access || !(*access)->isValidAt(now)) return unexpected(invalidToken("unknown or expired"));
  auto session = (*tx)->oauthSessions().lookup((*access)->session_id);
  if (!session) return unexpected(storageFailure(session.error()));
  if (!*session || !(*session)->isActive() || !(*session)->user_id) {
    return unexpected(invalidToken("session ended or without a user"));
  }
  auto user = (*tx)->users().lookup(*(*session)->user_id);
  if (!user) return unexpected(storageFailure(user.error()));
  if (!*user || !(*user)->canLogIn()) return unexpected(invalidToken("user locked or gone"));
  auto scope = ScopeSet::parse((*session)->scope);
  if (!scope || !scope->hasOpenId()) {
    return unexpected(oauthError(OAuthErrorCode::InsufficientScope,
                                 "The access token does not have the openid scope."));
  }

  boost::json::object claims;
  claims["sub"] = (*user)->id.str();
  if (scope->hasProfile()) claims["preferred_username"] = (*user)->localpart;
  if (scope->hasEmail()) {
    auto emails = (*tx)->userEmails().listForUser((*user)->id);
    if (!emails) return unexpected(storageFailure(emails.error()));
    for (const domain::UserEmail& email : *emails) {
      if (!email.isConfirmed()) continue;
      claims["email"] = email.address;
      claims["email_verified"] = true;
      break;
    }
  }
  if (!(*access)->first_used_at) {
    auto marked = (*tx)->accessTokens().markUsed((*access)->id, now);
    if (!marked) return unexpected(storageFailure(marked.error()));
  }
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));

  http::Response response = http::Response::json(200, boost::json::serialize(claims));
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  return response;
}

}  // namespace mxauth::oauth
