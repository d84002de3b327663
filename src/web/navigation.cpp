#include "web/navigation.h"

#include <cstdlib>

#include "i18n/catalogue.h"

namespace mxauth::web {
namespace {

constexpr std::size_t kMaxLocalPath = 2048;
constexpr std::size_t kMaxLanguages = 16;

}  // namespace

std::optional<std::string> safeLocalPath(std::string_view next) {
  if (next.empty() || next.size() > kMaxLocalPath) return std::nullopt;
  if (next[0] != '/') return std::nullopt;
  if (next.size() > 1 && (next[1] == '/' || next[1] == '\\')) return std::nullopt;
  for (const char c : next) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '\\') return std::nullopt;
  }
  return std::string(next);
}

std::vector<std::string> preferredLanguages(std::string_view accept_language) {
  // The same reading of the header as the pages' own language (i18n).
  std::vector<std::string> tags;
  for (std::string& range : i18n::languageRanges(accept_language)) {
    if (tags.size() == kMaxLanguages) break;
    if (range != "*") tags.push_back(std::move(range));
  }
  return tags;
}

}  // namespace mxauth::web
