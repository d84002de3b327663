#pragma once

// An account's state changes with everything that must happen with them,
// in the caller's transaction (issue 5, item 6: they take effect at once):
//
//  - lock: the user's tokens introspect inactive from the commit on (the
//    introspection checks the user; every instance's cache hears of it,
//    storage::Invalidation::Kind::User), every browser session ends, and the
//    homeserver is told through the provisioning job (`locked: true`). The
//    OAuth and compat sessions stay: the spec keeps a locked user's tokens,
//    and unlocking gives them back.
//  - unlock: the homeserver is told (`locked: false`).
//  - deactivate: every session ends (OAuth, compat, browser; tokens with
//    them) and the homeserver deactivates the user through the delete_user
//    job, erasing their data when asked (it removes their devices with
//    them, so no device sync is queued).
//  - reactivate: the homeserver reactivates the user (reactivate_user job).
//    Sessions ended by the deactivation stay ended.
//
// The web pages and `mxauth user …` both go through here, so the two doors
// cannot drift apart. A change that changes nothing (locking a locked
// account) queues nothing.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "domain/user.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::accounts {

struct EndedSessions {
  // The OAuth and compat sessions ended, by id: the in-process
  // introspection cache drops their entries after the commit.
  std::vector<std::string> token_sessions;
  std::int64_t browser_sessions = 0;

  std::int64_t total() const {
    return static_cast<std::int64_t>(token_sessions.size()) + browser_sessions;
  }
};

enum class DeviceSync { Queue, Skip };

// Ends every OAuth and compat session of `user` (their tokens with them;
// an OAuth client's remembered consent with its last session) and every
// browser session but `keep`. With DeviceSync::Queue, queues the job that
// removes their devices from the homeserver when any had one.
Result<EndedSessions, storage::StorageError> endAllSessions(
    storage::Transaction& tx, Rng& rng, const Clock& clock, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep, DeviceSync sync);

enum class AccountChange { Lock, Unlock, Deactivate, Reactivate };

struct ChangedAccount {
  domain::User user;     // after the change
  bool changed = false;  // false: it was in that state already
  EndedSessions ended;
};

// Applies `change` to `user` as described above. Empty when there is no
// such user. `erase` only matters for Deactivate.
Result<std::optional<ChangedAccount>, storage::StorageError> changeAccount(
    storage::Transaction& tx, Rng& rng, const Clock& clock, const domain::UserId& user,
    AccountChange change, bool erase = false);

}  // namespace mxauth::accounts
