#pragma once

// Password-recovery tickets (web/recovery.h): the secret behind the link
// of a recovery e-mail, stored as its SHA-256 hash only, for one user and
// the confirmed address the link was sent to.
//
// Contract (checked for every backend by storage/testing):
//  - add() stores a ticket; an unknown user or address is a Constraint
//    error; a token hash can be stored once (Conflict);
//  - findByTokenHash() answers the ticket whatever its state (the caller
//    tells an expired or used link from an unknown one);
//  - consume() is single use: it answers true for exactly one caller, and
//    only while the ticket has not expired at the clock's now;
//  - consumeAllForUser() consumes every pending ticket of the user (a
//    password set by any means makes older links useless) and answers how
//    many it consumed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct RecoveryTicket {
  domain::RecoveryTicketId id;
  domain::UserId user_id;
  domain::UserEmailId user_email_id;
  std::string token_hash;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> consumed_at;

  friend bool operator==(const RecoveryTicket&, const RecoveryTicket&) = default;
};

class RecoveryTicketRepository {
 public:
  virtual ~RecoveryTicketRepository() = default;

  virtual Result<RecoveryTicket, StorageError> add(Rng& rng, const Clock& clock,
                                                   const domain::UserId& user,
                                                   const domain::UserEmailId& email,
                                                   std::string_view token_hash,
                                                   Timestamp expires_at) = 0;
  virtual Result<std::optional<RecoveryTicket>, StorageError> findByTokenHash(
      std::string_view token_hash) = 0;
  virtual Result<bool, StorageError> consume(const Clock& clock,
                                             const domain::RecoveryTicketId& id) = 0;
  virtual Result<std::int64_t, StorageError> consumeAllForUser(const Clock& clock,
                                                               const domain::UserId& user) = 0;
};

}  // namespace mxauth::storage
