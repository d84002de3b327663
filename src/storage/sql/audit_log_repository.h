#pragma once

// AuditLogRepository (storage/audit_log_repository.h) in SQL that both
// backends run.

#include "storage/audit_log_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

class SqlAuditLogRepository final : public AuditLogRepository {
 public:
  explicit SqlAuditLogRepository(Session& session) : session_(session) {}

  Result<AuditEvent, StorageError> record(Rng& rng, const Clock& clock,
                                          const NewAuditEvent& event) override;
  Result<std::vector<AuditEvent>, StorageError> list(const AuditQuery& query) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
