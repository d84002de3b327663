#pragma once

// The 6-digit codes that verify an e-mail address added on the account
// pages (web/account_emails.h). Only a hash of each code is stored (the
// caller keys it, so the table alone cannot be brute-forced offline).
//
// Contract (checked for every backend by storage/testing):
//  - add() stores a pending code for an address; an unknown address is a
//    Constraint error; removing the address removes its codes;
//  - latestPending() answers the newest code of the address that is neither
//    consumed nor expired at the clock's now, or nothing;
//  - countForUserSince() counts the codes created for any address of the
//    user at or after `since` (the sending limit), consumed or not;
//  - recordAttempt() counts one guess against a pending code and answers
//    false, counting nothing, once `max_attempts` guesses were counted or
//    the code is consumed: the check and the count are one conditional
//    write, so concurrent guesses cannot exceed the limit;
//  - consume() is single use: it answers true for exactly one caller, and
//    only while the code has not expired.

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

struct UserEmailCode {
  domain::UserEmailCodeId id;
  domain::UserEmailId user_email_id;
  std::string code_hash;
  Timestamp created_at;
  Timestamp expires_at;
  int attempts = 0;
  std::optional<Timestamp> consumed_at;

  friend bool operator==(const UserEmailCode&, const UserEmailCode&) = default;
};

class UserEmailCodeRepository {
 public:
  virtual ~UserEmailCodeRepository() = default;

  virtual Result<UserEmailCode, StorageError> add(Rng& rng, const Clock& clock,
                                                  const domain::UserEmailId& email,
                                                  std::string_view code_hash,
                                                  Timestamp expires_at) = 0;
  virtual Result<std::optional<UserEmailCode>, StorageError> latestPending(
      const Clock& clock, const domain::UserEmailId& email) = 0;
  virtual Result<std::int64_t, StorageError> countForUserSince(const domain::UserId& user,
                                                               Timestamp since) = 0;
  virtual Result<bool, StorageError> recordAttempt(const domain::UserEmailCodeId& id,
                                                   int max_attempts) = 0;
  virtual Result<bool, StorageError> consume(const Clock& clock,
                                             const domain::UserEmailCodeId& id) = 0;
};

}  // namespace mxauth::storage
