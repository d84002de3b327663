#pragma once

// Byte/text encodings used across the protocol: base64url without padding
// (JOSE, PKCE), standard base64 (HTTP Basic), hex (key ids, hashes).
// Decoders return std::nullopt on any malformed input rather than guessing.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mxauth::core {

std::string base64UrlEncode(std::span<const std::uint8_t> bytes);
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

std::string base64Encode(std::span<const std::uint8_t> bytes);
std::string base64Encode(std::string_view bytes);
std::optional<std::string> base64Decode(std::string_view text);

std::string hexEncode(std::span<const std::uint8_t> bytes);
std::string hexEncode(std::string_view bytes);
std::optional<std::string> hexDecode(std::string_view text);

std::span<const std::uint8_t> asBytes(std::string_view s);

}  // namespace mxauth::core
