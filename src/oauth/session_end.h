#pragma once

// Ending an OAuth session, everywhere it must end: the session and every
// token under it in the database, and (through the durable job queue, in
// the same transaction) the device on the homeserver, whose device list is
// synced with the user's remaining sessions (jobs/homeserver_jobs.h). The
// homeserver then refuses the device's tokens at once, whatever it had
// cached (spec-digest §5.4). The user's remembered consent to the client
// ends with their last session with it.

#include <optional>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

// `user` is the session's user (none for client_credentials sessions).
Result<void, storage::StorageError> endOAuthSession(storage::Transaction& tx, Rng& rng,
                                                    const Clock& clock,
                                                    const domain::OAuthSessionId& session,
                                                    const std::optional<domain::UserId>& user);

}  // namespace mxauth::oauth
