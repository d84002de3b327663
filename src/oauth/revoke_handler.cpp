#include "oauth/revoke_handler.h"

#include <optional>
#include <string>
#include <utility>

#include "crypto/token.h"
#include "oauth/client_authenticator.h"
#include "oauth/session_end.h"

namespace mxauth::oauth {
namespace {

http::Response revoked() {
  http::Response response = http::Response::json(200, "{}");
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  return response;
}

}  // namespace

RevokeHandler::RevokeHandler(storage::Database& database, Rng& rng, const Clock& clock,
                             const ClientAuthenticator& authenticator, IntrospectionCache& cache)
    : database_(database), rng_(rng), clock_(clock), authenticator_(authenticator), cache_(cache) {}

http::Response RevokeHandler::handle(const http::Request& request) const {
  auto response = revoke(request);
  return response ? std::move(*response) : errorResponse(response.error());
}

Result<http::Response, OAuthError> RevokeHandler::revoke(const http::Request& request) const {
  auto form = request.form();
  if (!form) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The body must be application/x-www-form-urlencoded."));
  }
  if (std::optional<std::string_view> duplicate = form->firstDuplicate()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest,
                   "The parameter " + std::string(*duplicate) + " appears more than once."));
  }
  std::optional<std::string_view> token = form->get("token");
  if (!token || token->empty()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest, "The parameter token is missing."));
  }

  auto presented = presentedCredentials(request, *form);
  if (!presented) return unexpected(std::move(presented).error());
  // A bare client_id proves nothing and is not checked (see the header);
  // presented secrets and assertions are.
  if (*presented && (*presented)->method != TokenEndpointAuthMethod::None) {
    auto client = authenticator_.authenticate(**presented);
    if (!client) return unexpected(std::move(client).error());
  }
  auto tx = database_.begin(storage::TransactionMode::ReadWrite);
  if (!tx) return unexpected(storageFailure(tx.error()));

  auto type = crypto::parseToken(*token);
  if (!type) return revoked();
  std::string hash = crypto::tokenHashHex(*token);
  std::optional<domain::OAuthSessionId> session;
  switch (*type) {
    case crypto::TokenType::AccessToken: {
      auto found = (*tx)->accessTokens().findByHash(hash);
      if (!found) return unexpected(storageFailure(found.error()));
      if (*found) session = (*found)->session_id;
      break;
    }
    case crypto::TokenType::RefreshToken: {
      auto found = (*tx)->refreshTokens().findByHash(hash);
      if (!found) return unexpected(storageFailure(found.error()));
      if (*found) session = (*found)->session_id;
      break;
    }
    case crypto::TokenType::CompatAccessToken:
    case crypto::TokenType::CompatRefreshToken:
    case crypto::TokenType::PersonalToken:
      break;
  }
  if (!session) return revoked();

  auto owner = (*tx)->oauthSessions().lookup(*session);
  if (!owner) return unexpected(storageFailure(owner.error()));
  if (!*owner || !(*owner)->isActive()) return revoked();
  auto ended = endOAuthSession(**tx, rng_, clock_, *session, (*owner)->user_id);
  if (!ended) return unexpected(storageFailure(ended.error()));
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  cache_.invalidateSession(session->str());
  return revoked();
}

}  // namespace mxauth::oauth
