#pragma once

// Opaque bearer tokens in MAS's format, so that tokens MAS issued keep
// working after a migration and secret scanners recognise ours:
//
//   <prefix>_<30 base62 characters>_<6 base62 characters of CRC-32>
//
// The CRC-32 (the ISO-HDLC/zlib variant) covers "<prefix>_<random part>" and
// lets a mistyped or forged token be rejected before any database lookup. It
// is not a security feature: the 30 random characters (log2(62^30) ≈ 178.6
// bits, above the 160 bits of RFC 6749 §10.10's SHOULD) are.
//
// Only tokenHash() of a token is ever stored (design §7): bearer tokens have
// enough entropy that a fast hash is enough, and a leaked database then holds
// no usable token.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/rng.h"
#include "crypto/hash.h"

namespace mxauth::crypto {

enum class TokenType {
  AccessToken,         // "mat": OAuth 2.0 access token
  RefreshToken,        // "mar": OAuth 2.0 refresh token
  CompatAccessToken,   // "mct": access token of the legacy Matrix login API
  CompatRefreshToken,  // "mcr": refresh token of the legacy Matrix login API
  PersonalToken,       // "mpt": personal access token
};

// The three-letter prefix of `type`.
std::string_view tokenPrefix(TokenType type);

enum class TokenFormatError {
  InvalidFormat,     // not three '_'-separated parts of lengths 3, 30 and 6
  UnknownPrefix,     // a well-formed token of a type this server does not issue
  InvalidCharacter,  // a character outside [0-9A-Za-z] in the random part or checksum
  ChecksumMismatch,  // the checksum does not match: a typo or a forgery
};

// A new token of `type`: 30 characters drawn uniformly from the 62
// alphanumerics with Rng::uniform (no modulo bias), then the checksum.
std::string generateToken(Rng& rng, TokenType type);

// Checks prefix, lengths, alphabet and checksum, and says which type the
// token claims to be. A success says nothing about whether the token exists.
Result<TokenType, TokenFormatError> parseToken(std::string_view token);

// The checksum part for "<prefix>_<random part>": CRC-32/ISO-HDLC written in
// base62 over "0-9A-Za-z". As MAS writes it, the digits come least
// significant first and the string is then left-padded with '0' to six
// characters; we match that exactly so MAS's tokens verify.
std::string tokenChecksum(std::string_view prefix_and_random);

// The storage key of a token: SHA-256 of the whole token string.
Sha256Digest tokenHash(std::string_view token);
// The same, as 64 lowercase hex characters.
std::string tokenHashHex(std::string_view token);

}  // namespace mxauth::crypto
