#pragma once

// Registrations waiting for their e-mail code
// (account.email_verification_required, web/account_pages.h): everything
// the register form checked, kept until the code mailed to the address is
// entered. Nothing here reserves the username or spends a registration
// token; the account is created, and the row consumed, in one transaction.
//
// Contract (checked for every backend by storage/testing):
//  - add() stores a pending registration and first deletes the expired
//    ones (or those without attempts left) for the same localpart or the
//    same address; a browser hash can be stored once (Conflict);
//  - findByBrowserHash() answers the row of that browser, expired or not;
//  - replaceCode() gives a row a new code, expiry and attempts; false when
//    the row is gone;
//  - recordAttempt() counts one guess: it takes one of the attempts left in
//    one conditional write and answers false, changing nothing, when none
//    is left or the row has expired at the clock's now, so concurrent
//    guesses cannot exceed the limit;
//  - consume() deletes the row while it has not expired and answers true
//    for exactly one caller;
//  - remove() deletes the row (false when it was gone);
//  - recordCodeSent() and countCodesSince() count the codes sent to an
//    address (the sending limit), whatever became of their registrations;
//    recordCodeSent() also forgets the sends to that address older than
//    `forget_before`.

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

struct NewPendingRegistration {
  // SHA-256 (hex) of the random value in the browser's cookie.
  std::string browser_hash;
  std::string localpart;
  std::string password_hash;
  int password_scheme_version = 0;
  std::string email;
  // The keyed hash of the 6-digit code (the caller keys it).
  std::string code_hash;
  Timestamp expires_at;
  int attempts_left = 0;
  std::optional<std::string> next;
  // The terms of service accepted on the form, if any.
  std::optional<std::string> terms_uri;
  // SHA-256 (hex) of the registration token given, if any.
  std::optional<std::string> registration_token_hash;
};

struct PendingRegistration {
  domain::PendingRegistrationId id;
  std::string browser_hash;
  std::string localpart;
  std::string password_hash;
  int password_scheme_version = 0;
  std::string email;
  std::string code_hash;
  Timestamp created_at;
  Timestamp expires_at;
  int attempts_left = 0;
  std::optional<std::string> next;
  std::optional<std::string> terms_uri;
  std::optional<std::string> registration_token_hash;

  friend bool operator==(const PendingRegistration&, const PendingRegistration&) = default;
};

class PendingRegistrationRepository {
 public:
  virtual ~PendingRegistrationRepository() = default;

  virtual Result<PendingRegistration, StorageError> add(Rng& rng, const Clock& clock,
                                                        const NewPendingRegistration& pending) = 0;
  virtual Result<std::optional<PendingRegistration>, StorageError> findByBrowserHash(
      std::string_view browser_hash) = 0;
  virtual Result<bool, StorageError> replaceCode(const domain::PendingRegistrationId& id,
                                                 std::string_view code_hash, Timestamp expires_at,
                                                 int attempts_left) = 0;
  virtual Result<bool, StorageError> recordAttempt(const Clock& clock,
                                                   const domain::PendingRegistrationId& id) = 0;
  virtual Result<bool, StorageError> consume(const Clock& clock,
                                             const domain::PendingRegistrationId& id) = 0;
  virtual Result<bool, StorageError> remove(const domain::PendingRegistrationId& id) = 0;
  virtual Result<void, StorageError> recordCodeSent(const Clock& clock, std::string_view email,
                                                    Timestamp forget_before) = 0;
  virtual Result<std::int64_t, StorageError> countCodesSince(std::string_view email,
                                                             Timestamp since) = 0;
};

}  // namespace mxauth::storage
