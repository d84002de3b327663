#pragma once

// JWTs signed by others, chiefly clients authenticating with a signed
// assertion (RFC 7523 §2.2, OIDC Core §9): their JWK sets (RFC 7517 §5) and
// the checks of a compact JWS against one of those keys or against a shared
// secret. Claims are the caller's business, as in jws.h.
//
// The algorithms here are wider than the ones we sign with (keys.h): a
// client may also use PS256 with an RSA key, and HS256/HS384/HS512 with its
// client secret (client_secret_jwt). The rules against algorithm confusion
// (RFC 8725 §3.1, security checklist E.34) hold the same way:
//  - "none" and any unknown name are UnsupportedAlgorithm;
//  - the header's algorithm must be in the caller's list;
//  - an asymmetric algorithm is checked only with a key of its type (RSA for
//    RS256/PS256, P-256 for ES256, Ed25519 for EdDSA and Ed25519), and only
//    with a key
//    whose JWK "alg", when present, names it; HMAC algorithms are checked
//    only with a secret, never with a public key's bytes.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/jws.h"
#include "crypto/keys.h"

namespace mxauth::crypto {

// RFC 7518 §3.1 names of the algorithms we verify for others, and
// "Ed25519", the fully-specified name of EdDSA over Ed25519 (RFC 9864 §2.2),
// which current JOSE libraries (oauth4webapi 3, jose 6) sign with.
enum class JwsAlgorithm { Rs256, Ps256, Es256, EdDsa, Ed25519, Hs256, Hs384, Hs512 };

std::string_view jwsAlgorithmName(JwsAlgorithm algorithm);
// nullopt for every other name, "none" included.
std::optional<JwsAlgorithm> jwsAlgorithmFromName(std::string_view name);
bool isHmac(JwsAlgorithm algorithm);
// The same algorithm by either name: EdDSA and Ed25519 are one here, since
// the only EdDSA curve we verify is Ed25519.
bool isSameAlgorithm(JwsAlgorithm a, JwsAlgorithm b);

inline constexpr JwsAlgorithm kAsymmetricJwsAlgorithms[] = {
    JwsAlgorithm::Rs256, JwsAlgorithm::Ps256, JwsAlgorithm::Es256, JwsAlgorithm::EdDsa,
    JwsAlgorithm::Ed25519};
inline constexpr JwsAlgorithm kHmacJwsAlgorithms[] = {JwsAlgorithm::Hs256, JwsAlgorithm::Hs384,
                                                      JwsAlgorithm::Hs512};

// One key of a JWK set.
struct JwkSetKey {
  PublicKey key;  // key.kid(): the JWK's "kid", else its RFC 7638 thumbprint
  // The JWK's "alg" when it has one: the key verifies only that algorithm.
  std::optional<JwsAlgorithm> alg;

  // Whether this key may check a JWS of `algorithm` (see the header).
  bool fits(JwsAlgorithm algorithm) const;
};

// At most this many keys are read from one set; more is refused.
inline constexpr std::size_t kMaxJwkSetKeys = 32;

// Reads {"keys": [...]}. Keys we cannot use are skipped, as RFC 7517 §5
// asks: an unknown "kty" or curve, "use" other than "sig", "key_ops"
// without "verify", an "alg" we do not know. Refused (InvalidKey): not an
// object with a "keys" array, more than kMaxJwkSetKeys entries, an entry
// that is not an object, a key of a known type that does not parse, a JWK
// carrying private members ("d", "p", "q", ...), two keys with one "kid",
// and a set with no usable key at all.
Result<std::vector<JwkSetKey>, KeyError> parseJwkSet(const boost::json::value& set);
Result<std::vector<JwkSetKey>, KeyError> parseJwkSet(std::string_view json);

// A JWS that verified.
struct CheckedJws {
  boost::json::object header;
  std::string payload;  // the decoded payload bytes
  JwsAlgorithm algorithm = JwsAlgorithm::Rs256;
  std::string kid;  // of the key that verified; empty for a shared secret
};

// Verifies against a JWK set: the key named by the header's "kid" (which
// must fit the algorithm), or without a "kid" every key that fits.
// KeyNotFound when no key has the "kid" (or none fits), so that a caller can
// fetch the set again once (RFC 7517 key rotation).
Result<CheckedJws, JwsError> verifyWithJwkSet(std::string_view compact,
                                              std::span<const JwkSetKey> keys,
                                              std::span<const JwsAlgorithm> allowed);

// Verifies an HMAC JWS (HS256/HS384/HS512) with `secret` as the key bytes,
// comparing in constant time. An asymmetric "alg" is KeyMismatch.
Result<CheckedJws, JwsError> verifyWithSecret(std::string_view compact, std::string_view secret,
                                              std::span<const JwsAlgorithm> allowed);

// Signs `payload` with HMAC (for tests that play a client; we never issue
// HMAC tokens).
Result<std::string, JwsError> signWithSecretForTesting(JwsAlgorithm algorithm,
                                                       std::string_view secret,
                                                       const boost::json::object& header,
                                                       std::string_view payload);

}  // namespace mxauth::crypto
