#include "web/account_effects.h"

#include <utility>

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

Result<EndedSessions, storage::StorageError> endUserSessions(
    storage::Transaction& tx, WebContext& context, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep, bool sync_devices) {
  return accounts::endAllSessions(
      tx, context.rng, context.clock, user, keep,
      sync_devices ? accounts::DeviceSync::Queue : accounts::DeviceSync::Skip);
}

void forgetInCache(WebContext& context, const EndedSessions& ended) {
  if (context.introspection_cache == nullptr) return;
  for (const std::string& id : ended.token_sessions) {
    context.introspection_cache->invalidateSession(id);
  }
}

}  // namespace mxauth::web
