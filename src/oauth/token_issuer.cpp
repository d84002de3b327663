#include "oauth/token_issuer.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <utility>

#include "crypto/token.h"

namespace mxauth::oauth {

TokenIssuer::TokenIssuer(Rng& rng, const Clock& clock, TokenLifetimes lifetimes)
    : rng_(rng), clock_(clock), lifetimes_(lifetimes) {}

Result<IssuedTokens, storage::StorageError> TokenIssuer::issue(
    storage::Transaction& tx, const domain::OAuthSessionId& session,
    bool with_refresh_token) const {
  Timestamp now = clock_.now();
  IssuedTokens issued;
  issued.access_token = crypto::generateToken(rng_, crypto::TokenType::AccessToken);
  auto access =
      tx.accessTokens().add(rng_, clock_, session, crypto::tokenHashHex(issued.access_token),
                            now + lifetimes_.access_token_ttl);
  if (!access) return unexpected(std::move(access).error());
  issued.access = std::move(*access);
  if (!with_refresh_token) return issued;

  issued.refresh_token = crypto::generateToken(rng_, crypto::TokenType::RefreshToken);
  std::optional<Timestamp> refresh_expiry;
  if (lifetimes_.refresh_token_ttl > Duration::zero()) {
    refresh_expiry = now + lifetimes_.refresh_token_ttl;
  }
  auto refresh =
      tx.refreshTokens().add(rng_, clock_, session, crypto::tokenHashHex(*issued.refresh_token),
                             issued.access.id, refresh_expiry);
  if (!refresh) return unexpected(std::move(refresh).error());
  issued.refresh = std::move(*refresh);
  return issued;
}

http::Response tokenResponse(const IssuedTokens& tokens, Timestamp now, const std::string& scope,
                             const std::optional<std::string>& id_token) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(tokens.access.expires_at - now);
  boost::json::object body;
  body["access_token"] = tokens.access_token;
  body["token_type"] = "Bearer";
  body["expires_in"] = std::max<std::int64_t>(0, left.count());
  if (tokens.refresh_token) body["refresh_token"] = *tokens.refresh_token;
  if (!scope.empty()) body["scope"] = scope;
  if (id_token) body["id_token"] = *id_token;
  http::Response response = http::Response::json(200, boost::json::serialize(body));
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  return response;
}

}  // namespace mxauth::oauth
