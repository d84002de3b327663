#include "core/testing/fakes.h"

#include <cstdlib>
#include <string>

namespace mxauth::test {

Timestamp FakeClock::at(std::string_view s) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[19] != 'Z') std::abort();
  auto num = [&](std::size_t pos, std::size_t len) {
    return std::stoi(std::string(s.substr(pos, len)));
  };
  using namespace std::chrono;
  year_month_day ymd{year{num(0, 4)}, month{static_cast<unsigned>(num(5, 2))},
                     day{static_cast<unsigned>(num(8, 2))}};
  if (!ymd.ok()) std::abort();
  sys_days days{ymd};
  return time_point_cast<milliseconds>(days + hours{num(11, 2)} + minutes{num(14, 2)} +
                                       seconds{num(17, 2)});
}

void SeededRng::fill(std::span<std::uint8_t> out) {
  std::lock_guard lock(mutex_);
  for (auto& b : out) {
    state_ += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    b = static_cast<std::uint8_t>(z ^ (z >> 31));
  }
}

}  // namespace mxauth::test
