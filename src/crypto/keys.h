#pragma once

// Asymmetric keys for JWS (RFC 7515) over OpenSSL 3: RS256 (RSA, at least
// 2048 bits), ES256 (P-256) and EdDSA (Ed25519, RFC 8037). The OpenSSL
// types stay out of this header.
//
// Every key carries a `kid`. For our own keys it is the RFC 7638 JWK
// thumbprint (base64url of SHA-256 over the canonical public JWK), so the
// same key always gets the same kid and no registry of ids is needed.
//
// Key generation is the one place where the OS CSPRNG is reached through
// OpenSSL's generator rather than through the injected Rng: OpenSSL's key
// generators draw from their own DRBG (seeded from getrandom(2)) and take no
// external randomness source. Tests therefore do not expect generated keys to
// be reproducible.

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace mxauth::crypto {

enum class SigningAlgorithm {
  Rs256,  // RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3)
  Es256,  // ECDSA P-256 with SHA-256, signature R || S (RFC 7518 §3.4)
  EdDsa,  // Ed25519 (RFC 8037 §3.1)
};

// The JOSE name: "RS256", "ES256", "EdDSA".
std::string_view algorithmName(SigningAlgorithm algorithm);
// The inverse of algorithmName(); nullopt for every other name, "none" included.
std::optional<SigningAlgorithm> algorithmFromName(std::string_view name);

enum class KeyErrorCode {
  Io,              // a key file or directory could not be read or written
  InvalidKey,      // not a parseable key (PEM or JWK)
  UnsupportedKey,  // a parseable key of a type, curve or size we do not sign with
  Internal,        // OpenSSL failed on a valid key
};

struct KeyError {
  KeyErrorCode code = KeyErrorCode::Internal;
  std::string detail;  // for operators: which file, what OpenSSL said
};

// RFC 7638 thumbprint of a public JWK (kty RSA, EC or OKP), from its
// required members only.
Result<std::string, KeyError> jwkThumbprint(const boost::json::object& jwk);

// A public key and the one algorithm it verifies.
class PublicKey {
 public:
  // Imports a public JWK (RFC 7517/7518/8037). `kid` is the JWK's "kid" when
  // present, else its thumbprint; a present "alg" must match the key type.
  static Result<PublicKey, KeyError> fromJwk(const boost::json::object& jwk);

  SigningAlgorithm algorithm() const { return algorithm_; }
  const std::string& kid() const { return kid_; }
  // The public JWK with "kid", "use": "sig" and "alg".
  boost::json::object jwk() const;

  // Checks a JWS signature (already base64url-decoded) over `data`. For
  // ES256 the signature is the 64-byte R || S form.
  bool verify(std::string_view data, std::string_view signature) const;
  // Checks a PS256 signature (RSASSA-PSS, SHA-256, MGF1 with SHA-256, a
  // 32-byte salt: RFC 7518 §3.5), which only an RSA key can make. We never
  // sign with PS256; clients may sign their assertions with it.
  bool verifyPs256(std::string_view data, std::string_view signature) const;

 private:
  friend class SigningKey;
  PublicKey(std::shared_ptr<evp_pkey_st> pkey, SigningAlgorithm algorithm, std::string kid,
            boost::json::object jwk)
      : pkey_(std::move(pkey)), algorithm_(algorithm), kid_(std::move(kid)), jwk_(std::move(jwk)) {}

  std::shared_ptr<evp_pkey_st> pkey_;
  SigningAlgorithm algorithm_;
  std::string kid_;
  boost::json::object jwk_;  // public members only
};

// A private key we sign with. Copies share the underlying key.
class SigningKey {
 public:
  // RSA-2048, P-256 or Ed25519 from OpenSSL's CSPRNG (see the header comment).
  static Result<SigningKey, KeyError> generate(SigningAlgorithm algorithm);
  // A private key in PEM: PKCS#8 ("PRIVATE KEY") or the traditional RSA/EC
  // forms. Encrypted PEM is refused (never prompts for a passphrase).
  static Result<SigningKey, KeyError> fromPem(std::string_view pem);

  SigningAlgorithm algorithm() const { return public_key_.algorithm(); }
  const std::string& kid() const { return public_key_.kid(); }
  const PublicKey& publicKey() const { return public_key_; }

  // Unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
  Result<std::string, KeyError> privateKeyPem() const;

  // The JWS signature over `data` (for ES256: R || S, 64 bytes).
  Result<std::string, KeyError> sign(std::string_view data) const;
  // A PS256 signature (see PublicKey::verifyPs256); RSA keys only. For
  // tests that play a client.
  Result<std::string, KeyError> signPs256ForTesting(std::string_view data) const;

 private:
  SigningKey(std::shared_ptr<evp_pkey_st> pkey, PublicKey public_key)
      : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}
  static Result<SigningKey, KeyError> fromPkey(std::shared_ptr<evp_pkey_st> pkey);

  std::shared_ptr<evp_pkey_st> pkey_;
  PublicKey public_key_;
};

}  // namespace mxauth::crypto
