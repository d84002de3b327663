#pragma once

// Before the token endpoint hands out the first tokens of a session, the
// homeserver must know the user and the device named in the device scope
// (spec-digest §5.7; Synapse answers 500 for an unknown user and 401 for an
// unknown device). This step runs before the token handler opens its write
// transaction, so that no database lock is held across the network: it
// reads the grant behind `code` and checks everything the grant will check
// (the client, the redirect URI, the PKCE verifier, the code's age), so that
// a stolen code without its verifier never puts a device on the user's
// account; only then does it provision the user and upsert the device.
// Both calls are idempotent, so a retried or racing exchange does no harm.
// The grant's session exists since the consent, so a device sync running
// meanwhile already keeps its device (jobs/homeserver_jobs.h, R1).
//
// If the homeserver cannot be reached or refuses, the exchange fails and
// the code stays unused, so the client may try again: no token exists for a
// device the homeserver does not know.

#include <optional>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "homeserver/homeserver_connection.h"
#include "http/url_encoding.h"
#include "oauth/client_authenticator.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"

namespace mxauth::oauth {

// `client` is the client the request authenticated as; `form` the token
// request. Anything the grant would refuse skips the homeserver (the grant
// then answers the error).
Result<void, OAuthError> provisionBeforeCodeExchange(
    storage::Database& database, homeserver::HomeserverConnection& homeserver, const Clock& clock,
    const AuthenticatedClient& client, const http::FormParams& form, Duration code_ttl);

// What provisionBeforeDeviceCodeExchange() did.
struct DeviceCodeProvisioning {
  // True when the user (and the grant's device) were put on the homeserver
  // for this request. False when the code was not approved yet (or not
  // usable) when looked at: the grant must then not create a session even
  // if the user approves in between, since nothing is on the homeserver.
  bool provisioned = false;
  // The device's reservation, for the grant to consume (none when no device
  // was upserted).
  std::optional<domain::DeviceReservationId> reservation;
};

// The same for the device code grant (grants/device_code_grant.h): when the
// device code in `form` belongs to `client` and was approved, is neither
// exchanged nor expired, and its user may log in, the user is provisioned
// and the device of the grant's device scope upserted. A pending, denied or
// unknown code skips the homeserver (the grant answers it).
// The grant creates the session only after this, so the device is reserved
// first (jobs/homeserver_jobs.h, R1): the answer carries that reservation,
// which the grant consumes in the transaction that adds the session.
Result<DeviceCodeProvisioning, OAuthError> provisionBeforeDeviceCodeExchange(
    storage::Database& database, homeserver::HomeserverConnection& homeserver, Rng& rng,
    const Clock& clock, const AuthenticatedClient& client, const http::FormParams& form);

// The token-endpoint error for a failed homeserver call: temporarily
// unavailable (503) when it did not answer, server_error (500) when it
// refused. The homeserver's answer goes to the log detail only.
OAuthError homeserverFailure(const homeserver::HomeserverError& error);

}  // namespace mxauth::oauth
