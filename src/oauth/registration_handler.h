#pragma once

// Dynamic client registration: POST /oauth2/registration (RFC 7591 §3,
// MSC2966, spec-digest §3.2).
//
// Contract:
//  - the body must be application/json (else invalid_request); its size is
//    bounded by the server before we see it;
//  - the metadata is read and checked by parseRegistrationRequest()
//    (client_metadata.h), which decides between invalid_request,
//    invalid_redirect_uri and invalid_client_metadata;
//  - success is 201 with client_id, client_id_issued_at and the canonical
//    registered metadata (RFC 7591 §3.2.1), Cache-Control: no-store;
//  - a client that authenticates with a secret (client_secret_basic,
//    client_secret_post, client_secret_jwt) gets a fresh one of
//    kClientSecretBytes random bytes (kJwtClientSecretBytes for
//    client_secret_jwt), base64url, returned in this response only (with
//    client_secret_expires_at: 0) and stored as SHA-256 hex, and for
//    client_secret_jwt also sealed (client_store.h); a private_key_jwt
//    client registers its keys (jwks or jwks_uri) and gets no secret;
//  - public clients are de-duplicated: identical canonical metadata gives
//    the same client_id (the spec allows it; it keeps the table from growing
//    with every re-registration a Matrix client makes at each login). Two
//    identical registrations racing each other both get the one client:
//    the loser's insert hits the unique digest and it reads the winner's;
//  - storage failures are server_error (503 temporarily_unavailable when
//    the database is unreachable), never a half-written client;
//  - CORS: any origin may register (browser clients such as Element Web do
//    it cross-origin; no credentials are involved).

#include <cstddef>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "oauth/client_metadata.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"

namespace mxauth::oauth {

inline constexpr std::string_view kRegistrationPath = "/oauth2/registration";

struct RegistrationOptions {
  MetadataRules rules;
  // Seals client_secret_jwt secrets; null: client_secret_jwt registrations
  // are refused (invalid_client_metadata).
  const crypto::Aead* secret_aead = nullptr;
};

class RegistrationHandler {
 public:
  RegistrationHandler(storage::Database& database, Rng& rng, const Clock& clock,
                      RegistrationOptions options = {});

  // Blocking: talks to the database.
  http::Response handle(const http::Request& request);

 private:
  Result<http::Response, OAuthError> registerClient(const http::Request& request);

  storage::Database& database_;
  Rng& rng_;
  const Clock& clock_;
  RegistrationOptions options_;
};

// The registration response body (RFC 7591 §3.2.1) for a stored client:
// client_id, client_id_issued_at, then the stored metadata; with the secret
// and client_secret_expires_at: 0 when one is given.
std::string registrationResponseBody(const domain::OAuthClient& client,
                                     std::optional<std::string_view> client_secret);

// Mounts POST (Blocking) and OPTIONS (Inline, CORS preflight) on
// /oauth2/registration. The handler is owned by the route.
void mountRegistrationRoutes(http::Router& router, storage::Database& database, Rng& rng,
                             const Clock& clock, RegistrationOptions options = {});

}  // namespace mxauth::oauth
