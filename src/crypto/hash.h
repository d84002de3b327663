#pragma once

// Fixed-size digests and MACs used across the server: SHA-256 for token
// hashes (design §7), PKCE S256 (RFC 7636 §4.2) and at_hash (OIDC Core
// §3.1.3.6); HMAC-SHA256 for keyed integrity and for deriving purpose-bound
// subkeys from one configured secret.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace mxauth::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest sha256(std::span<const std::uint8_t> data);
Sha256Digest sha256(std::string_view data);

Sha256Digest hmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
Sha256Digest hmacSha256(std::string_view key, std::string_view data);

// A 32-byte key for one purpose, derived from a master secret as
// HMAC-SHA256(secret, "mxauth:" + purpose) (the HKDF-Expand step of
// RFC 5869 §2.3 for one block, with a uniformly random secret standing in for
// the extracted PRK). Distinct purposes give independent keys, so one
// configured secret can key cookies, CSRF tokens and stored-secret encryption.
Sha256Digest deriveKey(std::span<const std::uint8_t> secret, std::string_view purpose);

}  // namespace mxauth::crypto
