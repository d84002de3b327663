#include "core/encoding.h"

#include <array>

namespace mxauth::core {
namespace {

constexpr std::string_view kStd =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrl =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::span<const std::uint8_t> in, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::array<std::int8_t, 256> reverse(std::string_view alphabet) {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<std::uint8_t>(alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

// Strict decoding: canonical trailing bits required, padding only when
// `padded` and then mandatory.
std::optional<std::string> decode(std::string_view text, std::string_view alphabet, bool padded) {
  static const auto kStdTable = reverse(kStd);
  static const auto kUrlTable = reverse(kUrl);
  const auto& table = alphabet == kStd ? kStdTable : kUrlTable;
  if (padded) {
    if (text.size() % 4 != 0) return std::nullopt;
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (!text.empty() && text.back() == '=') text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    std::int8_t v = table[static_cast<std::uint8_t>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical
  return out;
}

}  // namespace

std::span<const std::uint8_t> asBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string base64UrlEncode(std::span<const std::uint8_t> bytes) {
  return encode(bytes, kUrl, false);
}
std::string base64UrlEncode(std::string_view bytes) { return encode(asBytes(bytes), kUrl, false); }
std::optional<std::string> base64UrlDecode(std::string_view text) {
  return decode(text, kUrl, false);
}
std::string base64Encode(std::span<const std::uint8_t> bytes) { return encode(bytes, kStd, true); }
std::string base64Encode(std::string_view bytes) { return encode(asBytes(bytes), kStd, true); }
std::optional<std::string> base64Decode(std::string_view text) { return decode(text, kStd, true); }

std::string hexEncode(std::span<const std::uint8_t> bytes) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  char* next = out.data();
  for (std::uint8_t b : bytes) {
    *next++ = kHex[b >> 4];
    *next++ = kHex[b & 15];
  }
  return out;
}
std::string hexEncode(std::string_view bytes) { return hexEncode(asBytes(bytes)); }

std::optional<std::string> hexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]);
    int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace mxauth::core
