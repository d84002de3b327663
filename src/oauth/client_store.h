#pragma once

// Registered clients as the protocol code sees them: the stored record
// (domain::OAuthClient) together with its parsed metadata. The token, revoke,
// introspect and userinfo endpoints and the /authorize pages all start from
// loadClient().
//
// Client secrets are high-entropy random strings, so, like tokens, they are
// stored only as their SHA-256 hex (design §7) — hashClientSecret() — and a
// presented secret is checked with verifyClientSecret(), in constant time.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
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
  // Holds a secret and must authenticate at the token endpoint.
  bool isConfidential() const { return client.secret_hash.has_value(); }
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

}  // namespace mxauth::oauth
