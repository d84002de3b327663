#include "oauth/client_store.h"

#include <utility>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/hash.h"

namespace mxauth::oauth {

Result<std::optional<RegisteredClient>, storage::StorageError> loadClient(
    storage::Transaction& transaction, const domain::ClientId& id) {
  auto found = transaction.oauthClients().lookup(id);
  if (!found) return unexpected(found.error());
  if (!*found) return std::optional<RegisteredClient>();
  auto metadata = parseStoredMetadata((*found)->metadata_json);
  if (!metadata) {
    return unexpected(storage::StorageError{storage::StorageErrorCode::Internal,
                                            "client " + id.str() + ": " + metadata.error()});
  }
  return std::optional<RegisteredClient>(
      RegisteredClient{std::move(**found), std::move(*metadata)});
}

Result<std::optional<RegisteredClient>, storage::StorageError> loadClient(
    storage::Transaction& transaction, std::string_view client_id) {
  std::optional<domain::ClientId> id = domain::ClientId::parse(client_id);
  if (!id) return std::optional<RegisteredClient>();
  return loadClient(transaction, *id);
}

std::string hashClientSecret(std::string_view secret) {
  return core::hexEncode(crypto::sha256(secret));
}

bool verifyClientSecret(const RegisteredClient& client, std::string_view presented) {
  if (!client.client.secret_hash) return false;
  return crypto::constantTimeEquals(hashClientSecret(presented), *client.client.secret_hash);
}

}  // namespace mxauth::oauth
