#include "http/url_encoding.h"

#include <array>
#include <cstdint>

#include "http/headers.h"

namespace mxauth::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Bytes that may not appear raw in a request target: controls, space, DEL
// and '#', which only a client-side fragment would contain.
bool isForbiddenInTarget(unsigned char c) { return c <= 0x20 || c == 0x7f || c == '#'; }

std::string_view trimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view describe(ParseError error) {
  switch (error) {
    case ParseError::Malformed:
      return "malformed input";
    case ParseError::WrongContentType:
      return "expected an application/x-www-form-urlencoded body";
    case ParseError::InvalidPercentEncoding:
      return "invalid percent-encoding";
    case ParseError::InvalidUtf8:
      return "text is not valid UTF-8";
    case ParseError::NulCharacter:
      return "text contains a NUL character";
    case ParseError::DuplicateParameter:
      return "a parameter was repeated";
  }
  return "malformed input";
}

bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t minimum = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code_point = c & 0x1f;
      minimum = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code_point = c & 0x0f;
      minimum = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code_point = c & 0x07;
      minimum = 0x10000;
    } else {
      return false;  // continuation byte first, 0xc0/0xc1 overlong lead, or > 0xf4
    }
    if (n - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3f);
    }
    if (code_point < minimum || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
    i += length;
  }
  return true;
}

std::optional<std::string_view> FormParams::get(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.first == name) return std::string_view(entry.second);
  }
  return std::nullopt;
}

std::vector<std::string_view> FormParams::getAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const Entry& entry : entries_) {
    if (entry.first == name) values.emplace_back(entry.second);
  }
  return values;
}

std::size_t FormParams::count(std::string_view name) const {
  std::size_t n = 0;
  for (const Entry& entry : entries_) {
    if (entry.first == name) ++n;
  }
  return n;
}

Result<std::optional<std::string_view>, ParseError> FormParams::getUnique(
    std::string_view name) const {
  std::optional<std::string_view> found;
  for (const Entry& entry : entries_) {
    if (entry.first != name) continue;
    if (found) return unexpected(ParseError::DuplicateParameter);
    found = entry.second;
  }
  return found;
}

std::optional<std::string_view> FormParams::firstDuplicate() const {
  // Forms are small (a dozen parameters), so the quadratic scan is cheaper
  // than building a set.
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (entries_[i].first == entries_[j].first) return std::string_view(entries_[i].first);
    }
  }
  return std::nullopt;
}

void FormParams::add(std::string name, std::string value) {
  entries_.emplace_back(std::move(name), std::move(value));
}

Result<std::string, ParseError> percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) return unexpected(ParseError::InvalidPercentEncoding);
      const int high = hexValue(text[i + 1]);
      const int low = hexValue(text[i + 2]);
      if (high < 0 || low < 0) return unexpected(ParseError::InvalidPercentEncoding);
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (out.find('\0') != std::string::npos) return unexpected(ParseError::NulCharacter);
  if (!isValidUtf8(out)) return unexpected(ParseError::InvalidUtf8);
  return out;
}

Result<FormParams, ParseError> parseUrlEncoded(std::string_view text) {
  FormParams params;
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view segment = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (segment.empty()) continue;
    const std::size_t eq = segment.find('=');
    auto name = percentDecode(segment.substr(0, eq), true);
    if (!name) return unexpected(name.error());
    std::string value;
    if (eq != std::string_view::npos) {
      auto decoded = percentDecode(segment.substr(eq + 1), true);
      if (!decoded) return unexpected(decoded.error());
      value = std::move(*decoded);
    }
    params.add(std::move(*name), std::move(value));
  }
  return params;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (isUnreserved(byte)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

std::string encodeUrlEncoded(const std::vector<FormParams::Entry>& entries) {
  std::string out;
  for (const FormParams::Entry& entry : entries) {
    if (!out.empty()) out.push_back('&');
    out += percentEncode(entry.first);
    out.push_back('=');
    out += percentEncode(entry.second);
  }
  return out;
}

bool isFormContentType(std::string_view content_type) {
  const std::string_view media_type = trimOws(content_type.substr(0, content_type.find(';')));
  return equalsIgnoreCase(media_type, "application/x-www-form-urlencoded");
}

Result<RequestTarget, ParseError> parseRequestTarget(std::string_view target) {
  for (const char c : target) {
    if (isForbiddenInTarget(static_cast<unsigned char>(c))) {
      return unexpected(ParseError::Malformed);
    }
  }
  // Absolute-form: keep what follows the authority.
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        equalsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      const std::size_t path_start = target.find_first_of("/?", scheme.size());
      if (path_start == scheme.size()) return unexpected(ParseError::Malformed);  // no host
      target =
          path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
      if (target.front() == '?') return unexpected(ParseError::Malformed);
      break;
    }
  }
  if (target.empty() || target.front() != '/') return unexpected(ParseError::Malformed);

  const std::size_t question = target.find('?');
  RequestTarget out;
  auto path = percentDecode(target.substr(0, question), false);
  if (!path) return unexpected(path.error());
  out.path = std::move(*path);
  if (question != std::string_view::npos) {
    out.raw_query = std::string(target.substr(question + 1));
    auto query = parseUrlEncoded(out.raw_query);
    if (!query) return unexpected(query.error());
    out.query = std::move(*query);
  }
  return out;
}

std::vector<Cookie> parseCookieHeader(std::string_view header) {
  std::vector<Cookie> cookies;
  while (!header.empty()) {
    const std::size_t semicolon = header.find(';');
    const std::string_view pair = trimOws(header.substr(0, semicolon));
    header =
        semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trimOws(pair.substr(0, eq));
    std::string_view value = trimOws(pair.substr(eq + 1));
    if (name.empty()) continue;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    cookies.push_back({name, value});
  }
  return cookies;
}

}  // namespace mxauth::http
