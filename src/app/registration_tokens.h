#pragma once

// `mxauth registration-token add [--uses N] [--expires-in S] | list |
// revoke TOKEN` (mxauth extension): the tokens that registration asks for
// when account.registration_token_required is set. A token is 24 random
// base64url characters, shown once by `add`; the database keeps only its
// SHA-256 (storage/registration_token_repository.h), so `list` shows ids
// and counts, and `revoke` takes either the token or its id.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/user_admin.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "storage/database.h"

namespace mxauth::app {

struct NewRegistrationToken {
  std::optional<std::int64_t> uses;  // empty: unlimited
  std::optional<std::chrono::seconds> expires_in;
};

// The new token as one JSON object: {"id", "token", "uses_allowed",
// "expires_at"}.
Result<std::string, AdminError> addRegistrationToken(storage::Database& database, Rng& rng,
                                                     const Clock& clock,
                                                     const NewRegistrationToken& request);

// One JSON object per token, oldest first: {"id", "uses_allowed",
// "times_used", "created_at", "expires_at", "last_used_at", "revoked_at",
// "valid"}.
Result<std::vector<std::string>, AdminError> listRegistrationTokens(storage::Database& database,
                                                                    const Clock& clock);

// Revokes the token `token_or_id` names; the token's JSON line.
Result<std::string, AdminError> revokeRegistrationToken(storage::Database& database,
                                                        const Clock& clock,
                                                        const std::string& token_or_id);

}  // namespace mxauth::app
