#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace mxauth::config {
namespace {

bool isIpv4(std::string_view text) {
  if (text.empty() || text.size() > 15) return false;
  std::string copy(text);
  in_addr out{};
  return inet_pton(AF_INET, copy.c_str(), &out) == 1;
}

bool isIpv6(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  std::string copy(text);
  in6_addr out{};
  return inet_pton(AF_INET6, copy.c_str(), &out) == 1;
}

bool looksNumeric(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// RFC 1123 host names: dot-separated labels of letters, digits and hyphens,
// no label empty or longer than 63, at most 255 in all. All-numeric names
// must be valid IPv4 addresses.
bool isDnsNameOrIpv4(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  if (looksNumeric(text)) return isIpv4(text);
  std::size_t label = 0;
  char previous = '.';
  for (char c : text) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else if (c == '-') {
      if (label == 0) return false;
      ++label;
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      ++label;
    } else {
      return false;
    }
    if (label > 63) return false;
    previous = c;
  }
  return label != 0 && previous != '-';
}

std::optional<std::uint16_t> parsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

struct HostPort {
  std::string host;  // brackets removed
  std::optional<std::uint16_t> port;
};

// "host", "host:port", "[v6]" or "[v6]:port". A port that is present must be
// valid.
std::optional<HostPort> splitHostPort(std::string_view text) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view inside = text.substr(1, close - 1);
    if (!isIpv6(inside)) return std::nullopt;
    out.host = std::string(inside);
    rest = text.substr(close + 1);
  } else {
    std::size_t colon = text.rfind(':');
    std::string_view host = colon == std::string_view::npos ? text : text.substr(0, colon);
    if (!isDnsNameOrIpv4(host)) return std::nullopt;
    out.host = std::string(host);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty()) return out;
  if (rest.front() != ':') return std::nullopt;
  out.port = parsePort(rest.substr(1));
  if (!out.port) return std::nullopt;
  return out;
}

bool isUrlCharacter(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  return std::string_view("\"<>\\^`{|}").find(c) == std::string_view::npos;
}

struct ParsedUrl {
  std::string scheme;  // lower case
  std::string authority;
  std::string rest;  // path, query
};

Result<ParsedUrl, std::string> parseHttpUrl(std::string_view text) {
  const std::string expected = "must be an absolute http:// or https:// URL";
  if (!std::all_of(text.begin(), text.end(), isUrlCharacter)) {
    return unexpected(expected + " without spaces or control characters");
  }
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return unexpected(expected);
  ParsedUrl url;
  for (char c : text.substr(0, sep)) {
    url.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (url.scheme != "http" && url.scheme != "https") return unexpected(expected);
  std::string_view after = text.substr(sep + 3);
  std::size_t end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  if (authority.find('@') != std::string_view::npos) {
    return unexpected(expected + " without user name or password");
  }
  if (!splitHostPort(authority)) return unexpected(expected + " with a valid host and port");
  if (text.find('#') != std::string_view::npos) {
    return unexpected(expected + " without a fragment");
  }
  url.authority = std::string(authority);
  url.rest = end == std::string_view::npos ? std::string() : std::string(after.substr(end));
  return url;
}

bool isAddrSpec(std::string_view text) {
  std::size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) return false;
  std::string_view local = text.substr(0, at);
  std::string_view domain = text.substr(at + 1);
  for (char c : local) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>' || c == '@' || c == ',' || c == ';') {
      return false;
    }
  }
  if (domain.front() == '[' && domain.back() == ']') {
    return isIpv4(domain.substr(1, domain.size() - 2)) ||
           (domain.substr(1).starts_with("IPv6:") && isIpv6(domain.substr(6, domain.size() - 7)));
  }
  return isDnsNameOrIpv4(domain);
}

}  // namespace

Result<ListenAddress, std::string> parseListenAddress(std::string_view text) {
  // Port 0 asks the kernel for a free port (tests, benchmarks); the server
  // logs the one it got. URLs never allow 0, so it is special-cased here.
  if (text.ends_with(":0")) {
    auto parts = splitHostPort(std::string(text.substr(0, text.size() - 1)) + "1");
    if (parts && parts->port) return ListenAddress{parts->host, 0};
  }
  auto parts = splitHostPort(text);
  if (!parts || !parts->port) {
    return unexpected(
        std::string("must be host:port (or [ipv6]:port) with a port from 0 (any free port) to "
                    "65535, e.g. 127.0.0.1:8080"));
  }
  return ListenAddress{parts->host, *parts->port};
}

Result<std::string, std::string> normaliseBaseUrl(std::string_view text) {
  auto url = parseHttpUrl(text);
  if (!url) return unexpected(url.error());
  if (url->rest.find('?') != std::string::npos) {
    return unexpected(std::string("must be an absolute http:// or https:// URL without a query"));
  }
  std::string path = url->rest.empty() ? "/" : url->rest;
  if (path.back() != '/') path += '/';
  return url->scheme + "://" + url->authority + path;
}

Result<std::string, std::string> checkHttpUrl(std::string_view text) {
  auto url = parseHttpUrl(text);
  if (!url) return unexpected(url.error());
  return std::string(text);
}

bool isHost(std::string_view text) {
  if (isIpv6(text)) return true;
  auto parts = splitHostPort(text);
  return parts.has_value() && !parts->port.has_value();
}

bool isServerName(std::string_view text) {
  auto parts = splitHostPort(text);
  return parts.has_value();
}

bool isMailbox(std::string_view text) {
  if (text.empty() || text.size() > 320) return false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return false;  // no CR/LF: this goes into a header
  }
  if (text.back() != '>') return isAddrSpec(text);
  std::size_t open = text.rfind('<');
  if (open == std::string_view::npos) return false;
  std::string_view name = text.substr(0, open);
  if (name.find_first_of("<>") != std::string_view::npos) return false;
  return isAddrSpec(text.substr(open + 1, text.size() - open - 2));
}

bool isCidr(std::string_view text) {
  std::size_t slash = text.find('/');
  std::string_view address = text.substr(0, slash);
  bool v4 = isIpv4(address);
  if (!v4 && !isIpv6(address)) return false;
  if (slash == std::string_view::npos) return true;
  std::string_view bits = text.substr(slash + 1);
  if (bits.empty() || bits.size() > 3) return false;
  int value = 0;
  for (char c : bits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    value = value * 10 + (c - '0');
  }
  return value <= (v4 ? 32 : 128);
}

bool isEncryptionKey(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

}  // namespace mxauth::config
