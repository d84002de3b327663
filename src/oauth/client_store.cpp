#include "oauth/client_store.h"

#include <cstdlib>
#include <utility>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/hash.h"
#include "crypto/random.h"

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

Result<std::optional<IssuedClientSecret>, std::string> issueClientSecret(
    Rng& rng, TokenEndpointAuthMethod method, const crypto::Aead* aead) {
  switch (method) {
    case TokenEndpointAuthMethod::None:
    case TokenEndpointAuthMethod::PrivateKeyJwt:
      return std::optional<IssuedClientSecret>();
    case TokenEndpointAuthMethod::ClientSecretBasic:
    case TokenEndpointAuthMethod::ClientSecretPost: {
      std::string secret = crypto::randomUrlSafeString(rng, kClientSecretBytes);
      std::string hash = hashClientSecret(secret);
      return std::optional<IssuedClientSecret>(
          IssuedClientSecret{std::move(secret), std::move(hash), std::nullopt});
    }
    case TokenEndpointAuthMethod::ClientSecretJwt: {
      if (aead == nullptr) {
        return unexpected(std::string("client_secret_jwt needs the encryption key"));
      }
      std::string secret = crypto::randomUrlSafeString(rng, kJwtClientSecretBytes);
      std::string hash = hashClientSecret(secret);
      std::string sealed = aead->seal(rng, secret, kClientSecretSealContext);
      return std::optional<IssuedClientSecret>(
          IssuedClientSecret{std::move(secret), std::move(hash), std::move(sealed)});
    }
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::optional<std::string> openClientSecret(const RegisteredClient& client,
                                            const crypto::Aead& aead) {
  if (!client.client.encrypted_secret) return std::nullopt;
  auto opened = aead.open(*client.client.encrypted_secret, kClientSecretSealContext);
  if (!opened) return std::nullopt;
  return std::move(*opened);
}

}  // namespace mxauth::oauth
