// Fuzz target: the URI rules an attacker's redirect would have to pass:
// src/oauth/redirect_uri (validateRedirectUri, validateStaticRedirectUri,
// matchRedirectUri, matchPostLogoutRedirectUri, splitUri, httpsUriHost),
// src/compat/sso_redirect (checkSsoRedirectUrl, withLoginToken) and
// src/web/navigation safeLocalPath().
// Input: a byte choosing the application type, then NUL-separated fields:
// the URI, the client_uri host, a requested URI.
// Invariants: an accepted redirect URI is an absolute URI without fragment
// or userinfo, at most kMaxUriLength bytes, web ones https under the
// client's host; a match returns exactly what was requested, and a request
// that differs from every registered URI matches only on a loopback host;
// an accepted SSO redirectUrl keeps its shape once the login token is in;
// a safe local path is a path on this server.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compat/sso_redirect.h"
#include "fuzz_support.h"
#include "oauth/client_metadata.h"
#include "oauth/redirect_uri.h"
#include "web/navigation.h"

namespace {

namespace oauth = mxauth::oauth;

void checkAcceptedUri(std::string_view uri) {
  MXAUTH_FUZZ_CHECK(uri.size() <= oauth::kMaxUriLength);
  const auto parts = oauth::splitUri(uri);
  MXAUTH_FUZZ_CHECK(parts.has_value());
  MXAUTH_FUZZ_CHECK(!parts->scheme.empty());
  MXAUTH_FUZZ_CHECK(!parts->fragment.has_value());
  MXAUTH_FUZZ_CHECK(!parts->has_userinfo);
}

void checkSplit(std::string_view uri) {
  const auto parts = oauth::splitUri(uri);
  if (!parts) return;
  MXAUTH_FUZZ_CHECK(uri.starts_with(parts->scheme));
  MXAUTH_FUZZ_CHECK(uri.size() > parts->scheme.size() && uri[parts->scheme.size()] == ':');
  if (!parts->has_authority) MXAUTH_FUZZ_CHECK(parts->host.empty());
  if (parts->fragment) MXAUTH_FUZZ_CHECK(uri.ends_with("#" + std::string(*parts->fragment)));
}

void checkMatch(const oauth::ClientMetadata& metadata, std::string_view requested) {
  const auto matched = oauth::matchRedirectUri(metadata, requested);
  const auto logout = oauth::matchPostLogoutRedirectUri(metadata, requested);
  MXAUTH_FUZZ_CHECK(matched == logout);
  if (!matched) return;
  MXAUTH_FUZZ_CHECK(*matched == requested);
  if (metadata.redirect_uris.front() == requested) return;
  // Only the port of a loopback http URI may differ.
  const auto parts = oauth::splitUri(requested);
  MXAUTH_FUZZ_CHECK(parts.has_value());
  MXAUTH_FUZZ_CHECK(parts->scheme == "http");
  MXAUTH_FUZZ_CHECK(oauth::isLoopbackHost(parts->host));
}

void checkSso(std::string_view url) {
  auto destination = mxauth::compat::checkSsoRedirectUrl(url);
  if (!destination) return;
  MXAUTH_FUZZ_CHECK(url.size() <= 2048);
  const auto parts = oauth::splitUri(url);
  MXAUTH_FUZZ_CHECK(parts.has_value());
  MXAUTH_FUZZ_CHECK(!parts->has_userinfo);
  MXAUTH_FUZZ_CHECK(!destination->display.empty());
  const std::string with_token = mxauth::compat::withLoginToken(url, "TOKEN_abc");
  MXAUTH_FUZZ_CHECK(with_token.find("loginToken=TOKEN_abc") != std::string::npos);
  const auto after = oauth::splitUri(with_token);
  MXAUTH_FUZZ_CHECK(after.has_value());
  MXAUTH_FUZZ_CHECK(after->scheme == parts->scheme);
  MXAUTH_FUZZ_CHECK(after->host == parts->host);
  MXAUTH_FUZZ_CHECK(after->fragment == parts->fragment);
}

void checkLocalPath(std::string_view next) {
  const auto path = mxauth::web::safeLocalPath(next);
  if (!path) return;
  MXAUTH_FUZZ_CHECK(path->starts_with('/'));
  MXAUTH_FUZZ_CHECK(!path->starts_with("//") && !path->starts_with("/\\"));
  MXAUTH_FUZZ_CHECK(path->find('\\') == std::string::npos);
  for (const char c : *path) MXAUTH_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  MXAUTH_FUZZ_CHECK(path->size() <= 2048);
  MXAUTH_FUZZ_CHECK(mxauth::web::safeLocalPath(*path) == path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxauth::fuzz::Input input(data, size);
  const auto type =
      (input.byte() & 1) != 0 ? oauth::ApplicationType::Native : oauth::ApplicationType::Web;
  const std::string uri(input.field());
  const std::string client_host(input.field());
  const std::string requested(input.field());

  checkSplit(uri);
  checkSplit(requested);
  checkSso(uri);
  checkLocalPath(uri);
  if (auto host = oauth::httpsUriHost(uri)) {
    MXAUTH_FUZZ_CHECK(!host->empty());
    MXAUTH_FUZZ_CHECK(oauth::isHostOrSubdomain(*host, *host));
  }

  const bool valid_static = oauth::validateStaticRedirectUri(uri).has_value();
  if (valid_static) checkAcceptedUri(uri);
  if (oauth::validateRedirectUri(type, uri, client_host).has_value()) {
    checkAcceptedUri(uri);
    MXAUTH_FUZZ_CHECK(valid_static);  // the dynamic rules only add to the static ones
    const auto parts = oauth::splitUri(uri);
    if (type == oauth::ApplicationType::Web) {
      MXAUTH_FUZZ_CHECK(parts->scheme == "https");
      // Host names compare without regard to case (RFC 3986 §3.2.2).
      std::string host(parts->host);
      for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      MXAUTH_FUZZ_CHECK(oauth::isHostOrSubdomain(host, client_host));
    }
  }

  if (valid_static) {
    oauth::ClientMetadata metadata;
    metadata.application_type = type;
    metadata.redirect_uris = {uri};
    metadata.post_logout_redirect_uris = {uri};
    MXAUTH_FUZZ_CHECK(oauth::matchRedirectUri(metadata, std::nullopt) == uri);
    MXAUTH_FUZZ_CHECK(oauth::matchRedirectUri(metadata, uri) == uri);
    checkMatch(metadata, requested);
  }
  return 0;
}
