#include "oauth/redirect_uri.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace mxauth::oauth {
namespace {

bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHexDigit(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), toLower);
  return out;
}

// RFC 3986 §2: unreserved, gen-delims and sub-delims. '%' is checked apart.
bool isUriCharacter(char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':  // unreserved
    case ':':
    case '/':
    case '?':
    case '#':
    case '[':
    case ']':
    case '@':  // gen-delims
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':  // sub-delims
      return true;
    default:
      return false;
  }
}

// Every byte an RFC 3986 character and every '%' a full escape. This alone
// refuses spaces, backslashes, quotes, control characters, NUL and
// non-ASCII, the ingredients of most parser-differential tricks.
bool hasOnlyUriCharacters(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;
      if (!isHexDigit(text[i + 1]) || !isHexDigit(text[i + 2])) return false;
      i += 2;
      continue;
    }
    if (!isUriCharacter(c)) return false;
  }
  return true;
}

bool isValidScheme(std::string_view scheme) {
  if (scheme.empty() || !isAlpha(scheme.front())) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.';
  });
}

bool isLowercase(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::vector<std::string_view> splitOn(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// A DNS name (RFC 1123 §2.1 labels): letters, digits and inner hyphens,
// 1–63 characters a label, at most 253 in all, no empty label (so no
// trailing dot, which would name the same host by another string).
bool isDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (std::string_view label : splitOn(host, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    bool ok = std::all_of(label.begin(), label.end(),
                          [](char c) { return isAlpha(c) || isDigit(c) || c == '-'; });
    if (!ok) return false;
  }
  return true;
}

// Hosts a client_uri must not use: IP addresses (a name is what the user is
// shown and what the other URIs are tied to), single labels (a bare TLD
// would make every host under it "a subdomain"), and localhost names
// (RFC 6761 §6.3).
std::optional<std::string> refuseAsClientHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') return "must not be an IP address";
  if (!isDnsName(host)) return "must have a valid DNS host name";
  std::vector<std::string_view> labels = splitOn(host, '.');
  bool numeric = std::all_of(labels.back().begin(), labels.back().end(), isDigit);
  if (numeric) return "must not be an IP address";
  if (labels.size() < 2) return "must not be a top-level domain";
  std::string lower = lowercase(host);
  if (lower == "localhost" || lower.ends_with(".localhost")) return "must not be localhost";
  return std::nullopt;
}

// A port, if written, is 1–65535 in canonical decimal (no empty port, no
// leading zero), so that one port has one spelling.
bool isValidPort(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.front() == '0') return false;
  if (!std::all_of(port.begin(), port.end(), isDigit)) return false;
  return std::stoul(std::string(port)) <= 65535;
}

// "." or ".." path segments, also percent-encoded: browsers resolve them
// (WHATWG URL treats "%2e" as "."), so the URI would lead elsewhere than the
// string registered.
bool hasDotSegment(std::string_view path) {
  for (std::string_view segment : splitOn(path, '/')) {
    std::string lower = lowercase(segment);
    if (lower == "." || lower == ".." || lower == "%2e" || lower == "%2e%2e" || lower == ".%2e" ||
        lower == "%2e.") {
      return true;
    }
  }
  return false;
}

OAuthError redirectError(std::string description, std::string_view field, std::string_view uri) {
  return oauthError(OAuthErrorCode::InvalidRedirectUri, std::move(description),
                    std::string(field) + ": " + std::string(uri.substr(0, 200)));
}

// What every redirect URI needs, whatever the client: a split URI with a
// lowercase scheme, no fragment, no userinfo, no dot segments.
Result<UriParts, OAuthError> checkCommonRedirectRules(std::string_view uri,
                                                      std::string_view field) {
  const std::string name(field);
  if (uri.size() > kMaxUriLength)
    return unexpected(redirectError(name + " is too long", field, uri));
  std::optional<UriParts> parts = splitUri(uri);
  if (!parts) return unexpected(redirectError(name + " is not a valid absolute URI", field, uri));
  if (parts->fragment) {
    return unexpected(redirectError(name + " must not have a fragment", field, uri));
  }
  if (parts->has_userinfo) {
    return unexpected(redirectError(name + " must not have user information", field, uri));
  }
  if (!isLowercase(parts->scheme)) {
    return unexpected(redirectError(name + " must have a lowercase scheme", field, uri));
  }
  if (parts->port && !isValidPort(*parts->port)) {
    return unexpected(redirectError(name + " has an invalid port", field, uri));
  }
  if (hasDotSegment(parts->path)) {
    return unexpected(redirectError(name + " must not have '.' or '..' path segments", field, uri));
  }
  return *parts;
}

