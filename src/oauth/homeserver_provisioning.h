#pragma once

// Before the token endpoint hands out the first tokens of a session, the
// homeserver must know the user and the device named in the device scope
// (spec-digest §5.7; Synapse answers 500 for an unknown user and 401 for an
// unknown device). This step runs before the token handler opens its write
// transaction, so that no database lock is held across the network: it
// reads the grant behind `code`, provisions the user and upserts the device.
// Both calls are idempotent, so a retried or racing exchange does no harm,
// and a code that turns out to be bad only cost a no-op upsert.
//
// If the homeserver cannot be reached or refuses, the exchange fails and
// the code stays unused, so the client may try again: no token exists for a
// device the homeserver does not know.

#include <string_view>

#include "core/result.h"
#include "homeserver/homeserver_connection.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"

namespace mxauth::oauth {

Result<void, OAuthError> provisionBeforeCodeExchange(storage::Database& database,
                                                     homeserver::HomeserverConnection& homeserver,
                                                     std::string_view code);

// The token-endpoint error for a failed homeserver call: temporarily
// unavailable (503) when it did not answer, server_error (500) when it
// refused. The homeserver's answer goes to the log detail only.
OAuthError homeserverFailure(const homeserver::HomeserverError& error);

}  // namespace mxauth::oauth
