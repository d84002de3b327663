#pragma once

// The server's signing keys: a KeySet in memory, loaded from a directory of
// PEM files or from PEM strings in the config, and the first-start routine
// that creates keys and the encryption secret when there are none.
//
// On disk (secrets.keys_dir): one unencrypted PKCS#8 PEM file per key named
// "<alg>-<kid>.pem", mode 0600, in a directory of mode 0700 when we create
// it; and "encryption.secret" holding 64 hex characters. Files are written to
// a temporary name, synced and renamed, so a crash never leaves a half-written
// key, and ensureKeys() holds an exclusive lock on "<dir>/.lock" so that two
// processes starting together do not both generate keys.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/rng.h"
#include "crypto/keys.h"

namespace mxauth::crypto {

class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(std::vector<SigningKey> keys);

  // Adds `key` unless a key with the same kid is already present.
  void add(SigningKey key);

  bool empty() const { return keys_.empty(); }
  const std::vector<SigningKey>& keys() const { return keys_; }

  // The key to sign with for `algorithm`: the first one added. nullptr when
  // there is none.
  const SigningKey* signingKey(SigningAlgorithm algorithm) const;
  const SigningKey* findByKid(std::string_view kid) const;
  // The algorithms at least one key signs with, in the order RS256, ES256,
  // EdDSA (for id_token_signing_alg_values_supported).
  std::vector<SigningAlgorithm> algorithms() const;
  std::vector<PublicKey> publicKeys() const;

  // The JWK Set document (RFC 7517 §5) of the public keys:
  // {"keys":[{"kty","kid","use":"sig","alg",...}]}.
  std::string jwks() const;

 private:
  std::vector<SigningKey> keys_;
};

// Every "*.pem" regular file in `dir`, in file-name order. An unreadable or
// unparseable file is an error that names it: a key directory is operator
// configuration and should not be half-used.
Result<KeySet, KeyError> loadKeyDirectory(const std::filesystem::path& dir);

// Keys given inline (config), in order.
Result<KeySet, KeyError> keySetFromPems(std::span<const std::string> pems);

// First start: creates `dir` (0700) if missing; when it holds no key,
// generates RSA-2048, P-256 and Ed25519 keys into it. Returns the keys found
// or made.
Result<KeySet, KeyError> ensureKeys(const std::filesystem::path& dir);

// Writes `key` into `dir` atomically with mode 0600; returns the file path.
Result<std::filesystem::path, KeyError> writeKeyFile(const std::filesystem::path& dir,
                                                     const SigningKey& key);

// The encryption secret (64 hex characters) kept in "<dir>/encryption.secret",
// created from `rng` when missing. Used when the config has no
// secrets.encryption.
Result<std::string, KeyError> ensureEncryptionSecret(const std::filesystem::path& dir, Rng& rng);

}  // namespace mxauth::crypto
