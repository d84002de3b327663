#include "storage/sql/audit_log_repository.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/page.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kAuditColumns =
    "id, user_id, action, created_at, ip_address, user_agent, details_json";

Result<AuditEvent, StorageError> readAuditEvent(const Row& row) {
  RowReader reader(row);
  AuditEvent event;
  event.id = domain::AuditEventId(reader.text());
  event.user_id = domain::UserId(reader.text());
  event.action = reader.text();
  event.created_at = reader.timestamp();
  event.ip_address = reader.text();
  event.user_agent = reader.text();
  event.details_json = reader.text();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return event;
}

}  // namespace

Result<AuditEvent, StorageError> SqlAuditLogRepository::record(Rng& rng, const Clock& clock,
                                                               const NewAuditEvent& event) {
  AuditEvent added{domain::AuditEventId(core::newUlid(rng, clock)),
                   event.user_id,
                   event.action,
                   clock.now(),
                   event.ip_address,
                   event.user_agent,
                   event.details_json};
  auto inserted = session_.execute(
      "INSERT INTO audit_events (id, user_id, action, created_at, ip_address, user_agent, "
      "details_json) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {added.id, added.user_id, added.action, added.created_at, added.ip_address, added.user_agent,
       added.details_json});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::vector<AuditEvent>, StorageError> SqlAuditLogRepository::list(const AuditQuery& query) {
  // CAST: PostgreSQL cannot infer the type of a parameter that may be NULL.
  static const std::string kSql =
      sql({"SELECT ", kAuditColumns,
           " FROM audit_events WHERE (CAST($1 AS TEXT) IS NULL OR user_id = CAST($1 AS TEXT)) "
           "AND (CAST($2 AS TEXT) IS NULL OR id < CAST($2 AS TEXT)) ORDER BY id DESC LIMIT $3"});
  const std::size_t limit = std::min(query.limit, Page::kMaxLimit);
  return readAll(session_.query(kSql, {query.user_id, query.before, limit}), &readAuditEvent);
}

}  // namespace mxauth::storage::sql
