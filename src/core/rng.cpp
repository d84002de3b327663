#include "core/rng.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mxauth {

std::uint64_t Rng::nextU64() {
  std::array<std::uint8_t, 8> bytes{};
  fill(bytes);
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

std::uint64_t Rng::uniform(std::uint64_t bound) {
  if (bound == 0) std::abort();
  // Reject the top partial range so every residue is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    std::uint64_t v = nextU64();
    if (v < limit) return v % bound;
  }
}

void OsRng::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace mxauth
