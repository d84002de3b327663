#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/user.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

// Stores the e-mail addresses of users.
//
// Contract (checked for every backend by storage/testing):
//  - add() stores the address unconfirmed; the caller has checked its syntax
//    (domain::isValidEmailAddress);
//  - a user cannot hold the same address twice (compared case-insensitively):
//    Conflict;
//  - a confirmed address belongs to at most one user: confirming an address
//    another user has confirmed fails with Conflict;
//  - add() for an unknown user fails with Constraint;
//  - confirming twice keeps the first confirmation time;
//  - setPrimary() marks one confirmed address of the user as primary and
//    clears the mark on the others; an unconfirmed address, another user's
//    or an unknown one changes nothing and answers false. At most one
//    address per user is primary.
class UserEmailRepository {
 public:
  virtual ~UserEmailRepository() = default;

  virtual Result<domain::UserEmail, StorageError> add(Rng& rng, const Clock& clock,
                                                      const domain::UserId& user,
                                                      std::string_view address) = 0;

  virtual Result<std::optional<domain::UserEmail>, StorageError> lookup(
      const domain::UserEmailId& id) = 0;

  // Ordered by id (creation order).
  virtual Result<std::vector<domain::UserEmail>, StorageError> listForUser(
      const domain::UserId& user) = 0;

  // The address after confirmation, or empty when there is no such address.
  virtual Result<std::optional<domain::UserEmail>, StorageError> confirm(
      const Clock& clock, const domain::UserEmailId& id) = 0;

  // See the contract above.
  virtual Result<bool, StorageError> setPrimary(const domain::UserId& user,
                                                const domain::UserEmailId& id) = 0;

  // True when an address was removed.
  virtual Result<bool, StorageError> remove(const domain::UserEmailId& id) = 0;
};

}  // namespace mxauth::storage
