#pragma once

#include <span>
#include <string_view>

namespace mxauth::core {

// A file compiled into the binary by cmake/EmbedFiles.cmake (migrations,
// templates, static assets). Tables of these are sorted by name.
struct EmbeddedFile {
  std::string_view name;
  std::string_view contents;
};

}  // namespace mxauth::core