Result<void, OAuthError> checkWebRedirect(const UriParts& parts, std::string_view uri,
                                          std::string_view client_host, std::string_view field) {
  const std::string name(field);
  if (parts.scheme != "https") {
    return unexpected(redirectError(name + " must use https", field, uri));
  }
  if (!isDnsName(parts.host)) {
    return unexpected(redirectError(name + " must have a DNS host name", field, uri));
  }
  if (!isHostOrSubdomain(lowercase(parts.host), client_host)) {
    return unexpected(
        redirectError(name + " must be on the client_uri host or a subdomain of it", field, uri));
  }
  return {};
}

Result<void, OAuthError> checkLoopbackRedirect(const UriParts& parts, std::string_view uri,
                                               std::string_view field) {
  const std::string name(field);
  if (!isLoopbackHost(parts.host)) {
    return unexpected(redirectError(
        "an http " + name + " must be on http://127.0.0.1, http://[::1] or http://localhost", field,
        uri));
  }
  // RFC 8252 §7.3, MSC2966: registered without a port; any port then matches.
  if (parts.port) {
    return unexpected(
        redirectError("a loopback " + name + " must be registered without a port", field, uri));
  }
  return {};
}

// RFC 8252 §7.1 and MSC2966: the scheme is the client_uri host reversed,
// optionally followed by more labels, and the URI has no authority.
Result<void, OAuthError> checkPrivateUseRedirect(const UriParts& parts, std::string_view uri,
                                                 std::string_view client_host,
                                                 std::string_view field) {
  const std::string name(field);
  std::vector<std::string_view> host_labels = splitOn(client_host, '.');
  std::vector<std::string_view> scheme_labels = splitOn(parts.scheme, '.');
  bool prefix = scheme_labels.size() >= host_labels.size() &&
                std::equal(host_labels.rbegin(), host_labels.rend(), scheme_labels.begin());
  if (!prefix) {
    return unexpected(redirectError("a private-use " + name +
                                        " scheme must be the client_uri host in reverse order "
                                        "(e.g. com.example.app)",
                                    field, uri));
  }
  if (parts.has_authority) {
    return unexpected(redirectError(
        "a private-use " + name + " must have no authority (one '/' after the scheme at most)",
        field, uri));
  }
  return {};
}

// Schemes a browser would run or read locally instead of navigating.
bool isDangerousScheme(std::string_view scheme) {
  static constexpr std::array<std::string_view, 5> kSchemes = {"javascript", "data", "vbscript",
                                                               "file", "blob"};
  std::string lower = lowercase(scheme);
  return std::find(kSchemes.begin(), kSchemes.end(), lower) != kSchemes.end();
}

// When `requested` is http on a loopback host followed by a valid port,
// the same URI without the port.
std::optional<std::string> withoutLoopbackPort(std::string_view requested) {
  constexpr std::string_view kHttp = "http://";
  if (!requested.starts_with(kHttp)) return std::nullopt;
  std::string_view rest = requested.substr(kHttp.size());
  for (std::string_view host : {"localhost", "127.0.0.1", "[::1]"}) {
    if (!rest.starts_with(host) || rest.size() == host.size() || rest[host.size()] != ':') {
      continue;
    }
    std::string_view after = rest.substr(host.size() + 1);
    std::size_t end = after.find_first_not_of("0123456789");
    std::string_view port = after.substr(0, end);
    if (!isValidPort(port)) return std::nullopt;
    std::string_view tail = after.substr(port.size());
    if (!tail.empty() && tail.front() != '/' && tail.front() != '?') return std::nullopt;
    return std::string(kHttp) + std::string(host) + std::string(tail);
  }
  return std::nullopt;
}

// `requested` when it is one of `registered` byte for byte, or http on a
// loopback host whose portless form is (RFC 8252 §7.3); else nullopt.
std::optional<std::string> matchRegisteredUri(const std::vector<std::string>& registered,
                                              std::string_view requested) {
  for (const std::string& uri : registered) {
    if (uri == requested) return uri;
  }
  std::optional<std::string> portless = withoutLoopbackPort(requested);
  if (!portless) return std::nullopt;
  for (const std::string& uri : registered) {
    if (uri == *portless) return std::string(requested);
  }
  return std::nullopt;
}

}  // namespace

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]";
}

