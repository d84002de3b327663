#include "core/ulid.h"

#include <array>
#include <cstdint>

namespace mxauth::core {
namespace {
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The 16 bytes of a ULID whose time is `at` and whose random part is zero.
std::array<std::uint8_t, 16> timeBytes(Timestamp at) {
  std::array<std::uint8_t, 16> bytes{};
  auto ms = static_cast<std::uint64_t>(toUnixMillis(at));
  for (int i = 5; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms & 0xff);
    ms >>= 8;
  }
  return bytes;
}

std::string encode(const std::array<std::uint8_t, 16>& bytes) {
  // 128 bits -> 26 chars of 5 bits, read as a 130-bit number whose two
  // leading bits are zero (so the first char carries 3 bits).
  auto bit = [&](int k) -> unsigned {
    if (k < 0) return 0;
    return (bytes[static_cast<std::size_t>(k / 8)] >> (7 - k % 8)) & 1u;
  };
  std::string out(26, '0');
  for (int i = 0; i < 26; ++i) {
    unsigned v = 0;
    for (int j = 0; j < 5; ++j) v = (v << 1) | bit(i * 5 + j - 2);
    out[static_cast<std::size_t>(i)] = kCrockford[v];
  }
  return out;
}

}  // namespace

std::string newUlid(Rng& rng, const Clock& clock) {
  std::array<std::uint8_t, 16> bytes = timeBytes(clock.now());
  rng.fill(std::span(bytes).subspan(6));
  return encode(bytes);
}

std::string ulidFloor(Timestamp at) { return encode(timeBytes(at)); }

bool isUlid(std::string_view text) {
  if (text.size() != 26 || text[0] > '7') return false;
  for (char c : text) {
    if (kCrockford.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace mxauth::core
