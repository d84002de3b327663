#pragma once

// Randomness is an input (design §12): only OsRng reads the OS CSPRNG, and
// only the composition root creates one. Everything else takes an Rng&.

#include <cstddef>
#include <cstdint>
#include <span>

namespace mxauth {

class Rng {
 public:
  virtual ~Rng() = default;
  // Fills `out` with random bytes. Implementations are thread-safe.
  virtual void fill(std::span<std::uint8_t> out) = 0;

  std::uint64_t nextU64();
  // Uniform in [0, bound), without modulo bias. bound > 0.
  std::uint64_t uniform(std::uint64_t bound);
};

// The operating system's CSPRNG (getrandom(2)). Requests of up to 64 bytes
// are served from a 512-byte block per thread, refilled from the kernel when
// used up (bytes handed out are wiped from it); larger ones go to the kernel
// directly. The process never forks, so no two copies of a block exist.
// Aborts if the kernel cannot provide randomness, which is not an input
// error but a broken machine.
class OsRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

}  // namespace mxauth
