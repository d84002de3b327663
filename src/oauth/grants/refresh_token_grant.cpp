#include "oauth/grants/refresh_token_grant.h"

#include <string>
#include <utility>

#include "crypto/token.h"
#include "oauth/scope.h"
#include "oauth/session_end.h"

namespace mxauth::oauth {
namespace {

OAuthError invalidRefreshToken(std::string detail) {
  return oauthError(OAuthErrorCode::InvalidGrant, "The refresh token is invalid.",
                    std::move(detail));
}

// Ends the session, commits that, and refuses with `detail`.
Result<http::Response, OAuthError> endSessionAndRefuse(const GrantContext& context,
                                                       const domain::OAuthSession& session,
                                                       std::string detail) {
  auto ended = endOAuthSession(context.tx, context.rng, context.clock, session.id, session.user_id);
  if (!ended) return unexpected(storageFailure(ended.error()));
  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  context.cache.invalidateSession(session.id.str());
  return unexpected(invalidRefreshToken(std::move(detail)));
}

// Reuse of a consumed token whose successor was used: the family dies
// (RFC 9700 §4.14.2).
Result<http::Response, OAuthError> refuseReuse(const GrantContext& context,
                                               const domain::OAuthSession& session) {
  return endSessionAndRefuse(
      context, session, "reuse of a rotated refresh token; session " + session.id.str() + " ended");
}

// Security checklist D.30: a session older than `session_lifetime` (when
// set) can no longer be refreshed, however recently it was used.
bool outlivedItsLifetime(const GrantContext& context, const domain::OAuthSession& session,
                         Timestamp now) {
  Duration lifetime = context.issuer.lifetimes().session_lifetime;
  return lifetime > Duration::zero() && now >= session.created_at + lifetime;
}

Result<http::Response, OAuthError> finishRotation(const GrantContext& context,
                                                  const domain::OAuthSession& session,
                                                  const IssuedTokens& issued) {
  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  context.cache.invalidateSession(session.id.str());
  return tokenResponse(issued, context.clock.now(), session.scope, std::nullopt);
}

Result<http::Response, OAuthError> rotate(const GrantContext& context,
                                          const domain::OAuthSession& session,
                                          const domain::RefreshToken& token) {
  auto issued = context.issuer.issue(context.tx, session.id, true);
  if (!issued) return unexpected(storageFailure(issued.error()));
  auto consumed = context.tx.refreshTokens().consume(context.clock, token.id, issued->refresh->id);
  if (!consumed) return unexpected(storageFailure(consumed.error()));
  if (!*consumed)
    return unexpected(invalidRefreshToken("lost the race to consume " + token.id.str()));
  // The old access token dies with the COMMIT, in the same round trip.
  auto retired = context.tx.accessTokens().retire(context.clock, token.access_token_id);
  if (!retired) return unexpected(storageFailure(retired.error()));
  return finishRotation(context, session, *issued);
}

Result<http::Response, OAuthError> retryOrRefuse(const GrantContext& context,
                                                 const domain::OAuthSession& session,
                                                 const domain::RefreshToken& token) {
  Timestamp now = context.clock.now();
  auto successor = context.tx.refreshTokens().lookup(*token.next_refresh_token_id);
  if (!successor) return unexpected(storageFailure(successor.error()));
  // A client racing itself (checklist C.20, docs/oauth.md): the loser fails
  // and the winner keeps its pair, even if it has already used it.
  if (*successor && now - (*successor)->created_at < context.options.refresh_retry_min_age) {
    return unexpected(invalidRefreshToken("refresh token " + token.id.str() +
                                          " presented again while its rotation was fresh"));
  }
  if (!*successor || !(*successor)->isUsableAt(now)) return refuseReuse(context, session);
  auto successor_access = context.tx.accessTokens().lookup((*successor)->access_token_id);
  if (!successor_access) return unexpected(storageFailure(successor_access.error()));
  if (!*successor_access || (*successor_access)->first_used_at) {
    return refuseReuse(context, session);
  }

  // The lost-response retry: the unused successor pair gives way to a new one.
  auto revoked_refresh = context.tx.refreshTokens().revoke(context.clock, (*successor)->id);
  if (!revoked_refresh) return unexpected(storageFailure(revoked_refresh.error()));
  auto revoked_access = context.tx.accessTokens().revoke(context.clock, (*successor_access)->id);
  if (!revoked_access) return unexpected(storageFailure(revoked_access.error()));
  auto issued = context.issuer.issue(context.tx, session.id, true);
  if (!issued) return unexpected(storageFailure(issued.error()));
  auto replaced =
      context.tx.refreshTokens().replaceSuccessor(token.id, (*successor)->id, issued->refresh->id);
  if (!replaced) return unexpected(storageFailure(replaced.error()));
  if (!*replaced)
    return unexpected(invalidRefreshToken("lost the race to retry " + token.id.str()));
  return finishRotation(context, session, *issued);
}

}  // namespace

Result<http::Response, OAuthError> refreshTokenGrant(const GrantContext& context) {
  auto presented = requiredParameter(context.form, "refresh_token");
  if (!presented) return unexpected(std::move(presented).error());
  auto requested_scope = uniqueParameter(context.form, "scope");
  if (!requested_scope) return unexpected(std::move(requested_scope).error());
  if (!context.client.metadata.allowsGrant(GrantType::RefreshToken)) {
    return unexpected(oauthError(OAuthErrorCode::UnauthorizedClient,
                                 "The client may not use the refresh_token grant."));
  }
  auto type = crypto::parseToken(*presented);
  if (!type || *type != crypto::TokenType::RefreshToken) {
    return unexpected(invalidRefreshToken("not a refresh token"));
  }

  auto token = context.tx.refreshTokens().findByHash(crypto::tokenHashHex(*presented));
  if (!token) return unexpected(storageFailure(token.error()));
  if (!*token) return unexpected(invalidRefreshToken("unknown refresh token"));
  auto session = context.tx.oauthSessions().lookupForUpdate((*token)->session_id);
  if (!session) return unexpected(storageFailure(session.error()));
  if (!*session || (*session)->client_id != context.client.client.id) {
    return unexpected(invalidRefreshToken("refresh token of another client"));
  }
  if (!(*session)->isActive() || (*token)->revoked_at) {
    return unexpected(invalidRefreshToken("refresh token revoked or session ended"));
  }
  if ((*session)->user_id) {
    auto user = context.tx.users().lookup(*(*session)->user_id);
    if (!user) return unexpected(storageFailure(user.error()));
    if (!*user || !(*user)->canLogIn()) {
      return unexpected(invalidRefreshToken("user is locked or deactivated"));
    }
  }
  if (*requested_scope) {
    auto requested = ScopeSet::parse(**requested_scope);
    if (!requested) return unexpected(std::move(requested).error());
    auto granted = ScopeSet::parse((*session)->scope);
    if (!granted || !requested->isSubsetOf(*granted) || !granted->isSubsetOf(*requested)) {
      return unexpected(oauthError(OAuthErrorCode::InvalidScope,
                                   "The scope of a refresh must be the granted scope."));
    }
  }

  Timestamp now = context.clock.now();
  if (outlivedItsLifetime(context, **session, now)) {
    return endSessionAndRefuse(
        context, **session, "session " + (*session)->id.str() + " reached its absolute lifetime");
  }
  if ((*token)->consumed_at) return retryOrRefuse(context, **session, **token);
  if (!(*token)->isUsableAt(now)) return unexpected(invalidRefreshToken("refresh token expired"));
  return rotate(context, **session, **token);
}

}  // namespace mxauth::oauth
