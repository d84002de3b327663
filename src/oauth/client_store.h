#pragma once

// Registered clients as the protocol code sees them: the stored record
// (domain::OAuthClient) together with its parsed metadata. The token, revoke,
// introspect and userinfo endpoints and the /authorize pages all start from
// loadClient().
//
// Client secrets are high-entropy random strings, so, like tokens, they are
// stored only as their SHA-256 hex (design §7) — hashClientSecret() — and a
// presented secret is checked with verifyClientSecret(), in constant time.
// The one exception is client_secret_jwt: the client signs its assertions
// with HMAC keyed by the secret itself, so we must be able to compute the
// same HMAC. For those clients the secret is also stored sealed with the
// configured encryption key (AES-256-GCM, crypto/aead.h, the key from
// secrets.encryption; design §7 "or encrypted"), and openClientSecret()
// recovers it when an assertion is checked. A copy of the database alone
// does not reveal it.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/rng.h"
#include "crypto/aead.h"
#include "domain/id.h"
#include "domain/oauth.h"
#include "oauth/client_metadata.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::oauth {

struct RegisteredClient {
  domain::OAuthClient client;
  ClientMetadata metadata;

  const domain::ClientId& id() const { return client.id; }
  // Must authenticate at the token endpoint (with a secret or a key).
  bool isConfidential() const { return metadata.isConfidential(); }
};

// The client with this id, or an empty optional when there is none. A
// stored record whose metadata cannot be read is a StorageError (Internal):
// it is our own data gone bad, not a client mistake.
Result<std::optional<RegisteredClient>, storage::StorageError> loadClient(
    storage::Transaction& transaction, const domain::ClientId& id);

// The same for a client_id as received on the wire: anything that is not a
// well-formed id is simply an unknown client.
Result<std::optional<RegisteredClient>, storage::StorageError> loadClient(
    storage::Transaction& transaction, std::string_view client_id);

// SHA-256 of the secret, 64 lowercase hex characters.
std::string hashClientSecret(std::string_view secret);

// True when `presented` is the secret whose hash the client stores. False
// for public clients. Compares in constant time.
bool verifyClientSecret(const RegisteredClient& client, std::string_view presented);

// RFC 6749 §10.10 / RFC 9700: secrets with at least 128 bits of entropy; we
// use 256. client_secret_jwt secrets are longer, 512 bits, so that the
// secret is at least as long as the HS512 output (RFC 7518 §3.2).
inline constexpr std::size_t kClientSecretBytes = 32;
inline constexpr std::size_t kJwtClientSecretBytes = 64;

// The associated data a client_secret_jwt secret is sealed under.
inline constexpr std::string_view kClientSecretSealContext = "mxauth oauth client secret";

// A fresh secret for a client that authenticates with `method`, and what is
// stored of it.
struct IssuedClientSecret {
  std::string secret;                 // shown once to whoever registered
  std::string hash;                   // hashClientSecret(secret)
  std::optional<std::string> sealed;  // client_secret_jwt only
};

// nullopt for none and private_key_jwt (no secret). Fails (with a message)
// for client_secret_jwt when `aead` is null.
Result<std::optional<IssuedClientSecret>, std::string> issueClientSecret(
    Rng& rng, TokenEndpointAuthMethod method, const crypto::Aead* aead);

// The secret of a client_secret_jwt client, unsealed; nullopt when it has
// none or it does not open (another encryption key).
std::optional<std::string> openClientSecret(const RegisteredClient& client,
                                            const crypto::Aead& aead);

}  // namespace mxauth::oauth
