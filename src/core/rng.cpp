#include "core/rng.h"

#include <sys/random.h>

#include <algorithm>
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

namespace {

void fromKernel(std::uint8_t* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = getrandom(out + done, size - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

// Small requests are served from a per-thread block of kernel randomness:
// minting one token pair draws dozens of small values (ids, token
// characters), and a getrandom(2) call for each cost a refresh grant more
// system calls than its database work. Bytes handed out are wiped from the
// block, so it never holds a secret that was given away.
struct Pool {
  static constexpr std::size_t kSize = 512;
  std::array<std::uint8_t, kSize> bytes{};
  std::size_t next = kSize;  // bytes before `next` are used (and zero)
};

constexpr std::size_t kPooledRequestLimit = 64;

}  // namespace

void OsRng::fill(std::span<std::uint8_t> out) {
  if (out.size() > kPooledRequestLimit) {
    fromKernel(out.data(), out.size());
    return;
  }
  thread_local Pool pool;
  std::size_t done = 0;
  while (done < out.size()) {
    if (pool.next == Pool::kSize) {
      fromKernel(pool.bytes.data(), Pool::kSize);
      pool.next = 0;
    }
    const std::size_t take = std::min(out.size() - done, Pool::kSize - pool.next);
    std::memcpy(out.data() + done, pool.bytes.data() + pool.next, take);
    explicit_bzero(pool.bytes.data() + pool.next, take);
    pool.next += take;
    done += take;
  }
}

}  // namespace mxauth
