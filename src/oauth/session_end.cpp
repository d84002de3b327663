#include "oauth/session_end.h"

#include "jobs/homeserver_jobs.h"

namespace mxauth::oauth {

Result<void, storage::StorageError> endOAuthSession(storage::Transaction& tx, Rng& rng,
                                                    const Clock& clock,
                                                    const domain::OAuthSessionId& session,
                                                    const std::optional<domain::UserId>& user) {
  auto finished = tx.oauthSessions().finish(clock, session);
  if (!finished) return unexpected(std::move(finished).error());
  if (user) return jobs::enqueueDeviceSync(tx, rng, clock, *user);
  return {};
}

}  // namespace mxauth::oauth
