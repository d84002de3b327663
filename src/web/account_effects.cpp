#include "web/account_effects.h"

#include <utility>

#include "jobs/homeserver_jobs.h"
#include "storage/page.h"

namespace mxauth::web {
namespace {

constexpr std::size_t kMaxUserAgent = 512;

}  // namespace

// Printable ASCII only and bounded, as the sessions store it.
std::string boundedUserAgent(const http::Request& request) {
  std::string agent;
  for (const char c : request.header("User-Agent").value_or("")) {
    if (agent.size() == kMaxUserAgent) break;
    if (c >= 0x20 && c <= 0x7e) agent.push_back(c);
  }
  return agent;
}

Result<void, storage::StorageError> recordAudit(storage::Transaction& tx, WebContext& context,
                                                const http::Request& request,
                                                const domain::UserId& user, std::string_view action,
                                                std::string details_json) {
  storage::NewAuditEvent event;
  event.user_id = user;
  event.action = std::string(action);
  event.ip_address = request.remote_address;
  event.user_agent = boundedUserAgent(request);
  event.details_json = std::move(details_json);
  auto recorded = tx.auditLog().record(context.rng, context.clock, event);
  if (!recorded) return unexpected(std::move(recorded).error());
  return {};
}

// Ends every OAuth and compat session of `user` (their tokens with them)
// and every browser session but `keep`, in `tx`; queues the device sync
// that removes their devices from the homeserver when any had one.
Result<EndedSessions, storage::StorageError> endUserSessions(
    storage::Transaction& tx, WebContext& context, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep, bool sync_devices) {
  EndedSessions ended;
  storage::Page page;
  page.limit = storage::Page::kMaxLimit;
  // Each round lists the sessions still active; the ones finished drop out.
  for (;;) {
    auto compat = tx.compatSessions().listActiveForUser(user, page);
    if (!compat) return unexpected(std::move(compat).error());
    if (compat->empty()) break;
    for (const domain::CompatSession& session : *compat) {
      auto finished = tx.compatSessions().finish(context.clock, session.id);
      if (!finished) return unexpected(std::move(finished).error());
      ended.token_sessions.push_back(session.id.str());
    }
  }
  for (;;) {
    auto sessions = tx.oauthSessions().listActiveForUser(user, page);
    if (!sessions) return unexpected(std::move(sessions).error());
    if (sessions->empty()) break;
    for (const domain::OAuthSession& session : *sessions) {
      auto finished = tx.oauthSessions().finish(context.clock, session.id);
      if (!finished) return unexpected(std::move(finished).error());
      // The consent goes with the last session of its client
      // (oauth/session_end.h).
      auto forgotten = tx.oauthConsents().forgetUnlessInUse(user, session.client_id);
      if (!forgotten) return unexpected(std::move(forgotten).error());
      ended.token_sessions.push_back(session.id.str());
    }
  }
  auto browsers = tx.browserSessions().finishAllForUser(context.clock, user, keep);
  if (!browsers) return unexpected(std::move(browsers).error());
  ended.browser_sessions = *browsers;
  if (sync_devices && !ended.token_sessions.empty()) {
    auto queued = jobs::enqueueDeviceSync(tx, context.rng, context.clock, user);
    if (!queued) return unexpected(std::move(queued).error());
  }
  return ended;
}

void forgetInCache(WebContext& context, const EndedSessions& ended) {
  if (context.introspection_cache == nullptr) return;
  for (const std::string& id : ended.token_sessions) {
    context.introspection_cache->invalidateSession(id);
  }
}

}  // namespace mxauth::web
