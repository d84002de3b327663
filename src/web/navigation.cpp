#include "web/navigation.h"

#include <algorithm>
#include <cstdlib>

namespace mxauth::web {
namespace {

constexpr std::size_t kMaxLocalPath = 2048;
constexpr std::size_t kMaxLanguages = 16;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool isLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// q-value in thousandths (RFC 9110 §12.4.2); -1 when malformed.
int parseQuality(std::string_view text) {
  if (text.empty() || text.size() > 5) return -1;
  if (text[0] == '1') {
    for (std::size_t i = 1; i < text.size(); ++i) {
      if ((i == 1 && text[i] != '.') || (i > 1 && text[i] != '0')) return -1;
    }
    return 1000;
  }
  if (text[0] != '0') return -1;
  if (text.size() == 1) return 0;
  if (text[1] != '.') return -1;
  int value = 0;
  int scale = 100;
  for (std::size_t i = 2; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value += (text[i] - '0') * scale;
    scale /= 10;
  }
  return value;
}

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
  struct Entry {
    std::string tag;
    int quality;
    std::size_t order;
  };
  std::vector<Entry> entries;
  std::size_t order = 0;
  while (!accept_language.empty() && entries.size() < kMaxLanguages * 4) {
    const std::size_t comma = accept_language.find(',');
    std::string_view item = trim(accept_language.substr(0, comma));
    accept_language =
        comma == std::string_view::npos ? std::string_view() : accept_language.substr(comma + 1);
    int quality = 1000;
    const std::size_t semicolon = item.find(';');
    if (semicolon != std::string_view::npos) {
      std::string_view parameter = trim(item.substr(semicolon + 1));
      item = trim(item.substr(0, semicolon));
      if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') ||
          parameter[1] != '=') {
        continue;
      }
      quality = parseQuality(trim(parameter.substr(2)));
    }
    if (quality <= 0 || item == "*" || !isLanguageTag(item)) continue;
    entries.push_back(Entry{std::string(item), quality, order++});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.quality > b.quality; });
  std::vector<std::string> tags;
  for (Entry& entry : entries) {
    if (tags.size() == kMaxLanguages) break;
    tags.push_back(std::move(entry.tag));
  }
  return tags;
}

}  // namespace mxauth::web
