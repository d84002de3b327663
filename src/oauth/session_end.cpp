#include "oauth/session_end.h"

#include "jobs/homeserver_jobs.h"

namespace mxauth::oauth {

Result<void, storage::StorageError> endOAuthSession(storage::Transaction& tx, Rng& rng,
                                                    const Clock& clock,
                                                    const domain::OAuthSessionId& session,
                                                    const std::optional<domain::UserId>& user) {
  auto finished = tx.oauthSessions().finish(clock, session);
  if (!finished) return unexpected(std::move(finished).error());
  if (!user) return {};
  // The user's consent to the client goes with their last session with it
  // (storage/consent_repository.h).
  auto ended = tx.oauthSessions().lookup(session);
  if (!ended) return unexpected(std::move(ended).error());
  if (*ended) {
    auto forgotten = tx.oauthConsents().forgetUnlessInUse(*user, (*ended)->client_id);
    if (!forgotten) return unexpected(std::move(forgotten).error());
  }
  return jobs::enqueueDeviceSync(tx, rng, clock, *user);
}

}  // namespace mxauth::oauth
