#include "crypto/keys.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json/serialize.hpp>

#include <array>
#include <cstdlib>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/openssl_util.h"

namespace mxauth::crypto {
namespace {

using detail::BioPtr;
using detail::BnPtr;
using detail::EcdsaSigPtr;
using detail::MdCtxPtr;
using detail::ParamBldPtr;
using detail::ParamPtr;
using detail::PkeyCtxPtr;
using detail::PkeyPtr;

constexpr int kMinRsaBits = 2048;
constexpr std::size_t kP256CoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;

KeyError opensslError(KeyErrorCode code, std::string_view what) {
  std::string detail(what);
  detail += ": ";
  detail += detail::takeOpensslError();
  return KeyError{code, std::move(detail)};
}

std::shared_ptr<evp_pkey_st> share(PkeyPtr pkey) {
  return std::shared_ptr<evp_pkey_st>(pkey.release(), detail::PkeyDeleter());
}

std::string bnToBytes(const BIGNUM* bn, std::size_t pad_to) {
  std::size_t size = pad_to != 0 ? pad_to : static_cast<std::size_t>(BN_num_bytes(bn));
  std::string out(size, '\0');
  if (pad_to != 0) {
    BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  } else {
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  }
  return out;
}

Result<std::string, KeyError> bnParam(const EVP_PKEY* pkey, const char* name, std::size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, name));
  }
  BnPtr bn(raw);
  if (pad_to != 0 && static_cast<std::size_t>(BN_num_bytes(bn.get())) > pad_to) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey, "coordinate too large"});
  }
  return bnToBytes(bn.get(), pad_to);
}

// The algorithm we use a key with, from its type, curve and size.
Result<SigningAlgorithm, KeyError> algorithmOf(const EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "RSA key shorter than 2048 bits"});
    }
    return SigningAlgorithm::Rs256;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) != 1) {
      return unexpected(opensslError(KeyErrorCode::InvalidKey, "EC key without a named curve"));
    }
    std::string_view name(group.data(), len);
    if (name != "prime256v1" && name != "P-256") {
      return unexpected(KeyError{KeyErrorCode::UnsupportedKey,
                                 "EC curve " + std::string(name) + " (want P-256)"});
    }
    return SigningAlgorithm::Es256;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519")) return SigningAlgorithm::EdDsa;
  return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "key type is not RSA, EC or Ed25519"});
}

// The public JWK members of `pkey` (kty and key material only).
Result<boost::json::object, KeyError> publicJwkMembers(const EVP_PKEY* pkey,
                                                       SigningAlgorithm algorithm) {
  boost::json::object jwk;
  switch (algorithm) {
    case SigningAlgorithm::Rs256: {
      auto n = bnParam(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
      auto e = bnParam(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
      if (!n) return unexpected(n.error());
      if (!e) return unexpected(e.error());
      jwk["kty"] = "RSA";
      jwk["n"] = core::base64UrlEncode(*n);
      jwk["e"] = core::base64UrlEncode(*e);
      return jwk;
    }
    case SigningAlgorithm::Es256: {
      auto x = bnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, kP256CoordinateBytes);
      auto y = bnParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, kP256CoordinateBytes);
      if (!x) return unexpected(x.error());
      if (!y) return unexpected(y.error());
      jwk["kty"] = "EC";
      jwk["crv"] = "P-256";
      jwk["x"] = core::base64UrlEncode(*x);
      jwk["y"] = core::base64UrlEncode(*y);
      return jwk;
    }
    case SigningAlgorithm::EdDsa: {
      std::array<unsigned char, kEd25519KeyBytes> raw{};
      std::size_t len = raw.size();
      if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &len) != 1 || len != raw.size()) {
        return unexpected(opensslError(KeyErrorCode::Internal, "Ed25519 public key"));
      }
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = core::base64UrlEncode(std::span<const std::uint8_t>(raw.data(), raw.size()));
      return jwk;
    }
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::optional<std::string> stringMember(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

// A required base64url member of a JWK, decoded.
Result<std::string, KeyError> binaryMember(const boost::json::object& jwk, std::string_view key) {
  auto text = stringMember(jwk, key);
  if (!text) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey, "JWK lacks \"" + std::string(key) + "\""});
  }
  auto bytes = core::base64UrlDecode(*text);
  if (!bytes || bytes->empty()) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey,
                               "JWK member \"" + std::string(key) + "\" is not base64url"});
  }
  return std::move(*bytes);
}

BnPtr bnFromBytes(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

Result<PkeyPtr, KeyError> pkeyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return unexpected(opensslError(KeyErrorCode::InvalidKey, "JWK key material"));
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return unexpected(opensslError(KeyErrorCode::InvalidKey, "JWK public key check"));
  }
  return pkey;
}

Result<PkeyPtr, KeyError> rsaFromJwk(const boost::json::object& jwk) {
  auto n = binaryMember(jwk, "n");
  auto e = binaryMember(jwk, "e");
  if (!n) return unexpected(n.error());
  if (!e) return unexpected(e.error());
  BnPtr n_bn = bnFromBytes(*n);
  BnPtr e_bn = bnFromBytes(*e);
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!n_bn || !e_bn || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "RSA parameters"));
  }
  return pkeyFromParams("RSA", builder.get());
}

