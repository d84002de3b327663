#include "oauth/id_token.h"

#include <openssl/sha.h>

#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/jws.h"

namespace mxauth::oauth {

std::string oidcHalfHash(std::string_view value, crypto::SigningAlgorithm algorithm) {
  switch (algorithm) {
    case crypto::SigningAlgorithm::Rs256:
    case crypto::SigningAlgorithm::Es256: {
      crypto::Sha256Digest digest = crypto::sha256(value);
      return core::base64UrlEncode(std::span<const std::uint8_t>(digest).first(digest.size() / 2));
    }
    case crypto::SigningAlgorithm::EdDsa: {
      std::array<std::uint8_t, SHA512_DIGEST_LENGTH> digest{};
      SHA512(reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest.data());
      return core::base64UrlEncode(std::span<const std::uint8_t>(digest).first(digest.size() / 2));
    }
  }
  std::abort();  // unreachable: every enumerator is handled above
}

Result<std::string, OAuthError> signIdToken(const crypto::KeySet& keys,
                                            crypto::SigningAlgorithm algorithm,
                                            const IdTokenClaims& claims) {
  const crypto::SigningKey* key = keys.signingKey(algorithm);
  if (!key) {
    return unexpected(oauthError(
        OAuthErrorCode::ServerError, "Internal server error.",
        "no signing key for " + std::string(crypto::algorithmName(algorithm)) + " ID tokens"));
  }
  boost::json::object payload;
  payload["iss"] = claims.issuer;
  payload["sub"] = claims.subject;
  payload["aud"] = claims.audience;
  payload["iat"] = toUnixSeconds(claims.issued_at);
  payload["exp"] = toUnixSeconds(claims.expires_at);
  if (claims.auth_time) payload["auth_time"] = toUnixSeconds(*claims.auth_time);
  if (claims.nonce) payload["nonce"] = *claims.nonce;
  if (claims.access_token) payload["at_hash"] = oidcHalfHash(*claims.access_token, algorithm);
  if (claims.code) payload["c_hash"] = oidcHalfHash(*claims.code, algorithm);

  auto signed_jwt = crypto::signJson(*key, boost::json::object{{"typ", "JWT"}}, payload);
  if (!signed_jwt) {
    return unexpected(oauthError(
        OAuthErrorCode::ServerError, "Internal server error.",
        "signing an ID token failed: " + std::string(crypto::describe(signed_jwt.error()))));
  }
  return std::move(*signed_jwt);
}

}  // namespace mxauth::oauth
