#pragma once

// The `jti` values of accepted client assertions (RFC 7523 §3 item 7,
// OIDC Core §9: "the Authorization Server MUST only accept a JWT once"),
// kept until the assertion expires. Only hashes are stored (the caller
// hashes the jti); the contracts are checked on every backend by
// storage/testing.

#include <cstdint>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

class ClientAssertionRepository {
 public:
  virtual ~ClientAssertionRepository() = default;

  // Conditional (design §6): records that `client_id` presented an assertion
  // whose jti hashes to `jti_hash`, to be remembered until `expires_at`.
  // True when the pair was not recorded yet, or only by a record that had
  // expired by `now` (which it replaces); false when a live record exists,
  // that is a replay. Of two concurrent calls with one pair exactly one
  // answers true. Constraint when the client does not exist.
  virtual Result<bool, StorageError> recordJti(const domain::ClientId& client_id,
                                               std::string_view jti_hash, Timestamp expires_at,
                                               Timestamp now) = 0;

  // Deletes the records that expired at or before `now`; answers how many.
  virtual Result<std::int64_t, StorageError> purgeExpired(Timestamp now) = 0;
};

}  // namespace mxauth::storage
