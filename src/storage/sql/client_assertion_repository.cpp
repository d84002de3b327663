#include "storage/sql/client_assertion_repository.h"

#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {

Result<bool, StorageError> SqlClientAssertionRepository::recordJti(
    const domain::ClientId& client_id, std::string_view jti_hash, Timestamp expires_at,
    Timestamp now) {
  return changedAny(session_.execute(
      "INSERT INTO client_assertion_jtis (client_id, jti_hash, expires_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (client_id, jti_hash) DO UPDATE SET expires_at = excluded.expires_at "
      "WHERE client_assertion_jtis.expires_at <= $4",
      {client_id, jti_hash, expires_at, now}));
}

Result<std::int64_t, StorageError> SqlClientAssertionRepository::purgeExpired(Timestamp now) {
  return session_.execute("DELETE FROM client_assertion_jtis WHERE expires_at <= $1", {now});
}

}  // namespace mxauth::storage::sql
