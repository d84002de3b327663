#pragma once

// Client authentication at the token, revocation and introspection
// endpoints (RFC 6749 §2.3, RFC 7591 §2 token_endpoint_auth_method):
//
//  - none: `client_id` in the form body and no secret anywhere (a public
//    client that sends a secret is refused: it registered that it has none);
//  - client_secret_basic: `Authorization: Basic base64(id ":" secret)`,
//    where id and secret are application/x-www-form-urlencoded before the
//    base64 step (RFC 6749 §2.3.1), so they are percent-decoded after it;
//  - client_secret_post: `client_id` and `client_secret` in the form body;
//  - client_secret_jwt and private_key_jwt (OIDC Core §9, RFC 7523 §2.2,
//    RFC 7521 §4.2): `client_assertion_type` =
//    urn:ietf:params:oauth:client-assertion-type:jwt-bearer and
//    `client_assertion`, a JWT signed with HMAC keyed by the client secret
//    (HS256/384/512) or with the client's private key (RS256, PS256, ES256,
//    EdDSA; keys from its registered `jwks` or `jwks_uri`). `client_id` in
//    the body is optional and must then name the assertion's `sub`. The
//    header's algorithm tells which of the two was used; it must be the
//    method the client registered, and its token_endpoint_auth_signing_alg
//    when it registered one. The claims (RFC 7523 §3): `iss` = `sub` =
//    client_id; `aud` the issuer or the token endpoint URL (a string, or an
//    array holding one of them); `exp` required, not past, at most
//    `max_assertion_lifetime` ahead of now, and `exp - iat` no longer than
//    that either; `nbf` and `iat` not in the future; all with `leeway` of
//    clock skew; `jti` required, and accepted once until the assertion
//    expires: recorded (hashed) in its own committed transaction before the
//    request goes on, so that a replay fails even when the first request
//    did not succeed (ClientAssertionRepository, a conditional write).
//
// Exactly one method per request: Basic credentials together with a
// `client_secret` or an assertion in the body are invalid_request (RFC 6749
// §2.3.1 "MUST NOT use more than one authentication method"), as are an
// assertion without its type (or the reverse) or of another type. The
// method used must be the one the client registered. Secrets are compared as
// SHA-256 hashes in constant time (design §7, security checklist G.48).
// Every failure to authenticate — unknown client, wrong secret, wrong
// method, an assertion that does not verify or whose claims do not hold, a
// replay, keys that cannot be fetched — is invalid_client with one and the
// same description, so the answer does not say whether a client exists
// (401 + WWW-Authenticate, RFC 6749 §5.2); the reason goes to `detail`.
//
// No database transaction is held while a jwks_uri is fetched: the
// authenticator reads the client, lets go of the connection, checks the
// assertion, and only then records its jti.

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/aead.h"
#include "domain/oauth.h"
#include "http/request.h"
#include "jobs/job_runner.h"
#include "oauth/client_metadata.h"
#include "oauth/client_store.h"
#include "oauth/jwks_fetcher.h"
#include "oauth/oauth_error.h"
#include "storage/database.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// What a request presented, before any database lookup.
struct PresentedCredentials {
  // For an assertion: ClientSecretJwt when its header names an HMAC
  // algorithm, otherwise PrivateKeyJwt.
  TokenEndpointAuthMethod method = TokenEndpointAuthMethod::None;
  std::string client_id;                        // for an assertion, its (not yet verified) `sub`
  std::optional<std::string> client_secret;     // the secret methods only
  std::optional<std::string> client_assertion;  // the JWT methods only
};

// A client whose credentials were checked.
struct AuthenticatedClient {
  domain::OAuthClient client;
  ClientMetadata metadata;
  TokenEndpointAuthMethod method = TokenEndpointAuthMethod::None;
};

// Reads the credentials of a request: a Basic Authorization header (other
// schemes are left alone; introspection reads its Bearer itself) and the
// `client_id` / `client_secret` / `client_assertion_type` /
// `client_assertion` form parameters. Empty when the request names no
// client at all. invalid_request for two methods at once, a repeated
// parameter, a half-sent or unknown assertion type, or a client_id that
// contradicts the credentials; invalid_client for a malformed Basic header
// or an assertion that is not a JWT naming its client in `sub`.
Result<std::optional<PresentedCredentials>, OAuthError> presentedCredentials(
    const http::Request& request, const http::FormParams& form);

struct ClientAuthenticationOptions {
  // Audiences an assertion may name: the issuer (http.public_base, as in
  // discovery) and the token endpoint's URL.
  std::string issuer;
  std::string token_endpoint;
  // clients.assertion_max_lifetime and clients.assertion_leeway.
  Duration max_assertion_lifetime = std::chrono::minutes(5);
  Duration leeway = std::chrono::seconds(30);
  // Opens client_secret_jwt secrets; null: such clients cannot authenticate.
  const crypto::Aead* secret_aead = nullptr;
  // Fetches jwks_uri key sets; null: such clients cannot authenticate.
  JwksSource* jwks = nullptr;
};

// Checks presented credentials against the stored client (see the header
// comment), each step in its own short transaction on `database`.
class ClientAuthenticator {
 public:
  ClientAuthenticator(storage::Database& database, const Clock& clock,
                      ClientAuthenticationOptions options);

  // Storage failures are server_error / temporarily_unavailable.
  Result<AuthenticatedClient, OAuthError> authenticate(const PresentedCredentials& presented) const;
  // Both steps; a request that names no client is invalid_client.
  Result<AuthenticatedClient, OAuthError> authenticate(const http::Request& request,
                                                       const http::FormParams& form) const;

  const ClientAuthenticationOptions& options() const { return options_; }

 private:
  Result<void, OAuthError> checkAssertion(const RegisteredClient& client,
                                          const PresentedCredentials& presented) const;

  storage::Database& database_;
  const Clock& clock_;
  ClientAuthenticationOptions options_;
};

// Purges expired assertion jti records (ClientAssertionRepository) every
// `interval` on the job runner's thread.
void scheduleAssertionJtiPurge(jobs::JobRunner& runner, storage::Database& database,
                               const Clock& clock, Duration interval = std::chrono::minutes(10));

// A storage failure as the OAuth error a client sees: unavailable databases
// are temporarily_unavailable (503), anything else server_error (500); the
// storage detail goes to `detail` only.
OAuthError storageFailure(const storage::StorageError& error);

}  // namespace mxauth::oauth