Result<PkeyPtr, KeyError> ecFromJwk(const boost::json::object& jwk) {
  if (stringMember(jwk, "crv") != "P-256") {
    return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "EC JWK curve is not P-256"});
  }
  auto x = binaryMember(jwk, "x");
  auto y = binaryMember(jwk, "y");
  if (!x) return unexpected(x.error());
  if (!y) return unexpected(y.error());
  if (x->size() != kP256CoordinateBytes || y->size() != kP256CoordinateBytes) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey, "P-256 coordinates must be 32 bytes"});
  }
  std::string point = "\x04" + *x + *y;  // SEC 1 §2.3.3 uncompressed point
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "EC parameters"));
  }
  return pkeyFromParams("EC", builder.get());
}

Result<PkeyPtr, KeyError> okpFromJwk(const boost::json::object& jwk) {
  if (stringMember(jwk, "crv") != "Ed25519") {
    return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "OKP JWK curve is not Ed25519"});
  }
  auto x = binaryMember(jwk, "x");
  if (!x) return unexpected(x.error());
  if (x->size() != kEd25519KeyBytes) {
    return unexpected(KeyError{KeyErrorCode::InvalidKey, "Ed25519 key must be 32 bytes"});
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!pkey) return unexpected(opensslError(KeyErrorCode::InvalidKey, "Ed25519 key"));
  return pkey;
}

// ECDSA signatures: OpenSSL speaks DER (SEC 1 ECDSA-Sig-Value), JWS speaks
// the fixed-width R || S of RFC 7518 §3.4.
std::optional<std::string> derToRaw(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_num_bytes(r) > static_cast<int>(kP256CoordinateBytes) ||
      BN_num_bytes(s) > static_cast<int>(kP256CoordinateBytes)) {
    return std::nullopt;
  }
  return bnToBytes(r, kP256CoordinateBytes) + bnToBytes(s, kP256CoordinateBytes);
}

std::optional<std::string> rawToDer(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordinateBytes) return std::nullopt;
  BnPtr r = bnFromBytes(raw.substr(0, kP256CoordinateBytes));
  BnPtr s = bnFromBytes(raw.substr(kP256CoordinateBytes));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  static_cast<void>(r.release());  // now owned by sig
  static_cast<void>(s.release());
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return std::nullopt;
  return der;
}

const EVP_MD* digestFor(SigningAlgorithm algorithm) {
  switch (algorithm) {
    case SigningAlgorithm::Rs256:
    case SigningAlgorithm::Es256:
      return EVP_sha256();
    case SigningAlgorithm::EdDsa:
      return nullptr;  // Ed25519 hashes internally (PureEdDSA)
  }
  std::abort();  // unreachable: every enumerator is handled above
}

// Refuses to prompt on a terminal for the passphrase of an encrypted PEM.
int noPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

std::string_view algorithmName(SigningAlgorithm algorithm) {
  switch (algorithm) {
    case SigningAlgorithm::Rs256:
      return "RS256";
    case SigningAlgorithm::Es256:
      return "ES256";
    case SigningAlgorithm::EdDsa:
      return "EdDSA";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::optional<SigningAlgorithm> algorithmFromName(std::string_view name) {
  for (SigningAlgorithm algorithm :
       {SigningAlgorithm::Rs256, SigningAlgorithm::Es256, SigningAlgorithm::EdDsa}) {
    if (algorithmName(algorithm) == name) return algorithm;
  }
  return std::nullopt;
}

Result<std::string, KeyError> jwkThumbprint(const boost::json::object& jwk) {
  auto kty = stringMember(jwk, "kty");
  // RFC 7638 §3.2: the required members, in lexicographic order, no spaces.
  std::vector<std::string_view> members;
  if (kty == "RSA") {
    members = {"e", "kty", "n"};
  } else if (kty == "EC") {
    members = {"crv", "kty", "x", "y"};
  } else if (kty == "OKP") {
    members = {"crv", "kty", "x"};  // RFC 8037 §2
  } else {
    return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "JWK kty is not RSA, EC or OKP"});
  }
  std::string canonical = "{";
  for (std::string_view member : members) {
    auto value = stringMember(jwk, member);
    if (!value) {
      return unexpected(
          KeyError{KeyErrorCode::InvalidKey, "JWK lacks \"" + std::string(member) + "\""});
    }
    if (canonical.size() > 1) canonical += ',';
    canonical += boost::json::serialize(boost::json::string(member));
    canonical += ':';
    canonical += boost::json::serialize(boost::json::string(*value));
  }
  canonical += '}';
  return core::base64UrlEncode(sha256(canonical));
}

