#include "crypto/constant_time.h"

#include <openssl/crypto.h>

#include "core/encoding.h"

namespace mxauth::crypto {

bool constantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  return constantTimeEquals(core::asBytes(a), core::asBytes(b));
}

}  // namespace mxauth::crypto
