#include "compat/sso_redirect.h"

#include <algorithm>
#include <array>
#include <string>

#include "http/url_encoding.h"
#include "oauth/redirect_uri.h"

namespace mxauth::compat {
namespace {

constexpr std::size_t kMaxRedirectUrl = 2048;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// The parameter name of one "name=value" (or bare "name") query component,
// percent-decoded; the raw text when it does not decode.
std::string parameterName(std::string_view component) {
  std::string_view raw = component.substr(0, component.find('='));
  auto decoded = http::percentDecode(raw, true);
  return decoded ? *decoded : std::string(raw);
}

}  // namespace

Result<SsoDestination, std::string> checkSsoRedirectUrl(std::string_view url) {
  if (url.empty()) return unexpected(std::string("The application did not say where to return."));
  if (url.size() > kMaxRedirectUrl) {
    return unexpected(std::string("The application's return address is too long."));
  }
  auto parts = oauth::splitUri(url);
  if (!parts) {
    return unexpected(std::string("The application's return address is not a valid URL."));
  }
  if (parts->has_userinfo) {
    return unexpected(std::string("The application's return address contains a user name."));
  }
  const std::string scheme = lowercase(parts->scheme);
  static constexpr std::array<std::string_view, 8> kForbidden = {
      "javascript", "data", "vbscript", "file", "blob", "about", "filesystem", "view-source"};
  if (std::find(kForbidden.begin(), kForbidden.end(), scheme) != kForbidden.end()) {
    return unexpected("A " + scheme + ": address cannot receive a login.");
  }
  SsoDestination destination;
  if (scheme == "http" || scheme == "https") {
    if (!parts->has_authority || parts->host.empty()) {
      return unexpected(std::string("The application's return address has no host."));
    }
    destination.display = lowercase(parts->host);
    destination.is_web = true;
    return destination;
  }
  destination.display = scheme;
  return destination;
}

std::string withLoginToken(std::string_view url, std::string_view token) {
  // The token goes into the query, before any fragment (Element Web
  // returns to "https://app.example/#/login").
  std::string_view fragment;
  if (std::size_t hash = url.find('#'); hash != std::string_view::npos) {
    fragment = url.substr(hash);
    url = url.substr(0, hash);
  }
  std::string_view base = url;
  std::string_view query;
  bool had_query = false;
  if (std::size_t mark = url.find('?'); mark != std::string_view::npos) {
    base = url.substr(0, mark);
    query = url.substr(mark + 1);
    had_query = true;
  }
  std::string kept;
  while (had_query) {
    std::size_t end = query.find('&');
    std::string_view component = query.substr(0, end);
    if (!component.empty() && parameterName(component) != "loginToken") {
      if (!kept.empty()) kept += '&';
      kept += component;
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  std::string out(base);
  out += '?';
  if (!kept.empty()) out += kept + '&';
  out += "loginToken=";
  out += http::percentEncode(token);
  out += fragment;
  return out;
}

}  // namespace mxauth::compat
