#include "crypto/jwk_set.h"

#include <openssl/evp.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <set>
#include <utility>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/openssl_util.h"

namespace mxauth::crypto {
namespace {

constexpr std::array kAllAlgorithms = {
    JwsAlgorithm::Rs256,   JwsAlgorithm::Ps256, JwsAlgorithm::Es256, JwsAlgorithm::EdDsa,
    JwsAlgorithm::Ed25519, JwsAlgorithm::Hs256, JwsAlgorithm::Hs384, JwsAlgorithm::Hs512};

// Members only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2,
// §6.4.1; RFC 8037 §2).
constexpr std::array kPrivateMembers = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

KeyError invalid(std::string detail) {
  return KeyError{KeyErrorCode::InvalidKey, std::move(detail)};
}

// The algorithm family our PublicKey reports for a key's type.
SigningAlgorithm keyTypeOf(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::Rs256:
    case JwsAlgorithm::Ps256:
      return SigningAlgorithm::Rs256;
    case JwsAlgorithm::Es256:
      return SigningAlgorithm::Es256;
    case JwsAlgorithm::EdDsa:
    case JwsAlgorithm::Ed25519:
      return SigningAlgorithm::EdDsa;
    case JwsAlgorithm::Hs256:
    case JwsAlgorithm::Hs384:
    case JwsAlgorithm::Hs512:
      break;
  }
  std::abort();  // callers pass asymmetric algorithms only
}

const char* hmacDigestName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::Hs256:
      return "SHA256";
    case JwsAlgorithm::Hs384:
      return "SHA384";
    case JwsAlgorithm::Hs512:
      return "SHA512";
    case JwsAlgorithm::Rs256:
    case JwsAlgorithm::Ps256:
    case JwsAlgorithm::Es256:
    case JwsAlgorithm::EdDsa:
    case JwsAlgorithm::Ed25519:
      break;
  }
  std::abort();  // callers pass HMAC algorithms only
}

std::optional<std::string> hmac(JwsAlgorithm algorithm, std::string_view key,
                                std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t len = 0;
  // An empty key is still a key to HMAC; OpenSSL wants a non-null pointer.
  static constexpr unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, hmacDigestName(algorithm), nullptr, key_bytes, key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &len) == nullptr) {
    detail::takeOpensslError();
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

struct Parsed {
  CompactJws jws;
  JwsAlgorithm algorithm = JwsAlgorithm::Rs256;
};

Result<Parsed, JwsError> parse(std::string_view compact, std::span<const JwsAlgorithm> allowed) {
  auto jws = parseCompactJws(compact);
  if (!jws) return unexpected(jws.error());
  std::optional<JwsAlgorithm> algorithm = jwsAlgorithmFromName(jws->alg);
  if (!algorithm) return unexpected(JwsError::UnsupportedAlgorithm);
  if (std::find(allowed.begin(), allowed.end(), *algorithm) == allowed.end()) {
    return unexpected(JwsError::AlgorithmNotAllowed);
  }
  if (jws->signature.empty()) return unexpected(JwsError::BadSignature);
  return Parsed{std::move(*jws), *algorithm};
}

bool verifyWithKey(const JwkSetKey& key, const Parsed& parsed) {
  if (parsed.algorithm == JwsAlgorithm::Ps256) {
    return key.key.verifyPs256(parsed.jws.signing_input, parsed.jws.signature);
  }
  return key.key.verify(parsed.jws.signing_input, parsed.jws.signature);
}

CheckedJws checked(Parsed parsed, std::string kid) {
  return CheckedJws{std::move(parsed.jws.header), std::move(parsed.jws.payload), parsed.algorithm,
                    std::move(kid)};
}

// Whether a JWK is meant for verifying signatures (RFC 7517 §4.2, §4.3).
bool isForSignatures(const boost::json::object& jwk) {
  if (const boost::json::value* use = jwk.if_contains("use")) {
    if (!use->is_string() || use->as_string() != "sig") return false;
  }
  if (const boost::json::value* ops = jwk.if_contains("key_ops")) {
    if (!ops->is_array()) return false;
    const boost::json::array& list = ops->as_array();
    return std::any_of(list.begin(), list.end(), [](const boost::json::value& op) {
      return op.is_string() && op.as_string() == "verify";
    });
  }
  return true;
}

}  // namespace

