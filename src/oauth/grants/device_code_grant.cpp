#include "oauth/grants/device_code_grant.h"

#include <string>
#include <utility>

#include "crypto/token.h"
#include "oauth/id_token.h"
#include "oauth/scope.h"

namespace mxauth::oauth {
namespace {

// Longer User-Agent headers are cut before they are stored.
constexpr std::size_t kMaxUserAgent = 512;

OAuthError invalidDeviceCode(std::string detail) {
  return oauthError(OAuthErrorCode::InvalidGrant,
                    "The device code is invalid, expired or already used.", std::move(detail));
}

// An answer that records the poll: the transaction commits first.
Result<http::Response, OAuthError> pollAnswer(const GrantContext& context, OAuthErrorCode code,
                                              std::string description) {
  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  return unexpected(oauthError(code, std::move(description)));
}

}  // namespace

Result<http::Response, OAuthError> deviceCodeGrant(const GrantContext& context) {
  auto device_code = requiredParameter(context.form, "device_code");
  if (!device_code) return unexpected(std::move(device_code).error());
  if (!context.client.metadata.allowsGrant(GrantType::DeviceCode)) {
    return unexpected(oauthError(OAuthErrorCode::UnauthorizedClient,
                                 "The client may not use the device_code grant."));
  }

  auto found =
      context.tx.deviceCodeGrants().findByDeviceCodeHash(crypto::tokenHashHex(*device_code));
  if (!found) return unexpected(storageFailure(found.error()));
  if (!*found) return unexpected(invalidDeviceCode("unknown device code"));
  const domain::DeviceCodeGrant& grant = **found;
  if (grant.client_id != context.client.client.id) {
    return unexpected(invalidDeviceCode("device code of client " + grant.client_id.str() +
                                        " presented by " + context.client.client.id.str()));
  }
  if (grant.exchanged_at) {
    return unexpected(invalidDeviceCode("device code of grant " + grant.id.str() + " used again"));
  }
  if (grant.denied_at) {
    return unexpected(oauthError(OAuthErrorCode::AccessDenied, "The user denied the request."));
  }
  const Timestamp now = context.clock.now();
  if (grant.isExpiredAt(now)) {
    return unexpected(oauthError(OAuthErrorCode::ExpiredToken, "The device code has expired."));
  }
  if (!grant.approved_at) {
    auto pace =
        context.tx.deviceCodeGrants().recordPoll(context.clock, grant.id, kSlowDownStepSeconds);
    if (!pace) return unexpected(storageFailure(pace.error()));
    if (*pace == storage::PollPace::TooFast) {
      return pollAnswer(context, OAuthErrorCode::SlowDown,
                        "Polling too often: wait 5 seconds more between requests.");
    }
    // In time, or the grant changed state under us (the next poll says
    // how): the user has not decided yet.
    return pollAnswer(context, OAuthErrorCode::AuthorizationPending,
                      "The user has not approved the request yet.");
  }

  if (!grant.user_id) return unexpected(invalidDeviceCode("approved grant without a user"));
  auto user = context.tx.users().lookup(*grant.user_id);
  if (!user) return unexpected(storageFailure(user.error()));
  if (!*user || !(*user)->canLogIn()) {
    return unexpected(invalidDeviceCode("user " + grant.user_id->str() + " is locked or gone"));
  }
  auto scope = ScopeSet::parse(grant.scope);
  if (!scope) return unexpected(invalidDeviceCode("stored scope does not parse"));
  // Approved after the token endpoint looked (and so put nothing on the
  // homeserver): a session now would hold a device the homeserver does not
  // know. The next poll, a few seconds away, provisions and gets the tokens.
  if (!context.homeserver_ready) {
    return pollAnswer(context, OAuthErrorCode::AuthorizationPending,
                      "The approval is being completed; poll again.");
  }

  // auth_time: when the user last authenticated in the browser that
  // approved (OIDC Core §2); the approval itself if that session is gone.
  Timestamp authenticated_at = *grant.approved_at;
  if (grant.browser_session_id) {
    auto browser = context.tx.browserSessions().lookup(*grant.browser_session_id);
    if (!browser) return unexpected(storageFailure(browser.error()));
    if (*browser) authenticated_at = (*browser)->authenticated_at;
  }

  if (context.device_reservation) {
    auto consumed = context.tx.deviceReservations().consume(*context.device_reservation);
    if (!consumed) return unexpected(storageFailure(consumed.error()));
    // Purged as expired: a device sync may have removed the device since.
    if (!*consumed) {
      return unexpected(oauthError(OAuthErrorCode::TemporarilyUnavailable,
                                   "The exchange took too long. Try again.",
                                   "device reservation purged before the session was stored"));
    }
  }

  storage::NewOAuthSession new_session;
  new_session.client_id = grant.client_id;
  new_session.user_id = *grant.user_id;
  new_session.scope = grant.scope;
  new_session.device_id = scope->deviceId();
  new_session.user_agent = std::string(context.user_agent.substr(0, kMaxUserAgent));
  new_session.authenticated_at = authenticated_at;
  auto session = context.tx.oauthSessions().add(context.rng, context.clock, new_session);
  if (!session) return unexpected(storageFailure(session.error()));
  auto exchanged = context.tx.deviceCodeGrants().exchange(context.clock, grant.id, session->id);
  if (!exchanged) return unexpected(storageFailure(exchanged.error()));
  // A concurrent poll won the same code (or it expired this instant).
  if (!*exchanged)
    return unexpected(
        invalidDeviceCode("device code of grant " + grant.id.str() + " exchanged concurrently"));

  auto issued = context.issuer.issue(context.tx, session->id, true);
  if (!issued) return unexpected(storageFailure(issued.error()));

  std::optional<std::string> id_token;
  if (scope->hasOpenId()) {
    IdTokenClaims claims;
    claims.issuer = context.options.issuer;
    claims.subject = grant.user_id->str();
    claims.audience = context.client.client.id.str();
    claims.issued_at = now;
    claims.expires_at = now + context.options.lifetimes.access_token_ttl;
    claims.auth_time = authenticated_at;
    claims.access_token = issued->access_token;
    auto signed_token =
        signIdToken(context.keys, context.client.metadata.id_token_signed_response_alg, claims);
    if (!signed_token) return unexpected(std::move(signed_token).error());
    id_token = std::move(*signed_token);
  }

  auto committed = commit(context.tx);
  if (!committed) return unexpected(std::move(committed).error());
  return tokenResponse(*issued, now, session->scope, id_token);
}

}  // namespace mxauth::oauth
