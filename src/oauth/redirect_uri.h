#pragma once

// Redirect URIs: the rules a URI must meet to be registered, and the match
// of a requested redirect_uri against the registered ones at /authorize.
//
// Registration (spec-digest §3.3, MSC2966, RFC 8252 §7, RFC 6749 §3.1.2):
//  - never a fragment, never userinfo, at most kMaxUriLength bytes, a valid
//    RFC 3986 URI (so no spaces, backslashes or control characters), a
//    lowercase scheme, and no "." or ".." path segments (the browser would
//    resolve them to a URI other than the one registered);
//  - web: https, host equal to the client_uri host or a subdomain of it;
//    port and query allowed;
//  - native: a private-use scheme whose dot-separated labels start with the
//    client_uri host reversed (example.com → com.example, com.example.app),
//    followed by no authority ("com.example.app:/cb", "com.example:cb"); or
//    a loopback URI http://127.0.0.1, http://[::1] or http://localhost
//    WITHOUT a port (any port then matches, RFC 8252 §7.3); or a claimed
//    https URI under the web rules.
// Static clients (operator-registered) skip the scheme and host rules but
// keep the rest.
//
// Matching (RFC 9700 §4.1.3, RFC 3986 §6.2.1): simple string comparison of
// the raw registered string with the raw requested one — no parsing,
// normalising or case folding — with one exception: when the requested URI
// is http on a loopback host written exactly as registered, its port is
// ignored. A missing redirect_uri is allowed only when exactly one URI is
// registered.
//
// Post-logout redirect URIs (OpenID Connect RP-Initiated Logout 1.0 §3.1)
// are registered under the same rules as redirect URIs for the client's
// application type, and matched the same way, loopback port included: a
// native app registers "http://127.0.0.1/logged-out" without a port and is
// sent back to whichever port it listens on (the spec's "exactly match"
// would otherwise make loopback URIs unusable, since RFC 8252 §7.3 forbids
// registering the port). There is no default: a logout request without a
// post_logout_redirect_uri is never redirected.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "oauth/client_metadata.h"
#include "oauth/oauth_error.h"

namespace mxauth::oauth {

// The metadata member names a URI check talks about in its errors.
inline constexpr std::string_view kRedirectUriField = "redirect_uri";
inline constexpr std::string_view kPostLogoutRedirectUriField = "post_logout_redirect_uri";

// Checks one redirect URI of a dynamic registration. `client_host` is the
// lowercase host of the client's client_uri; `field` names the URI in the
// error description. Errors are invalid_redirect_uri.
Result<void, OAuthError> validateRedirectUri(ApplicationType type, std::string_view uri,
                                             std::string_view client_host,
                                             std::string_view field = kRedirectUriField);

// Checks one redirect URI of a static client: an absolute URI, no fragment,
// no userinfo, no dot segments, at most kMaxUriLength bytes.
Result<void, OAuthError> validateStaticRedirectUri(std::string_view uri,
                                                   std::string_view field = kRedirectUriField);

// The redirect URI to send the browser to, or nullopt when `requested` does
// not match (then the client must get an error page, never a redirect).
// `requested` is nullopt when the request had no redirect_uri.
std::optional<std::string> matchRedirectUri(const ClientMetadata& metadata,
                                            std::optional<std::string_view> requested);

// The post-logout redirect URI to send the browser to: `requested` when it
// matches one of the client's post_logout_redirect_uris (see the header
// comment), else nullopt (then the browser must not be sent there).
std::optional<std::string> matchPostLogoutRedirectUri(const ClientMetadata& metadata,
                                                      std::string_view requested);

// "localhost", "127.0.0.1" or "[::1]", exactly (as written in a URI).
bool isLoopbackHost(std::string_view host);

// The parts of an absolute URI (RFC 3986 §3), as views into it. Only URIs
// made of RFC 3986 characters with well-formed %XX escapes split; the host
// is a DNS name, a dotted IPv4 address or a bracketed IP literal. We use our
// own strict splitter rather than a general URL library so that what we
// check is exactly what the browser will see (Boost.URL 1.81, for one,
// reads "http://127.0.0.1.evil.example/" as host 127.0.0.1).
struct UriParts {
  std::string_view scheme;
  bool has_authority = false;
  bool has_userinfo = false;
  std::string_view host;                 // as written, brackets included
  std::optional<std::string_view> port;  // the text after ':', possibly empty
  std::string_view path;
  std::optional<std::string_view> query;
  std::optional<std::string_view> fragment;
};
std::optional<UriParts> splitUri(std::string_view uri);

// The lowercase host of an https URI without userinfo whose host
// is a DNS name of two or more labels that is not localhost, or a reason
// (for error_description) why it is not one. For client_uri and the other
// display URIs of spec-digest §3.2.
Result<std::string, std::string> httpsUriHost(std::string_view uri);

// `host` is `base` or a subdomain of it (both lowercase).
bool isHostOrSubdomain(std::string_view host, std::string_view base);

}  // namespace mxauth::oauth
