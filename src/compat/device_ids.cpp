#include "compat/device_ids.h"

#include <cstdint>
#include <span>

namespace mxauth::compat {
namespace {

constexpr std::size_t kGeneratedDeviceIdLength = 10;
constexpr std::size_t kMaxDeviceIdLength = 255;

}  // namespace

bool isAcceptableDeviceId(std::string_view id) {
  static constexpr std::string_view kExtra = "._~!$&'()*+,;=:@/-";
  if (id.empty() || id.size() > kMaxDeviceIdLength) return false;
  for (const char c : id) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && kExtra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string generateDeviceId(Rng& rng) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string id;
  while (id.size() < kGeneratedDeviceIdLength) {
    std::uint8_t byte = 0;
    rng.fill(std::span<std::uint8_t>(&byte, 1));
    if (byte >= 26 * 9) continue;  // no modulo bias
    id.push_back(kAlphabet[byte % 26]);
  }
  return id;
}

}  // namespace mxauth::compat
