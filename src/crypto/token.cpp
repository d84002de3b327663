#include "crypto/token.h"

#include <array>
#include <cstdlib>
#include <optional>

#include "core/encoding.h"

namespace mxauth::crypto {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kRandomLength = 30;
constexpr std::size_t kChecksumLength = 6;
constexpr std::size_t kPrefixLength = 3;
constexpr std::size_t kTokenLength = kPrefixLength + 1 + kRandomLength + 1 + kChecksumLength;

constexpr TokenType kAllTypes[] = {TokenType::AccessToken, TokenType::RefreshToken,
                                   TokenType::CompatAccessToken, TokenType::CompatRefreshToken,
                                   TokenType::PersonalToken};

// CRC-32 with the reflected polynomial 0xEDB88320, initial value and final
// xor 0xFFFFFFFF (CRC-32/ISO-HDLC, as in zlib and PNG).
constexpr std::array<std::uint32_t, 256> makeCrcTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

std::uint32_t crc32(std::string_view data) {
  static constexpr auto kTable = makeCrcTable();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) {
    crc = kTable[(crc ^ static_cast<std::uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

bool isBase62(std::string_view text) {
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!ok) return false;
  }
  return true;
}

std::optional<TokenType> typeForPrefix(std::string_view prefix) {
  for (TokenType type : kAllTypes) {
    if (tokenPrefix(type) == prefix) return type;
  }
  return std::nullopt;
}

}  // namespace

std::string_view tokenPrefix(TokenType type) {
  switch (type) {
    case TokenType::AccessToken:
      return "mat";
    case TokenType::RefreshToken:
      return "mar";
    case TokenType::CompatAccessToken:
      return "mct";
    case TokenType::CompatRefreshToken:
      return "mcr";
    case TokenType::PersonalToken:
      return "mpt";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string tokenChecksum(std::string_view prefix_and_random) {
  std::uint32_t value = crc32(prefix_and_random);
  std::string digits;
  while (value > 0) {
    digits += kBase62[value % 62];
    value /= 62;
  }
  // 62^6 > 2^32, so at most six digits; pad on the left.
  return std::string(kChecksumLength - digits.size(), '0') + digits;
}

std::string generateToken(Rng& rng, TokenType type) {
  std::string token(tokenPrefix(type));
  token.reserve(kTokenLength);
  token += '_';
  for (std::size_t i = 0; i < kRandomLength; ++i) token += kBase62[rng.uniform(kBase62.size())];
  std::string checksum = tokenChecksum(token);
  token += '_';
  token += checksum;
  return token;
}

Result<TokenType, TokenFormatError> parseToken(std::string_view token) {
  if (token.size() != kTokenLength || token[kPrefixLength] != '_' ||
      token[kPrefixLength + 1 + kRandomLength] != '_') {
    return unexpected(TokenFormatError::InvalidFormat);
  }
  std::string_view prefix = token.substr(0, kPrefixLength);
  std::string_view random = token.substr(kPrefixLength + 1, kRandomLength);
  std::string_view checksum = token.substr(kTokenLength - kChecksumLength);
  // The random part and checksum must be base62 (this also rules out a third '_').
  if (!isBase62(random) || !isBase62(checksum)) {
    return unexpected(TokenFormatError::InvalidCharacter);
  }
  std::optional<TokenType> type = typeForPrefix(prefix);
  if (!type) return unexpected(TokenFormatError::UnknownPrefix);
  if (tokenChecksum(token.substr(0, kPrefixLength + 1 + kRandomLength)) != checksum) {
    return unexpected(TokenFormatError::ChecksumMismatch);
  }
  return *type;
}

Sha256Digest tokenHash(std::string_view token) { return sha256(token); }

std::string tokenHashHex(std::string_view token) { return core::hexEncode(tokenHash(token)); }

}  // namespace mxauth::crypto
