#include "oauth/id_token.h"

#include <openssl/sha.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
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

std::string_view describe(IdTokenHintError error) {
  switch (error) {
    case IdTokenHintError::Malformed:
      return "the ID token is malformed";
    case IdTokenHintError::BadSignature:
      return "the ID token was not signed by this server";
    case IdTokenHintError::WrongIssuer:
      return "the ID token was issued by another server";
    case IdTokenHintError::MissingClaims:
      return "the ID token lacks sub or aud";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

Result<IdTokenHint, IdTokenHintError> verifyIdTokenHint(const crypto::KeySet& keys,
                                                        std::string_view issuer,
                                                        std::string_view token) {
  static constexpr std::array<crypto::SigningAlgorithm, 3> kAlgorithms = {
      crypto::SigningAlgorithm::Rs256, crypto::SigningAlgorithm::Es256,
      crypto::SigningAlgorithm::EdDsa};
  auto verified = crypto::verify(token, keys, kAlgorithms);
  if (!verified) {
    switch (verified.error()) {
      case crypto::JwsError::Malformed:
      case crypto::JwsError::BadBase64:
      case crypto::JwsError::UnsupportedAlgorithm:
      case crypto::JwsError::UnsupportedCritical:
        return unexpected(IdTokenHintError::Malformed);
      case crypto::JwsError::AlgorithmNotAllowed:
      case crypto::JwsError::KeyNotFound:
      case crypto::JwsError::KeyMismatch:
      case crypto::JwsError::BadSignature:
      case crypto::JwsError::SigningFailed:
        break;
    }
    return unexpected(IdTokenHintError::BadSignature);
  }
  boost::json::error_code error;
  boost::json::value payload = boost::json::parse(verified->payload, error);
  if (error || !payload.is_object()) return unexpected(IdTokenHintError::Malformed);
  const boost::json::object& claims = payload.get_object();
  const boost::json::value* iss = claims.if_contains("iss");
  if (iss == nullptr || !iss->is_string() || iss->get_string() != issuer) {
    return unexpected(IdTokenHintError::WrongIssuer);
  }
  const boost::json::value* sub = claims.if_contains("sub");
  const boost::json::value* aud = claims.if_contains("aud");
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty() || aud == nullptr ||
      !aud->is_string() || aud->get_string().empty()) {
    return unexpected(IdTokenHintError::MissingClaims);
  }
  return IdTokenHint{std::string(sub->get_string()), std::string(aud->get_string()),
                     verified->algorithm};
}

}  // namespace mxauth::oauth
