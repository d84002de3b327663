#pragma once

// CleanupRepository (storage/cleanup_repository.h) in SQL that both backends
// run. A call is two statements: a SELECT of the rows in id order after the
// cursor, each with whether it is dead (LIMIT 10 × limit), and a DELETE of
// the range up to the limit-th dead one that checks every rule again, so
// that it deletes nothing a concurrent transaction changed meanwhile.
// Refresh tokens are chained by next_refresh_token_id, which PostgreSQL
// (and SQLite, for compat tokens) refuses to leave pointing at a deleted
// row: the DELETE keeps a candidate whose predecessor stays, and then that
// candidate's successors (a recursive CTE).

#include "storage/cleanup_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

class SqlCleanupRepository final : public CleanupRepository {
 public:
  explicit SqlCleanupRepository(Session& session) : session_(session) {}

  Result<CleanupBatch, StorageError> deleteBatch(CleanupTarget target,
                                                 const CleanupHorizon& horizon, std::int64_t limit,
                                                 const std::optional<std::string>& after) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
