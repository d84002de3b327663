#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace mxauth::storage {

// Keyset pagination over records ordered by id (ULIDs sort by creation time).
// The next page starts after the last id of the previous one.
struct Page {
  static constexpr std::size_t kMaxLimit = 1000;

  // Exclusive lower bound; empty for the first page.
  std::optional<std::string> after;
  // At most this many records (clamped to kMaxLimit).
  std::size_t limit = 100;
};

}  // namespace mxauth::storage
