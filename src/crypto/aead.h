#pragma once

// Authenticated encryption for cookies and secrets at rest (design §7):
// AES-256-GCM keyed from the configured secrets.encryption (32 bytes, 64 hex
// characters).
//
// seal() output, base64url without padding (cookie- and URL-safe):
//   key id (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)
// The key id is derived from the secret, so when the secret is rotated, values
// sealed under older secrets still open as long as those secrets are added
// with addRetiredSecret(). The associated data (for example the cookie name)
// is authenticated but not stored: open() must be given the same.
//
// Nonces are 96 random bits from the Rng; with random nonces one key must
// seal fewer than 2^32 values (NIST SP 800-38D §8.3), far above what a
// rotation period sees. The AES key is not the secret itself but a subkey
// derived from it (crypto/hash.h deriveKey), so the same secret can key other
// purposes independently.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/rng.h"

namespace mxauth::crypto {

enum class AeadError {
  InvalidSecret,         // not 64 hex characters
  Malformed,             // not base64url, or too short to hold key id, nonce and tag
  UnknownKey,            // sealed under a secret we no longer have
  AuthenticationFailed,  // tampered with, or other associated data
};

using EncryptionSecret = std::array<std::uint8_t, 32>;

// Parses the config form: exactly 64 hex characters.
Result<EncryptionSecret, AeadError> parseEncryptionSecret(std::string_view hex);
// A fresh secret in the config form, for `config generate` and first start.
std::string generateEncryptionSecretHex(Rng& rng);

class Aead {
 public:
  explicit Aead(const EncryptionSecret& secret);
  static Result<Aead, AeadError> fromHexSecret(std::string_view hex);

  // Keeps accepting values sealed under an older secret (never seals with it).
  void addRetiredSecret(const EncryptionSecret& secret);

  std::string seal(Rng& rng, std::string_view plaintext, std::string_view associated_data) const;
  Result<std::string, AeadError> open(std::string_view sealed,
                                      std::string_view associated_data) const;

 private:
  struct Key {
    std::uint8_t id;
    std::array<std::uint8_t, 32> bytes;
  };
  static Key deriveFrom(const EncryptionSecret& secret);

  std::vector<Key> keys_;  // keys_[0] seals
};

}  // namespace mxauth::crypto
