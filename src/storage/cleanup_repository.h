#pragma once

// Deletion of the rows that can no longer matter: expired and revoked
// tokens, finished sessions, dead authorization flows, finished jobs (jobs/cleanup.h runs
// it periodically; docs/operations.md describes it for operators). The
// contract, checked on every backend by storage/testing:
//
//  - a row is deleted only once it is dead "before the cutoff": the
//    instant that makes it dead (expiry, revocation, consumption, end of
//    the session) lies before `cutoff`, the caller's now - retention.
//    What each target deletes (`now` is the caller's clock):
//
//    OAuthRefreshTokens  revoked before the cutoff; or never consumed and
//                        expired before the cutoff; or consumed before the
//                        cutoff when its successor is not usable at `now`
//                        (consumed, revoked, expired, or gone). A consumed
//                        token whose successor is still usable is the last
//                        rotation: presenting it again is how a replay is
//                        detected (oauth/grants/refresh_token_grant.cpp), so
//                        it stays, and so does the successor.
//    OAuthAccessTokens   expired or revoked before the cutoff, and no
//                        longer the access token of a stored refresh token
//                        (on PostgreSQL deleting it would delete that
//                        refresh token too; the retry of a lost response
//                        reads the successor's access token).
//    OAuthSessions       finished before the cutoff and without tokens left
//                        (their authorization and device code grants go
//                        with them).
//    CompatRefreshTokens as OAuthRefreshTokens (compat refresh tokens do
//                        not expire).
//    CompatAccessTokens  as OAuthAccessTokens (NULL expiry: never expires).
//    CompatSessions      as OAuthSessions (their SSO logins go with them).
//    AuthorizationGrants created before the cutoff and never exchanged,
//                        unless a code was issued and then cancelled: an
//                        exchanged or cancelled code presented again ends
//                        its session, so those grants stay until the
//                        session is deleted.
//    DeviceCodeGrants    expired before the cutoff.
//    CompatSsoLogins     created before the cutoff (the login token lives
//                        seconds).
//    UserEmailCodes      expired before the cutoff.
//    RecoveryTickets     expired before the cutoff.
//    BrowserSessions     finished before the cutoff, or begun more than
//                        the browser session lifetime before it (no cookie
//                        can bring it back, web/session.h), and no grant,
//                        device code grant or legacy SSO login names it
//                        (a grant that stays for replay detection keeps
//                        its browser session; deleting one cascades).
//    Jobs                finished before the cutoff.
//
//  - a row something still references is never deleted: the successor of
//    a refresh token that stays, the access token of a refresh token that
//    stays, a session that still has tokens. Refresh tokens must therefore
//    be deleted before access tokens, and tokens before sessions: run the
//    targets in kCleanupOrder.
//  - one call deletes at most `limit` rows (no cascades beyond the session
//    grants named above) and examines at most 10 × `limit` rows, in id
//    order after `after` (empty: from the start), so that a call holds
//    locks, or SQLite's writer, briefly however many old rows stay. The
//    answer's `resume_after` is where the next call of the same pass goes
//    on; empty, the pass reached the end of the table. Rows a pass keeps
//    are examined again by the next pass from the start (a successor kept
//    for its predecessor goes then).
//  - every row deleted was created before the cutoff (ids are ULIDs, so
//    the candidates are a range of the primary key and a call never reads
//    the live end of a table).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "domain/oauth.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

enum class CleanupTarget {
  OAuthRefreshTokens,
  OAuthAccessTokens,
  OAuthSessions,
  CompatRefreshTokens,
  CompatAccessTokens,
  CompatSessions,
  AuthorizationGrants,
  DeviceCodeGrants,
  CompatSsoLogins,
  UserEmailCodes,
  RecoveryTickets,
  BrowserSessions,
  Jobs,
};

// Every target, in the order a run must take them.
inline constexpr std::array kCleanupOrder = {
    CleanupTarget::OAuthRefreshTokens,
    CleanupTarget::OAuthAccessTokens,
    CleanupTarget::OAuthSessions,
    CleanupTarget::CompatRefreshTokens,
    CleanupTarget::CompatAccessTokens,
    CleanupTarget::CompatSessions,
    CleanupTarget::AuthorizationGrants,
    CleanupTarget::DeviceCodeGrants,
    CleanupTarget::CompatSsoLogins,
    CleanupTarget::UserEmailCodes,
    CleanupTarget::RecoveryTickets,
    CleanupTarget::BrowserSessions,
    CleanupTarget::Jobs,
};

// The target's table name (log fields and metric labels).
constexpr std::string_view tableName(CleanupTarget target) {
  switch (target) {
    case CleanupTarget::OAuthRefreshTokens:
      return "oauth_refresh_tokens";
    case CleanupTarget::OAuthAccessTokens:
      return "oauth_access_tokens";
    case CleanupTarget::OAuthSessions:
      return "oauth_sessions";
    case CleanupTarget::CompatRefreshTokens:
      return "compat_refresh_tokens";
    case CleanupTarget::CompatAccessTokens:
      return "compat_access_tokens";
    case CleanupTarget::CompatSessions:
      return "compat_sessions";
    case CleanupTarget::AuthorizationGrants:
      return "authorization_grants";
    case CleanupTarget::DeviceCodeGrants:
      return "device_code_grants";
    case CleanupTarget::CompatSsoLogins:
      return "compat_sso_logins";
    case CleanupTarget::UserEmailCodes:
      return "user_email_codes";
    case CleanupTarget::RecoveryTickets:
      return "recovery_tickets";
    case CleanupTarget::BrowserSessions:
      return "browser_sessions";
    case CleanupTarget::Jobs:
      return "jobs";
  }
  return "";
}

// When a call runs and what counts as dead before when.
struct CleanupHorizon {
  Timestamp now;
  // now - retention.
  Timestamp cutoff;
  // How long a browser session lasts at most from its sign-in
  // (domain::kBrowserSessionLifetime; tests shorten it).
  Duration browser_session_lifetime = domain::kBrowserSessionLifetime;
};

struct CleanupBatch {
  std::int64_t deleted = 0;
  // `after` for the next call; empty when the pass is done.
  std::optional<std::string> resume_after;
};

class CleanupRepository {
 public:
  virtual ~CleanupRepository() = default;
  // Deletes at most `limit` (> 0) dead rows of `target` (see above).
  virtual Result<CleanupBatch, StorageError> deleteBatch(
      CleanupTarget target, const CleanupHorizon& horizon, std::int64_t limit,
      const std::optional<std::string>& after) = 0;
};

}  // namespace mxauth::storage