std::string_view jwsAlgorithmName(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::Rs256:
      return "RS256";
    case JwsAlgorithm::Ps256:
      return "PS256";
    case JwsAlgorithm::Es256:
      return "ES256";
    case JwsAlgorithm::EdDsa:
      return "EdDSA";
    case JwsAlgorithm::Ed25519:
      return "Ed25519";
    case JwsAlgorithm::Hs256:
      return "HS256";
    case JwsAlgorithm::Hs384:
      return "HS384";
    case JwsAlgorithm::Hs512:
      return "HS512";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::optional<JwsAlgorithm> jwsAlgorithmFromName(std::string_view name) {
  for (JwsAlgorithm algorithm : kAllAlgorithms) {
    if (jwsAlgorithmName(algorithm) == name) return algorithm;
  }
  return std::nullopt;
}

bool isHmac(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::Hs256 || algorithm == JwsAlgorithm::Hs384 ||
         algorithm == JwsAlgorithm::Hs512;
}

bool isSameAlgorithm(JwsAlgorithm a, JwsAlgorithm b) {
  auto canonical = [](JwsAlgorithm algorithm) {
    return algorithm == JwsAlgorithm::Ed25519 ? JwsAlgorithm::EdDsa : algorithm;
  };
  return canonical(a) == canonical(b);
}

bool JwkSetKey::fits(JwsAlgorithm algorithm) const {
  if (isHmac(algorithm)) return false;
  if (alg && !isSameAlgorithm(*alg, algorithm)) return false;
  return key.algorithm() == keyTypeOf(algorithm);
}

Result<std::vector<JwkSetKey>, KeyError> parseJwkSet(const boost::json::value& set) {
  const boost::json::value* keys = set.is_object() ? set.as_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return unexpected(invalid("a JWK set is an object with a \"keys\" array"));
  }
  if (keys->as_array().size() > kMaxJwkSetKeys) {
    return unexpected(
        invalid("the JWK set has more than " + std::to_string(kMaxJwkSetKeys) + " keys"));
  }
  std::vector<JwkSetKey> out;
  std::set<std::string> kids;
  for (const boost::json::value& entry : keys->as_array()) {
    if (!entry.is_object()) return unexpected(invalid("a JWK set entry is not an object"));
    const boost::json::object& jwk = entry.as_object();
    for (const char* member : kPrivateMembers) {
      if (jwk.contains(member)) {
        return unexpected(invalid("the JWK set holds private or symmetric key material"));
      }
    }
    const boost::json::value* kty = jwk.if_contains("kty");
    if (kty == nullptr || !kty->is_string()) return unexpected(invalid("a JWK lacks \"kty\""));
    if (kty->as_string() != "RSA" && kty->as_string() != "EC" && kty->as_string() != "OKP") {
      continue;
    }
    if (!isForSignatures(jwk)) continue;
    std::optional<JwsAlgorithm> alg;
    boost::json::object bare = jwk;
    if (const boost::json::value* name = jwk.if_contains("alg")) {
      if (!name->is_string()) return unexpected(invalid("a JWK \"alg\" is not a string"));
      alg = jwsAlgorithmFromName(name->as_string());
      if (!alg || isHmac(*alg)) continue;
      bare.erase("alg");  // checked below against the key type, PS256 included
    }
    if (const boost::json::value* kid = jwk.if_contains("kid"); kid && !kid->is_string()) {
      return unexpected(invalid("a JWK \"kid\" is not a string"));
    }
    auto key = PublicKey::fromJwk(bare);
    if (!key) {
      if (key.error().code == KeyErrorCode::UnsupportedKey) continue;  // a curve we do not use
      return unexpected(key.error());
    }
    JwkSetKey entry_key{std::move(*key), alg};
    if (alg && !entry_key.fits(*alg)) {
      return unexpected(invalid("a JWK \"alg\" does not match its key type"));
    }
    if (!kids.insert(entry_key.key.kid()).second) {
      return unexpected(invalid("two keys of the JWK set share the kid " + entry_key.key.kid()));
    }
    out.push_back(std::move(entry_key));
  }
  if (out.empty()) return unexpected(invalid("the JWK set has no signature key we can use"));
  return out;
}

Result<std::vector<JwkSetKey>, KeyError> parseJwkSet(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec) return unexpected(invalid("the JWK set is not JSON"));
  return parseJwkSet(value);
}

Result<CheckedJws, JwsError> verifyWithJwkSet(std::string_view compact,
                                              std::span<const JwkSetKey> keys,
                                              std::span<const JwsAlgorithm> allowed) {
  auto parsed = parse(compact, allowed);
  if (!parsed) return unexpected(parsed.error());
  if (isHmac(parsed->algorithm)) return unexpected(JwsError::KeyMismatch);
  if (parsed->jws.kid) {
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const JwkSetKey& key) { return key.key.kid() == *parsed->jws.kid; });
    if (it == keys.end()) return unexpected(JwsError::KeyNotFound);
    if (!it->fits(parsed->algorithm)) return unexpected(JwsError::KeyMismatch);
    if (!verifyWithKey(*it, *parsed)) return unexpected(JwsError::BadSignature);
    return checked(std::move(*parsed), it->key.kid());
  }
  bool any = false;
  for (const JwkSetKey& key : keys) {
    if (!key.fits(parsed->algorithm)) continue;
    any = true;
    if (verifyWithKey(key, *parsed)) return checked(std::move(*parsed), key.key.kid());
  }
  return unexpected(any ? JwsError::BadSignature : JwsError::KeyNotFound);
}

Result<CheckedJws, JwsError> verifyWithSecret(std::string_view compact, std::string_view secret,
                                              std::span<const JwsAlgorithm> allowed) {
  auto parsed = parse(compact, allowed);
  if (!parsed) return unexpected(parsed.error());
  if (!isHmac(parsed->algorithm)) return unexpected(JwsError::KeyMismatch);
  std::optional<std::string> expected = hmac(parsed->algorithm, secret, parsed->jws.signing_input);
  if (!expected || !constantTimeEquals(*expected, parsed->jws.signature)) {
    return unexpected(JwsError::BadSignature);
  }
  return checked(std::move(*parsed), "");
}

Result<std::string, JwsError> signWithSecretForTesting(JwsAlgorithm algorithm,
                                                       std::string_view secret,
                                                       const boost::json::object& header,
                                                       std::string_view payload) {
  if (!isHmac(algorithm)) return unexpected(JwsError::KeyMismatch);
  boost::json::object full = header;
  full["alg"] = jwsAlgorithmName(algorithm);
  std::string out = core::base64UrlEncode(boost::json::serialize(full));
  out += '.';
  out += core::base64UrlEncode(payload);
  std::optional<std::string> mac = hmac(algorithm, secret, out);
  if (!mac) return unexpected(JwsError::SigningFailed);
  out += '.';
  out += core::base64UrlEncode(*mac);
  return out;
}

}  // namespace mxauth::crypto
