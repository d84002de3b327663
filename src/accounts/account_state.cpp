#include "accounts/account_state.h"

#include <utility>

#include "jobs/homeserver_jobs.h"
#include "storage/compat_repositories.h"
#include "storage/consent_repository.h"
#include "storage/oauth_repositories.h"
#include "storage/user_repository.h"

namespace mxauth::accounts {

Result<EndedSessions, storage::StorageError> endAllSessions(
    storage::Transaction& tx, Rng& rng, const Clock& clock, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep, DeviceSync sync) {
  EndedSessions ended;
  storage::Page page;
  page.limit = storage::Page::kMaxLimit;
  // Each round lists the sessions still active; the ones finished drop out.
  for (;;) {
    auto compat = tx.compatSessions().listActiveForUser(user, page);
    if (!compat) return unexpected(std::move(compat).error());
    if (compat->empty()) break;
    for (const domain::CompatSession& session : *compat) {
      auto finished = tx.compatSessions().finish(clock, session.id);
      if (!finished) return unexpected(std::move(finished).error());
      ended.token_sessions.push_back(session.id.str());
    }
  }
  for (;;) {
    auto sessions = tx.oauthSessions().listActiveForUser(user, page);
    if (!sessions) return unexpected(std::move(sessions).error());
    if (sessions->empty()) break;
    for (const domain::OAuthSession& session : *sessions) {
      auto finished = tx.oauthSessions().finish(clock, session.id);
      if (!finished) return unexpected(std::move(finished).error());
      // The consent goes with the last session of its client
      // (oauth/session_end.h).
      auto forgotten = tx.oauthConsents().forgetUnlessInUse(user, session.client_id);
      if (!forgotten) return unexpected(std::move(forgotten).error());
      ended.token_sessions.push_back(session.id.str());
    }
  }
  auto browsers = tx.browserSessions().finishAllForUser(clock, user, keep);
  if (!browsers) return unexpected(std::move(browsers).error());
  ended.browser_sessions = *browsers;
  if (sync == DeviceSync::Queue && !ended.token_sessions.empty()) {
    auto queued = jobs::enqueueDeviceSync(tx, rng, clock, user);
    if (!queued) return unexpected(std::move(queued).error());
  }
  return ended;
}

Result<std::optional<ChangedAccount>, storage::StorageError> changeAccount(
    storage::Transaction& tx, Rng& rng, const Clock& clock, const domain::UserId& user,
    AccountChange change, bool erase) {
  auto before = tx.users().lookup(user);
  if (!before) return unexpected(std::move(before).error());
  if (!*before) return std::optional<ChangedAccount>();
  ChangedAccount result{.user = **before, .changed = false, .ended = {}};
  Result<std::optional<domain::User>, storage::StorageError> after = std::optional<domain::User>();
  switch (change) {
    case AccountChange::Lock:
      if (result.user.isLocked()) return std::optional(std::move(result));
      after = tx.users().lock(clock, user);
      break;
    case AccountChange::Unlock:
      if (!result.user.isLocked()) return std::optional(std::move(result));
      after = tx.users().unlock(user);
      break;
    case AccountChange::Deactivate:
      if (!result.user.isActive()) return std::optional(std::move(result));
      after = tx.users().deactivate(clock, user);
      break;
    case AccountChange::Reactivate:
      if (result.user.isActive()) return std::optional(std::move(result));
      after = tx.users().reactivate(user);
      break;
  }
  if (!after) return unexpected(std::move(after).error());
  if (!*after) return std::optional<ChangedAccount>();
  result.user = std::move(**after);
  result.changed = true;

  Result<void, storage::StorageError> queued;
  switch (change) {
    case AccountChange::Lock: {
      auto browsers = tx.browserSessions().finishAllForUser(clock, user, std::nullopt);
      if (!browsers) return unexpected(std::move(browsers).error());
      result.ended.browser_sessions = *browsers;
      queued = jobs::enqueueUserProvisioning(tx, rng, clock, user);
      break;
    }
    case AccountChange::Unlock:
      queued = jobs::enqueueUserProvisioning(tx, rng, clock, user);
      break;
    case AccountChange::Deactivate: {
      auto ended = endAllSessions(tx, rng, clock, user, std::nullopt, DeviceSync::Skip);
      if (!ended) return unexpected(std::move(ended).error());
      result.ended = std::move(*ended);
      queued = jobs::enqueueUserDeletion(tx, rng, clock, user, erase);
      break;
    }
    case AccountChange::Reactivate:
      queued = jobs::enqueueUserReactivation(tx, rng, clock, user);
      break;
  }
  if (!queued) return unexpected(std::move(queued).error());
  return std::optional(std::move(result));
}

}  // namespace mxauth::accounts
