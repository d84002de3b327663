#pragma once

// Client authentication at the token, revocation and introspection
// endpoints (RFC 6749 §2.3, RFC 7591 §2 token_endpoint_auth_method):
//
//  - none: `client_id` in the form body and no secret anywhere (a public
//    client that sends a secret is refused: it registered that it has none);
//  - client_secret_basic: `Authorization: Basic base64(id ":" secret)`,
//    where id and secret are application/x-www-form-urlencoded before the
//    base64 step (RFC 6749 §2.3.1), so they are percent-decoded after it;
//  - client_secret_post: `client_id` and `client_secret` in the form body.
//
// Exactly one method per request: Basic credentials together with a
// `client_secret` in the body are invalid_request (RFC 6749 §2.3.1 "MUST
// NOT use more than one authentication method"). The method used must be
// the one the client registered. Secrets are compared as SHA-256 hashes in
// constant time (design §7, security checklist G.48). Every failure to
// authenticate — unknown client, wrong secret, wrong method — is
// invalid_client with one and the same description, so the answer does not
// say whether a client exists (401 + WWW-Authenticate, RFC 6749 §5.2).

#include <optional>
#include <string>

#include "core/result.h"
#include "domain/oauth.h"
#include "http/request.h"
#include "oauth/client_metadata.h"
#include "oauth/oauth_error.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

// What a request presented, before any database lookup.
struct PresentedCredentials {
  TokenEndpointAuthMethod method = TokenEndpointAuthMethod::None;
  std::string client_id;
  std::optional<std::string> client_secret;  // empty for None
};

// A client whose credentials were checked.
struct AuthenticatedClient {
  domain::OAuthClient client;
  ClientMetadata metadata;
  TokenEndpointAuthMethod method = TokenEndpointAuthMethod::None;
};

// Reads the credentials of a request: a Basic Authorization header (other
// schemes are left alone; introspection reads its Bearer itself) and the
// `client_id` / `client_secret` form parameters. Empty when the request
// names no client at all. invalid_request for two methods at once or a
// repeated parameter; invalid_client for a malformed Basic header.
Result<std::optional<PresentedCredentials>, OAuthError> presentedCredentials(
    const http::Request& request, const http::FormParams& form);

// Checks presented credentials against the stored client (see the header
// comment). Storage failures are server_error / temporarily_unavailable.
Result<AuthenticatedClient, OAuthError> authenticateClient(storage::Transaction& tx,
                                                           const PresentedCredentials& presented);

// Both steps; a request that names no client is invalid_client.
Result<AuthenticatedClient, OAuthError> authenticateClient(storage::Transaction& tx,
                                                           const http::Request& request,
                                                           const http::FormParams& form);

// A storage failure as the OAuth error a client sees: unavailable databases
// are temporarily_unavailable (503), anything else server_error (500); the
// storage detail goes to `detail` only.
OAuthError storageFailure(const storage::StorageError& error);

}  // namespace mxauth::oauth
