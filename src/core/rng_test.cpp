#include "core/rng.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mxauth {
namespace {

std::string bytesOf(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST(OsRngTest, SmallDrawsAcrossManyPoolRefillsAreAllDistinct) {
  OsRng rng;
  std::set<std::string> seen;
  // 16-byte draws of a 512-byte block: 32 per refill, so 2,000 draws cross
  // the refill 62 times; 7-byte ones straddle the block's end.
  for (int i = 0; i < 2000; ++i) {
    std::array<std::uint8_t, 16> value{};
    rng.fill(value);
    EXPECT_TRUE(seen.insert(bytesOf(value)).second) << "draw " << i << " repeated";
  }
  std::set<std::string> odd;
  for (int i = 0; i < 500; ++i) {
    std::array<std::uint8_t, 7> value{};
    rng.fill(value);
    odd.insert(bytesOf(value));
  }
  EXPECT_EQ(odd.size(), 500U);
}

TEST(OsRngTest, LargeDrawsComeFromTheKernelAndLookRandom) {
  OsRng rng;
  std::vector<std::uint8_t> a(4096);
  std::vector<std::uint8_t> b(4096);
  rng.fill(a);
  rng.fill(b);
  EXPECT_NE(a, b);
  // Every byte value turns up in 4 KiB of uniform bytes (the chance one is
  // missing is about 256 * e^-16).
  std::set<std::uint8_t> values(a.begin(), a.end());
  EXPECT_EQ(values.size(), 256U);
}

TEST(OsRngTest, ThreadsDrawFromTheirOwnBlocks) {
  OsRng rng;
  std::vector<std::string> draws(8);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < draws.size(); ++t) {
    threads.emplace_back([&rng, &draws, t] {
      std::array<std::uint8_t, 32> value{};
      rng.fill(value);
      draws[t] = bytesOf(value);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(std::set<std::string>(draws.begin(), draws.end()).size(), draws.size());
}

TEST(RngTest, UniformStaysBelowItsBound) {
  OsRng rng;
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.uniform(7), 7U);
}

}  // namespace
}  // namespace mxauth
