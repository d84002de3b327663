#pragma once

// JSON Web Signature, compact serialization (RFC 7515 §7.1), with RS256,
// ES256 and EdDSA only. This is the layer under ID tokens, signed JWT client
// assertions and JWKS-verified upstream tokens; claim checks (exp, iss, aud)
// belong to the callers.
//
// verify() is strict where lenient parsers have been exploited (RFC 8725
// §2.1, §3.1): the algorithm must be one the caller allows and must match the
// key's own algorithm (so an RS256 header cannot be checked with an EC or
// symmetric key, and "alg":"none" never passes); exactly three base64url parts
// without padding or stray characters; a "crit" header is refused since we
// understand no extensions (RFC 7515 §4.1.11).

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/key_store.h"
#include "crypto/keys.h"

namespace mxauth::crypto {

enum class JwsError {
  Malformed,             // not three parts, too long, or a header that is not a JSON object
  BadBase64,             // a part is not unpadded base64url
  UnsupportedAlgorithm,  // "alg" missing, "none", or not RS256/ES256/EdDSA
  AlgorithmNotAllowed,   // a supported "alg" the caller did not allow
  UnsupportedCritical,   // a "crit" header parameter
  KeyNotFound,           // no key with the header's "kid" (or none for its "alg")
  KeyMismatch,           // the key's algorithm is not the header's "alg"
  BadSignature,          // the signature does not verify
  SigningFailed,         // OpenSSL failed to sign
};

std::string_view describe(JwsError error);

// A compact JWS split and decoded, with only its shape checked: at most
// 64 KiB, three unpadded base64url parts, a header that is a JSON object
// with a string "alg" (any value, "none" included: callers decide) and no
// "crit". Nothing is verified: the payload must not be trusted until a
// verify function has checked the signature. `signing_input` points into
// the compact text, which must outlive the result.
struct CompactJws {
  boost::json::object header;
  std::string alg;
  std::optional<std::string> kid;
  std::string_view signing_input;  // "<header>.<payload>" as received
  std::string payload;             // decoded
  std::string signature;           // decoded
};

Result<CompactJws, JwsError> parseCompactJws(std::string_view compact);

struct VerifiedJws {
  boost::json::object header;
  std::string payload;  // the decoded payload bytes
  SigningAlgorithm algorithm = SigningAlgorithm::Rs256;
  std::string kid;  // of the key that verified
};

// Signs `payload` with header {"alg": key's alg, "kid": key's kid} plus the
// members of `extra_header` (for example "typ"); "alg" and "kid" in
// `extra_header` are ignored.
Result<std::string, JwsError> sign(const SigningKey& key, const boost::json::object& extra_header,
                                   std::string_view payload);
// The same with a JSON payload, serialized compactly (a JWT when
// extra_header has "typ": "JWT").
Result<std::string, JwsError> signJson(const SigningKey& key,
                                       const boost::json::object& extra_header,
                                       const boost::json::object& payload);

// Verifies against one key.
Result<VerifiedJws, JwsError> verify(std::string_view compact, const PublicKey& key,
                                     std::span<const SigningAlgorithm> allowed);
// Verifies against a set: the key named by the header's "kid", or, without a
// "kid", any key of the header's "alg".
Result<VerifiedJws, JwsError> verify(std::string_view compact, std::span<const PublicKey> keys,
                                     std::span<const SigningAlgorithm> allowed);
Result<VerifiedJws, JwsError> verify(std::string_view compact, const KeySet& keys,
                                     std::span<const SigningAlgorithm> allowed);

}  // namespace mxauth::crypto
