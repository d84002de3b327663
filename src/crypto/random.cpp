#include "crypto/random.h"

#include "core/encoding.h"

namespace mxauth::crypto {

std::vector<std::uint8_t> randomBytes(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  rng.fill(out);
  return out;
}

std::string randomUrlSafeString(Rng& rng, std::size_t n) {
  return core::base64UrlEncode(randomBytes(rng, n));
}

}  // namespace mxauth::crypto
