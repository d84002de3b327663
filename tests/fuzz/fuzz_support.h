#pragma once

// Helpers the fuzz targets share: checking an invariant (a failed check
// aborts, which libFuzzer and the replay runner both report as a crash with
// the message), and splitting one input into several fields.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace mxauth::fuzz {

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

// Checks an invariant the parser promises, in every build (not assert()).
#define MXAUTH_FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::mxauth::fuzz::fail(#condition, __FILE__, __LINE__))

// Reads an input as fields: a byte to choose a mode, then fields separated
// by a NUL byte (which the parsers under test refuse anyway, so fields
// cannot smuggle one in that matters), the last field running to the end.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  // The next byte, or 0 when none is left.
  std::uint8_t byte() {
    if (rest_.empty()) return 0;
    const auto value = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return value;
  }

  // The text up to the next NUL (or the end).
  std::string_view field() {
    const std::size_t end = rest_.find('\0');
    const std::string_view value = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return value;
  }

  std::string_view rest() const { return rest_; }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace mxauth::fuzz
