#pragma once

// The audit log (issue 5): one row per completed sensitive operation — who
// did what, when, and from where (client address and user agent), with
// details as a small JSON object. Rows are only ever added; nothing updates
// or deletes them (a user is deactivated, never deleted, so their rows stay).
//
// Every backend honours this contract, and storage/testing/ checks it:
//  - ids and times come from the Rng and Clock passed in (ULIDs, so the id
//    order is the order of recording);
//  - list() answers the newest events first, at most `limit` (clamped to
//    Page::kMaxLimit), only the given user's when one is given, and only
//    events older than `before` when it is set (the next page);
//  - `details_json` is stored and returned as given (the caller makes it
//    valid JSON); an unknown user id is a Constraint error.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct AuditEvent {
  domain::AuditEventId id;
  domain::UserId user_id;  // whose account the operation changed, and who did it
  std::string action;      // "account.password_change", "account.deactivate", …
  Timestamp created_at;
  std::string ip_address;  // the client address (http::Request::remote_address)
  std::string user_agent;
  std::string details_json = "{}";

  friend bool operator==(const AuditEvent&, const AuditEvent&) = default;
};

struct NewAuditEvent {
  domain::UserId user_id;
  std::string action;
  std::string ip_address;
  std::string user_agent;
  std::string details_json = "{}";
};

struct AuditQuery {
  std::optional<domain::UserId> user_id;
  // Only events recorded before this one (its id): the next page.
  std::optional<domain::AuditEventId> before;
  std::size_t limit = 100;
};

class AuditLogRepository {
 public:
  virtual ~AuditLogRepository() = default;

  virtual Result<AuditEvent, StorageError> record(Rng& rng, const Clock& clock,
                                                  const NewAuditEvent& event) = 0;
  virtual Result<std::vector<AuditEvent>, StorageError> list(const AuditQuery& query) = 0;
};

}  // namespace mxauth::storage
