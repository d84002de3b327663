#pragma once

// Registration tokens (account.registration_token_required; created with
// `mxauth registration-token add`) and the terms of service a user accepted
// at registration (branding.tos_uri).
//
// Contract (checked for every backend by storage/testing):
//  - tokens are stored by their SHA-256 hash (the caller hashes); a hash
//    can be stored once (Conflict);
//  - use() spends one use of a token in one conditional write: it answers
//    the token after the use when the token exists, is not revoked, has not
//    expired at the clock's now and has a use left (usage_limit NULL:
//    unlimited); otherwise nothing, changing nothing. Concurrent uses can
//    never spend more than usage_limit;
//  - list() answers every token, oldest first;
//  - revoke() marks a token (by id) revoked, keeping the first time; false
//    when there is no such token;
//  - acceptTerms() records that the user accepted `terms_uri` now
//    (accepting the same URI again keeps the first time); an unknown user
//    is a Constraint error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct RegistrationToken {
  domain::RegistrationTokenId id;
  std::string token_hash;
  std::optional<std::int64_t> usage_limit;
  std::int64_t times_used = 0;
  Timestamp created_at;
  std::optional<Timestamp> expires_at;
  std::optional<Timestamp> last_used_at;
  std::optional<Timestamp> revoked_at;

  friend bool operator==(const RegistrationToken&, const RegistrationToken&) = default;
};

struct UserTermsAcceptance {
  std::string terms_uri;
  Timestamp accepted_at;

  friend bool operator==(const UserTermsAcceptance&, const UserTermsAcceptance&) = default;
};

class RegistrationTokenRepository {
 public:
  virtual ~RegistrationTokenRepository() = default;

  virtual Result<RegistrationToken, StorageError> add(Rng& rng, const Clock& clock,
                                                      std::string_view token_hash,
                                                      std::optional<std::int64_t> usage_limit,
                                                      std::optional<Timestamp> expires_at) = 0;
  virtual Result<std::optional<RegistrationToken>, StorageError> use(
      const Clock& clock, std::string_view token_hash) = 0;
  virtual Result<std::optional<RegistrationToken>, StorageError> findByHash(
      std::string_view token_hash) = 0;
  virtual Result<std::vector<RegistrationToken>, StorageError> list() = 0;
  virtual Result<bool, StorageError> revoke(const Clock& clock,
                                            const domain::RegistrationTokenId& id) = 0;

  virtual Result<void, StorageError> acceptTerms(const Clock& clock, const domain::UserId& user,
                                                 std::string_view terms_uri) = 0;
  virtual Result<std::vector<UserTermsAcceptance>, StorageError> termsOf(
      const domain::UserId& user) = 0;
};

}  // namespace mxauth::storage
