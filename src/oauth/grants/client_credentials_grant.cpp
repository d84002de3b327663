#include "oauth/grants/client_credentials_grant.h"

#include <utility>

#include "oauth/scope.h"

namespace mxauth::oauth {

Result<http::Response, OAuthError> clientCredentialsGrant(const GrantContext& context) {
  auto scope_parameter = uniqueParameter(context.form, "scope");
  if (!scope_parameter) return unexpected(std::move(scope_parameter).error());
  if (!context.client.metadata.isConfidential() ||
      !context.client.metadata.allowsGrant(GrantType::ClientCredentials)) {
    return unexpected(oauthError(OAuthErrorCode::UnauthorizedClient,
                                 "The client may not use the client_credentials grant."));
  }
  ScopeSet scope;
  if (*scope_parameter) {
    auto parsed = ScopeSet::parse(**scope_parameter);
    if (!parsed) return unexpected(std::move(parsed).error());
    scope = std::move(*parsed);
  }
  auto allowed = validateScope(scope, GrantKind::ClientCredentials, false);
  if (!allowed) return unexpected(std::move(allowed).error());

  storage::NewOAuthSession new_session;
  new_session.client_id = context.client.client.id;
  new_session.scope = scope.toString();
  auto session = context.tx.oauthSessions().add(context.rng, context.clock, new_session);
  if (!session) return unexpected(storageFailure(session.error()));
  auto issued = context.issuer.issue(context.tx, session->id, false);
  if (!issued) return unexpected(storageFailure(issued.error()));
  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  return tokenResponse(*issued, context.clock.now(), session->scope, std::nullopt);
}

}  // namespace mxauth::oauth
