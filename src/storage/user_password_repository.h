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

// Stores password history: every set-password or re-hash adds an entry and
// the newest entry is the current password. Entries are never changed.
//
// Contract (checked for every backend by storage/testing):
//  - "newest" is insertion order, even for entries made within the same
//    millisecond;
//  - add() for an unknown user, or with an upgraded_from that does not
//    exist, fails with Constraint;
//  - current() of a user without a password is an empty optional.
class UserPasswordRepository {
 public:
  virtual ~UserPasswordRepository() = default;

  virtual Result<domain::UserPassword, StorageError> add(
      Rng& rng, const Clock& clock, const domain::UserId& user, std::string_view hash, int version,
      const std::optional<domain::UserPasswordId>& upgraded_from) = 0;

  virtual Result<std::optional<domain::UserPassword>, StorageError> current(
      const domain::UserId& user) = 0;

  // Newest first.
  virtual Result<std::vector<domain::UserPassword>, StorageError> history(
      const domain::UserId& user) = 0;
};

}  // namespace mxauth::storage