Result<PublicKey, KeyError> PublicKey::fromJwk(const boost::json::object& jwk) {
  auto kty = stringMember(jwk, "kty");
  Result<PkeyPtr, KeyError> pkey = unexpected(KeyError{KeyErrorCode::UnsupportedKey, "JWK kty"});
  if (kty == "RSA") {
    pkey = rsaFromJwk(jwk);
  } else if (kty == "EC") {
    pkey = ecFromJwk(jwk);
  } else if (kty == "OKP") {
    pkey = okpFromJwk(jwk);
  }
  if (!pkey) return unexpected(pkey.error());
  auto algorithm = algorithmOf(pkey->get());
  if (!algorithm) return unexpected(algorithm.error());
  if (const boost::json::value* alg = jwk.if_contains("alg")) {
    if (!alg->is_string() || algorithmFromName(alg->as_string()) != *algorithm) {
      return unexpected(
          KeyError{KeyErrorCode::UnsupportedKey, "JWK \"alg\" does not match its key type"});
    }
  }
  auto members = publicJwkMembers(pkey->get(), *algorithm);
  if (!members) return unexpected(members.error());
  auto thumbprint = jwkThumbprint(*members);
  if (!thumbprint) return unexpected(thumbprint.error());
  std::string kid = stringMember(jwk, "kid").value_or(*thumbprint);
  return PublicKey(share(std::move(*pkey)), *algorithm, std::move(kid), std::move(*members));
}

boost::json::object PublicKey::jwk() const {
  boost::json::object out;
  out["kty"] = jwk_.at("kty");
  out["kid"] = kid_;
  out["use"] = "sig";
  out["alg"] = algorithmName(algorithm_);
  for (const auto& member : jwk_) {
    if (member.key() != "kty") out[member.key()] = member.value();
  }
  return out;
}

bool PublicKey::verify(std::string_view data, std::string_view signature) const {
  std::string der;
  switch (algorithm_) {
    case SigningAlgorithm::Rs256:
      // RFC 7518 §3.3: the signature is exactly the modulus size.
      if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get()))) {
        return false;
      }
      break;
    case SigningAlgorithm::Es256: {
      auto converted = rawToDer(signature);
      if (!converted) return false;
      der = std::move(*converted);
      signature = der;
      break;
    }
    case SigningAlgorithm::EdDsa:
      if (signature.size() != 64) return false;
      break;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, digestFor(algorithm_), nullptr, pkey_.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  if (!ok) detail::takeOpensslError();  // a bad signature leaves an entry; do not leak it
  return ok;
}

bool PublicKey::verifyPs256(std::string_view data, std::string_view signature) const {
  if (algorithm_ != SigningAlgorithm::Rs256 ||
      signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get()))) {
    return false;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx &&
            EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  if (!ok) detail::takeOpensslError();
  return ok;
}

Result<SigningKey, KeyError> SigningKey::fromPkey(std::shared_ptr<evp_pkey_st> pkey) {
  auto algorithm = algorithmOf(pkey.get());
  if (!algorithm) return unexpected(algorithm.error());
  auto members = publicJwkMembers(pkey.get(), *algorithm);
  if (!members) return unexpected(members.error());
  auto thumbprint = jwkThumbprint(*members);
  if (!thumbprint) return unexpected(thumbprint.error());
  PublicKey public_key(pkey, *algorithm, std::move(*thumbprint), std::move(*members));
  return SigningKey(std::move(pkey), std::move(public_key));
}

Result<SigningKey, KeyError> SigningKey::generate(SigningAlgorithm algorithm) {
  EVP_PKEY* raw = nullptr;
  switch (algorithm) {
    case SigningAlgorithm::Rs256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(kMinRsaBits));
      break;
    case SigningAlgorithm::Es256:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case SigningAlgorithm::EdDsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (raw == nullptr) return unexpected(opensslError(KeyErrorCode::Internal, "key generation"));
  return fromPkey(share(PkeyPtr(raw)));
}

Result<SigningKey, KeyError> SigningKey::fromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return unexpected(opensslError(KeyErrorCode::Internal, "BIO"));
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!pkey) return unexpected(opensslError(KeyErrorCode::InvalidKey, "PEM private key"));
  return fromPkey(share(std::move(pkey)));
}

Result<std::string, KeyError> SigningKey::privateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "PKCS#8 encoding"));
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string, KeyError> SigningKey::sign(std::string_view data) const {
  SigningAlgorithm alg = algorithm();
  MdCtxPtr ctx(EVP_MD_CTX_new());
  // EVP_PKEY_get_size is the largest signature the key can produce.
  auto len = static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get()));
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digestFor(alg), nullptr, pkey_.get()) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "signing"));
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "signing"));
  }
  signature.resize(len);
  if (alg != SigningAlgorithm::Es256) return signature;
  auto raw = derToRaw(signature);
  if (!raw) return unexpected(KeyError{KeyErrorCode::Internal, "ECDSA signature conversion"});
  return std::move(*raw);
}

Result<std::string, KeyError> SigningKey::signPs256ForTesting(std::string_view data) const {
  if (algorithm() != SigningAlgorithm::Rs256) {
    return unexpected(KeyError{KeyErrorCode::UnsupportedKey, "PS256 needs an RSA key"});
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  auto len = static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get()));
  std::string signature(len, '\0');
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey_.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return unexpected(opensslError(KeyErrorCode::Internal, "PS256 signing"));
  }
  signature.resize(len);
  return signature;
}

}  // namespace mxauth::crypto