std::optional<UriParts> splitUri(std::string_view uri) {
  if (!hasOnlyUriCharacters(uri)) return std::nullopt;
  UriParts parts;
  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  parts.scheme = uri.substr(0, colon);
  if (!isValidScheme(parts.scheme)) return std::nullopt;
  std::string_view rest = uri.substr(colon + 1);

  std::size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    parts.fragment = rest.substr(hash + 1);
    rest = rest.substr(0, hash);
    if (parts.fragment->find('#') != std::string_view::npos) return std::nullopt;
  }
  std::size_t question = rest.find('?');
  if (question != std::string_view::npos) {
    parts.query = rest.substr(question + 1);
    rest = rest.substr(0, question);
  }
  if (rest.starts_with("//")) {
    parts.has_authority = true;
    rest.remove_prefix(2);
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    parts.path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      parts.has_userinfo = true;
      authority = authority.substr(at + 1);
    }
    if (authority.starts_with('[')) {
      std::size_t close = authority.find(']');
      if (close == std::string_view::npos) return std::nullopt;
      parts.host = authority.substr(0, close + 1);
      std::string_view inner = parts.host.substr(1, parts.host.size() - 2);
      bool ip_literal = !inner.empty() && std::all_of(inner.begin(), inner.end(), [](char c) {
        return isHexDigit(c) || c == ':' || c == '.';
      });
      if (!ip_literal) return std::nullopt;
      std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') return std::nullopt;
        parts.port = after.substr(1);
      }
    } else {
      std::size_t port_colon = authority.find(':');
      parts.host = authority.substr(0, port_colon);
      if (port_colon != std::string_view::npos) parts.port = authority.substr(port_colon + 1);
      // A host is a DNS name or dotted IPv4: letters, digits, '-' and '.'.
      // Anything else (percent escapes, sub-delims) is refused here.
      bool plain = std::all_of(parts.host.begin(), parts.host.end(), [](char c) {
        return isAlpha(c) || isDigit(c) || c == '-' || c == '.';
      });
      if (parts.host.empty() || !plain) return std::nullopt;
    }
    if (parts.port && !std::all_of(parts.port->begin(), parts.port->end(), isDigit)) {
      return std::nullopt;
    }
  } else {
    parts.path = rest;
  }
  // '[' and ']' are allowed only around an IP literal (RFC 3986 §3.2.2).
  if (parts.path.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  if (parts.query && parts.query->find_first_of("[]") != std::string_view::npos) {
    return std::nullopt;
  }
  return parts;
}

Result<std::string, std::string> httpsUriHost(std::string_view uri) {
  if (uri.size() > kMaxUriLength) return unexpected(std::string("is too long"));
  std::optional<UriParts> parts = splitUri(uri);
  if (!parts) return unexpected(std::string("is not a valid absolute URI"));
  if (lowercase(parts->scheme) != "https" || !parts->has_authority) {
    return unexpected(std::string("must be an https URI"));
  }
  if (parts->has_userinfo) return unexpected(std::string("must not have user information"));
  if (parts->port && !isValidPort(*parts->port))
    return unexpected(std::string("has an invalid port"));
  if (std::optional<std::string> refusal = refuseAsClientHost(parts->host)) {
    return unexpected(std::move(*refusal));
  }
  return lowercase(parts->host);
}

bool isHostOrSubdomain(std::string_view host, std::string_view base) {
  if (base.empty()) return false;
  if (host == base) return true;
  return host.size() > base.size() + 1 && host.ends_with(base) &&
         host[host.size() - base.size() - 1] == '.';
}

Result<void, OAuthError> validateRedirectUri(ApplicationType type, std::string_view uri,
                                             std::string_view client_host, std::string_view field) {
  auto parts = checkCommonRedirectRules(uri, field);
  if (!parts) return unexpected(parts.error());
  switch (type) {
    case ApplicationType::Web:
      return checkWebRedirect(*parts, uri, client_host, field);
    case ApplicationType::Native:
      if (parts->scheme == "https") return checkWebRedirect(*parts, uri, client_host, field);
      if (parts->scheme == "http") return checkLoopbackRedirect(*parts, uri, field);
      return checkPrivateUseRedirect(*parts, uri, client_host, field);
  }
  return unexpected(redirectError("unknown application_type", field, uri));
}

Result<void, OAuthError> validateStaticRedirectUri(std::string_view uri, std::string_view field) {
  const std::string name(field);
  auto parts = checkCommonRedirectRules(uri, field);
  if (!parts) return unexpected(parts.error());
  if (isDangerousScheme(parts->scheme)) {
    return unexpected(redirectError(name + " must not use this scheme", field, uri));
  }
  if ((parts->scheme == "http" || parts->scheme == "https") &&
      (!parts->has_authority || parts->host.empty())) {
    return unexpected(redirectError("an http(s) " + name + " must have a host", field, uri));
  }
  return {};
}

std::optional<std::string> matchRedirectUri(const ClientMetadata& metadata,
                                            std::optional<std::string_view> requested) {
  const std::vector<std::string>& registered = metadata.redirect_uris;
  if (!requested) {
    if (registered.size() == 1) return registered.front();
    return std::nullopt;
  }
  return matchRegisteredUri(registered, *requested);
}

std::optional<std::string> matchPostLogoutRedirectUri(const ClientMetadata& metadata,
                                                      std::string_view requested) {
  return matchRegisteredUri(metadata.post_logout_redirect_uris, requested);
}

}  // namespace mxauth::oauth
