#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "i18n/catalogue.h"

namespace mxauth::i18n {
namespace {

constexpr std::size_t kMaxRanges = 32;

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// A language-range of RFC 4647 §2.1: "*" or 1*8ALPHA *("-" 1*8alphanum),
// lower-cased; empty when malformed.
std::string normalizedRange(std::string_view text) {
  if (text == "*") return "*";
  std::string out;
  std::size_t subtag = 0;
  bool first = true;
  for (const char c : text) {
    if (c == '-') {
      if (subtag == 0) return {};
      subtag = 0;
      first = false;
      out += '-';
      continue;
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && !first)) return {};
    if (++subtag > 8) return {};
    out += lower(c);
  }
  if (subtag == 0) return {};
  return out;
}

// The q-value of RFC 9110 §12.4.2 in thousandths, or -1 when malformed.
int qualityOf(std::string_view text) {
  if (text.empty() || text.size() > 5) return -1;
  if (text[0] == '1') {
    if (text.size() == 1) return 1000;
    if (text[1] != '.') return -1;
    for (std::size_t i = 2; i < text.size(); ++i) {
      if (text[i] != '0') return -1;
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

std::vector<std::string> languageRanges(std::string_view accept_language) {
  struct Entry {
    std::string range;
    int quality;
  };
  std::vector<Entry> entries;
  // Bounded work: at most 2 * kMaxRanges items are looked at, valid or not.
  std::size_t items = 0;
  while (!accept_language.empty() && items++ < 2 * kMaxRanges) {
    const std::size_t comma = accept_language.find(',');
    std::string_view item = trimSpaces(accept_language.substr(0, comma));
    accept_language =
        comma == std::string_view::npos ? std::string_view() : accept_language.substr(comma + 1);
    int quality = 1000;
    const std::size_t semicolon = item.find(';');
    if (semicolon != std::string_view::npos) {
      const std::string_view parameter = trimSpaces(item.substr(semicolon + 1));
      item = trimSpaces(item.substr(0, semicolon));
      if (parameter.size() < 2 || lower(parameter[0]) != 'q' || parameter[1] != '=') continue;
      quality = qualityOf(trimSpaces(parameter.substr(2)));
    }
    std::string range = normalizedRange(item);
    if (quality <= 0 || range.empty()) continue;
    entries.push_back(Entry{std::move(range), quality});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.quality > b.quality; });
  std::vector<std::string> ranges;
  ranges.reserve(entries.size());
  for (Entry& entry : entries) ranges.push_back(std::move(entry.range));
  return ranges;
}

namespace {

// RFC 4647 §3.4: the range, then the range with its last subtag removed,
// and so on (a single-letter subtag such as "x" goes with the one after it).
std::string lookupOne(const Catalogue& catalogue, std::string range) {
  while (!range.empty()) {
    if (catalogue.supports(range)) return range;
    std::size_t dash = range.rfind('-');
    if (dash == std::string::npos) return {};
    range.resize(dash);
    dash = range.rfind('-');
    if (dash != std::string::npos && dash + 2 == range.size()) range.resize(dash);
  }
  return {};
}

}  // namespace

std::optional<std::string> Catalogue::uiLocalesChoice(std::string_view ui_locales) const {
  std::size_t count = 0;
  while (!ui_locales.empty() && count++ < kMaxRanges) {
    const std::size_t space = ui_locales.find(' ');
    const std::string_view tag = ui_locales.substr(0, space);
    ui_locales =
        space == std::string_view::npos ? std::string_view() : ui_locales.substr(space + 1);
    const std::string range = normalizedRange(tag);
    if (range.empty() || range == "*") continue;
    std::string found = lookupOne(*this, range);
    if (!found.empty()) return found;
  }
  return std::nullopt;
}

std::string Catalogue::negotiate(std::string_view accept_language,
                                 std::string_view ui_locales) const {
  if (auto chosen = uiLocalesChoice(ui_locales)) return std::move(*chosen);
  for (const std::string& range : languageRanges(accept_language)) {
    if (range == "*") return std::string(kDefaultLanguage);
    std::string found = lookupOne(*this, range);
    if (!found.empty()) return found;
  }
  return std::string(kDefaultLanguage);
}

}  // namespace mxauth::i18n
