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

// What a key of a KeySet is for. Every key verifies and is published in the
// JWKS; a VerifyOnly key never signs: one announced before it starts
// signing, or one kept for its grace period after it stopped
// (crypto/key_ring.h).
enum class KeyUse { Sign, VerifyOnly };

// An immutable-once-built set of keys. A running server shares one
// snapshot between the JWKS it serves and the signer (crypto/key_source.h).
class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(std::vector<SigningKey> keys);

  // Adds `key` unless a key with the same kid is already present.
  void add(SigningKey key, KeyUse use = KeyUse::Sign);

  bool empty() const { return keys_.empty(); }
  const std::vector<SigningKey>& keys() const { return keys_; }

  // The key to sign with for `algorithm`: the first one added with
  // KeyUse::Sign. nullptr when there is none.
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
  std::vector<KeyUse> uses_;  // parallel to keys_
};

// The "*.pem" regular files of `dir` (not hidden ones), in file-name order.
Result<std::vector<std::filesystem::path>, KeyError> listKeyFiles(const std::filesystem::path& dir);

// One PEM private key file; the error names the file.
Result<SigningKey, KeyError> loadKeyFile(const std::filesystem::path& path);

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

// "<alg>-<kid>.pem", the alg in lower case: the file name of `key` in a key
// directory.
std::string keyFileName(const SigningKey& key);

// Writes `key` into `dir` atomically with mode 0600; returns the file path.
Result<std::filesystem::path, KeyError> writeKeyFile(const std::filesystem::path& dir,
                                                     const SigningKey& key);

// Creates `dir` (mode 0700, parents as needed) unless it exists.
Result<void, KeyError> ensureKeyDirectory(const std::filesystem::path& dir);

// A small file of a key directory (at most 64 KiB), whole.
Result<std::string, KeyError> readKeyDirectoryFile(const std::filesystem::path& path);

// Writes `content` to dir/name (mode 0600) through a temporary file, fsync
// and rename, so that readers see the old file or the whole new one.
Result<void, KeyError> writeKeyDirectoryFile(const std::filesystem::path& dir,
                                             const std::string& name, std::string_view content);

// An exclusive advisory lock (flock) on "<dir>/.lock", held for the life of
// the object. Whoever changes a key directory holds it: first-start
// generation here, and the rotation commands (crypto/key_ring.h), so that
// processes sharing the directory never interleave their changes. Readers
// need no lock: every file is replaced by an atomic rename.
class KeyDirectoryLock {
 public:
  static Result<KeyDirectoryLock, KeyError> acquire(const std::filesystem::path& dir);
  KeyDirectoryLock(KeyDirectoryLock&& other) noexcept;
  KeyDirectoryLock& operator=(KeyDirectoryLock&&) = delete;
  KeyDirectoryLock(const KeyDirectoryLock&) = delete;
  KeyDirectoryLock& operator=(const KeyDirectoryLock&) = delete;
  ~KeyDirectoryLock();

 private:
  explicit KeyDirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

// The encryption secret (64 hex characters) kept in "<dir>/encryption.secret",
// created from `rng` when missing. Used when the config has no
// secrets.encryption.
Result<std::string, KeyError> ensureEncryptionSecret(const std::filesystem::path& dir, Rng& rng);

}  // namespace mxauth::crypto
