#pragma once

#include "storage/client_assertion_repository.h"
#include "storage/sql/session.h"

// ClientAssertionRepository in the SQL both backends share (table
// client_assertion_jtis, migration *_client_assertions.sql). recordJti is one
// INSERT … ON CONFLICT DO UPDATE … WHERE the old record has expired: on
// PostgreSQL a concurrent inserter of the same key waits for the first one's
// commit and then sees a live record (no row changed); on SQLite writers are
// serialised by BEGIN IMMEDIATE.
namespace mxauth::storage::sql {

class SqlClientAssertionRepository final : public ClientAssertionRepository {
 public:
  explicit SqlClientAssertionRepository(Session& session) : session_(session) {}

  Result<bool, StorageError> recordJti(const domain::ClientId& client_id, std::string_view jti_hash,
                                       Timestamp expires_at, Timestamp now) override;
  Result<std::int64_t, StorageError> purgeExpired(Timestamp now) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
