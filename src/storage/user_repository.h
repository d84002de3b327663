#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/localpart.h"
#include "domain/user.h"
#include "storage/page.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

// Stores user accounts.
//
// Contract (checked for every backend by storage/testing):
//  - ids and timestamps come only from the Rng and Clock passed in;
//  - localparts are unique case-insensitively: add() of a taken one fails
//    with Conflict, and findByLocalpart() matches regardless of case;
//  - an unknown id answers an empty optional, never an error;
//  - lock() and deactivate() keep the first timestamp when repeated;
//    unlock() and reactivate() of an account in that state change nothing.
struct UserWithPassword {
  domain::User user;
  std::optional<domain::UserPassword> password;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;

  virtual Result<domain::User, StorageError> add(Rng& rng, const Clock& clock,
                                                 const domain::Localpart& localpart,
                                                 bool is_admin) = 0;

  virtual Result<std::optional<domain::User>, StorageError> lookup(const domain::UserId& id) = 0;

  // Case-insensitive; the argument need not be a valid localpart.
  virtual Result<std::optional<domain::User>, StorageError> findByLocalpart(
      std::string_view localpart) = 0;

  // findByLocalpart() and the user's current password (UserPasswordRepository::
  // current(); empty when none) in one read: what a password login needs.
  virtual Result<std::optional<UserWithPassword>, StorageError> findByLocalpartWithPassword(
      std::string_view localpart) = 0;

  // The owner of a confirmed e-mail address, compared case-insensitively.
  // Unconfirmed addresses never match.
  virtual Result<std::optional<domain::User>, StorageError> findByEmail(
      std::string_view address) = 0;

  // Ordered by id (creation order).
  virtual Result<std::vector<domain::User>, StorageError> list(const Page& page) = 0;

  // Each returns the user after the change, or an empty optional when there
  // is no such user.
  virtual Result<std::optional<domain::User>, StorageError> lock(const Clock& clock,
                                                                 const domain::UserId& id) = 0;
  virtual Result<std::optional<domain::User>, StorageError> unlock(const domain::UserId& id) = 0;
  virtual Result<std::optional<domain::User>, StorageError> deactivate(
      const Clock& clock, const domain::UserId& id) = 0;
  virtual Result<std::optional<domain::User>, StorageError> reactivate(
      const domain::UserId& id) = 0;
  virtual Result<std::optional<domain::User>, StorageError> setAdmin(const domain::UserId& id,
                                                                     bool is_admin) = 0;
  // Stores the display name as given (callers validate it); nullopt clears it.
  virtual Result<std::optional<domain::User>, StorageError> setDisplayName(
      const domain::UserId& id, const std::optional<std::string>& display_name) = 0;
};

}  // namespace mxauth::storage
