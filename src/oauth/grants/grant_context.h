#pragma once

// What every grant of the token endpoint (RFC 6749 §4) works with. The
// token handler authenticates the client in `tx` and hands over; a grant
// then either commits `tx` itself (on success, and on the failures whose
// side effects must persist: replay defence revokes a session) or returns
// an error without committing, and `tx` rolls back.

#include <optional>

#include "core/clock.h"
#include "core/rng.h"
#include "crypto/key_store.h"
#include "domain/id.h"
#include "http/request.h"
#include "http/url_encoding.h"
#include "oauth/client_authenticator.h"
#include "oauth/introspection_cache.h"
#include "oauth/token_issuer.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

struct GrantContext {
  storage::Transaction& tx;
  const Clock& clock;
  Rng& rng;
  const crypto::KeySet& keys;
  const TokenEndpointOptions& options;
  const TokenIssuer& issuer;
  // Entries of sessions whose tokens a grant revoked are dropped after the
  // commit.
  IntrospectionCache& cache;
  const AuthenticatedClient& client;
  const http::FormParams& form;
  // The requester's User-Agent, for sessions a grant creates.
  std::string_view user_agent{};
  // The reservation of the device the token endpoint put on the homeserver
  // before the device code grant creates its session: the grant consumes it
  // in `tx` (jobs/homeserver_jobs.h, R1).
  std::optional<domain::DeviceReservationId> device_reservation{};
  // False when a homeserver is connected and the token endpoint did not put
  // a device code's user and device on it for this request, because the
  // code was not approved yet when it looked: if the user approved since,
  // the grant answers authorization_pending and the next poll provisions.
  bool homeserver_ready = true;
};

// The form body of a token-endpoint-style request (RFC 6749 §3.2): must be
// application/x-www-form-urlencoded, each parameter at most once (§3.1);
// invalid_request otherwise.
Result<http::FormParams, OAuthError> requestForm(const http::Request& request);

// A form parameter that must appear at most once (RFC 6749 §3.1).
Result<std::optional<std::string_view>, OAuthError> uniqueParameter(const http::FormParams& form,
                                                                    std::string_view name);
// The same, required: invalid_request when missing or empty.
Result<std::string_view, OAuthError> requiredParameter(const http::FormParams& form,
                                                       std::string_view name);

// Commits, mapping a storage failure to the OAuth error.
Result<void, OAuthError> commit(storage::Transaction& tx);

}  // namespace mxauth::oauth
