#pragma once

// Clients an operator registers (`mxauth client add`, interface.md §2).
//
// The operator is trusted, so the MSC2966 host rules of dynamic
// registration do not apply (no client_uri is needed and a redirect URI may
// be http on any host), but every redirect URI must still be an absolute URI
// without fragment, userinfo or dot segments, and not javascript:/data:
// (validateStaticRedirectUri). Static clients are never de-duplicated.
//
// Defaults: grant types authorization_code and refresh_token when none are
// given; a confidential client authenticates with client_secret_basic (or
// client_secret_post) and a public one with none. The secret is generated
// from the Rng, returned once and stored only as its SHA-256 hex.
//
// `auth_method` (`--auth-method`) names the method instead: none,
// client_secret_basic, client_secret_post, client_secret_jwt (a longer
// secret, also stored sealed with the encryption key: client_store.h) or
// private_key_jwt (no secret; the client's keys are `jwks`, a JWK set's
// JSON text, or `jwks_uri`, exactly one; the rules of
// checkAssertionMetadata apply). `--confidential` without it means
// client_secret_basic, as before; together with it, the method must not be
// none. `signing_alg` is token_endpoint_auth_signing_alg.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "domain/id.h"
#include "oauth/client_metadata.h"
#include "storage/database.h"

namespace mxauth::oauth {

struct StaticClientRequest {
  std::string name;
  std::vector<std::string> redirect_uris;
  // RP-Initiated Logout (redirect_uri.h): where the end-session endpoint may
  // send the browser after a logout; checked like redirect_uris.
  std::vector<std::string> post_logout_redirect_uris;
  bool confidential = false;
  // Wire names ("authorization_code", "refresh_token", "client_credentials",
  // "urn:ietf:params:oauth:grant-type:device_code"); empty for the defaults.
  std::vector<std::string> grants;
  // Scope tokens the client is meant to request; empty for no restriction.
  std::vector<std::string> scopes;
  std::optional<std::string> auth_method;
  std::optional<std::string> jwks;  // JSON text
  std::optional<std::string> jwks_uri;
  std::optional<std::string> signing_alg;
};

struct StaticClientOptions {
  // jwks_uri rules (clients.jwks_uri.allow_http / allow_private_addresses).
  MetadataRules rules;
  // Seals client_secret_jwt secrets; null: client_secret_jwt is refused.
  const crypto::Aead* secret_aead = nullptr;
};

struct StaticClient {
  domain::ClientId client_id;
  std::optional<std::string> client_secret;  // confidential clients only

  // {"client_id": ..., "client_secret": ...} (the secret only when there is
  // one), as `mxauth client add` prints it.
  std::string toJson() const;
};

enum class StaticClientErrorCode {
  InvalidRequest,  // the operator's input is wrong: exit status 2
  Storage,         // the database failed: exit status 1
};

struct StaticClientError {
  StaticClientErrorCode code = StaticClientErrorCode::InvalidRequest;
  std::string message;  // one line for stderr, naming what is wrong
};

Result<StaticClient, StaticClientError> addStaticClient(storage::Database& database, Rng& rng,
                                                        const Clock& clock,
                                                        const StaticClientRequest& request,
                                                        const StaticClientOptions& options = {});

}  // namespace mxauth::oauth
