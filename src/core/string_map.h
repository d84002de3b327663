#pragma once

// Hash maps keyed by std::string that are looked up by std::string_view
// without building a key string (C++20 heterogeneous lookup): the hot
// paths (routing, the introspection cache, activity tracking) look keys up
// on every request.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mxauth::core {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace mxauth::core
