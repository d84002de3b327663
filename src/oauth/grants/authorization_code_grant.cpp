#include "oauth/grants/authorization_code_grant.h"

#include <string>
#include <utility>

#include "crypto/token.h"
#include "oauth/id_token.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"
#include "oauth/session_end.h"

namespace mxauth::oauth {
namespace {

OAuthError invalidCode(std::string detail) {
  return oauthError(OAuthErrorCode::InvalidGrant,
                    "The authorization code is invalid, expired or already used.",
                    std::move(detail));
}

// A code presented again: end the session it created, commit that, and
// refuse the request.
Result<http::Response, OAuthError> refuseReplay(const GrantContext& context,
                                                const domain::AuthorizationGrant& grant) {
  if (!grant.session_id) return unexpected(invalidCode("code of an unfulfilled grant"));
  auto ended =
      endOAuthSession(context.tx, context.rng, context.clock, *grant.session_id, grant.user_id);
  if (!ended) return unexpected(storageFailure(ended.error()));
  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  context.cache.invalidateSession(grant.session_id->str());
  return unexpected(invalidCode("replayed code of grant " + grant.id.str() + "; session " +
                                grant.session_id->str() + " ended"));
}

Result<void, OAuthError> checkPkce(const GrantContext& context,
                                   const domain::AuthorizationGrant& grant,
                                   std::optional<std::string_view> verifier) {
  if (!grant.code_challenge) {
    if (verifier) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                   "A code_verifier was sent for a code without a challenge."));
    }
    if (!context.client.metadata.isConfidential()) {
      return unexpected(invalidCode("public client's grant has no PKCE challenge"));
    }
    return {};
  }
  if (!verifier) {
    return unexpected(oauthError(OAuthErrorCode::InvalidGrant, "The code_verifier is missing."));
  }
  if (!verifyPkceS256(*verifier, *grant.code_challenge)) {
    return unexpected(oauthError(OAuthErrorCode::InvalidGrant, "PKCE verification failed."));
  }
  return {};
}

}  // namespace

Result<http::Response, OAuthError> authorizationCodeGrant(const GrantContext& context) {
  auto code = requiredParameter(context.form, "code");
  if (!code) return unexpected(std::move(code).error());
  auto redirect_uri = requiredParameter(context.form, "redirect_uri");
  if (!redirect_uri) return unexpected(std::move(redirect_uri).error());
  auto verifier = uniqueParameter(context.form, "code_verifier");
  if (!verifier) return unexpected(std::move(verifier).error());
  if (!context.client.metadata.allowsGrant(GrantType::AuthorizationCode)) {
    return unexpected(oauthError(OAuthErrorCode::UnauthorizedClient,
                                 "The client may not use the authorization_code grant."));
  }

  std::string code_hash = crypto::tokenHashHex(*code);
  // The code is used up, and the session it made is locked (PostgreSQL)
  // until the tokens are added, so issue() checks it no more; its user
  // comes in the same statement.
  auto exchanged =
      context.tx.authorizationGrants().exchangeLockingSession(context.clock, code_hash);
  if (!exchanged) return unexpected(storageFailure(exchanged.error()));
  if (!*exchanged) {
    auto known = context.tx.authorizationGrants().findByCodeHash(code_hash);
    if (!known) return unexpected(storageFailure(known.error()));
    if (*known && ((*known)->exchanged_at || (*known)->cancelled_at)) {
      return refuseReplay(context, **known);
    }
    return unexpected(invalidCode("unknown code"));
  }
  const domain::AuthorizationGrant& grant = (*exchanged)->grant;
  Timestamp now = context.clock.now();

  if (grant.client_id != context.client.client.id) {
    return unexpected(invalidCode("code of client " + grant.client_id.str() + " presented by " +
                                  context.client.client.id.str()));
  }
  if (*redirect_uri != grant.redirect_uri) {
    return unexpected(invalidCode("redirect_uri differs from the authorization request"));
  }
  if (!grant.fulfilled_at || !grant.session_id || !grant.user_id ||
      now - *grant.fulfilled_at > context.options.lifetimes.authorization_code_ttl) {
    return unexpected(invalidCode("code expired"));
  }
  auto pkce = checkPkce(context, grant, *verifier);
  if (!pkce) return unexpected(std::move(pkce).error());

  if (!(*exchanged)->session || !(*exchanged)->session->isActive()) {
    return unexpected(invalidCode("session " + grant.session_id->str() + " ended"));
  }
  const std::optional<domain::User>& user = (*exchanged)->user;
  if (!user || user->id != *grant.user_id || !user->canLogIn()) {
    return unexpected(invalidCode("user " + grant.user_id->str() + " is locked or gone"));
  }
  const domain::OAuthSession& session = *(*exchanged)->session;

  auto issued = context.issuer.issue(context.tx, session.id, true);
  if (!issued) return unexpected(storageFailure(issued.error()));

  std::optional<std::string> id_token;
  auto scope = ScopeSet::parse(session.scope);
  if (scope && scope->hasOpenId()) {
    IdTokenClaims claims;
    claims.issuer = context.options.issuer;
    claims.subject = grant.user_id->str();
    claims.audience = context.client.client.id.str();
    claims.issued_at = now;
    claims.expires_at = now + context.options.lifetimes.access_token_ttl;
    claims.auth_time = session.authenticated_at;
    claims.nonce = grant.nonce;
    claims.access_token = issued->access_token;
    claims.code = std::string(*code);
    auto signed_token =
        signIdToken(context.keys, context.client.metadata.id_token_signed_response_alg, claims);
    if (!signed_token) return unexpected(std::move(signed_token).error());
    id_token = std::move(*signed_token);
  }

  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  return tokenResponse(*issued, now, session.scope, id_token);
}

}  // namespace mxauth::oauth
