#pragma once

// The redirectUrl of the legacy SSO login (spec-digest §4.3): what a
// client may ask to be sent back to, and how the login token is added.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace mxauth::compat {

// What the confirmation page names as the destination.
struct SsoDestination {
  // The lowercase host of an http(s) URL ("app.element.io"), or the scheme
  // of an app's private-use URL ("im.fluffychat").
  std::string display;
  bool is_web = false;  // http or https
};

// Checks a client's redirectUrl and answers what to show the user, or why
// it is refused (a sentence for the error page). Accepted: an absolute URI
// of RFC 3986 characters (oauth::splitUri), at most 2048 bytes, without
// userinfo; http and https need a host (loopback http is fine:
// desktop clients listen there); any other scheme is an app's private-use
// scheme, except the ones a browser would run or read locally
// (javascript, data, vbscript, file, blob, about, filesystem, view-source).
Result<SsoDestination, std::string> checkSsoRedirectUrl(std::string_view url);

// `url` with every loginToken query parameter removed and
// loginToken=<token> appended to the query, before any fragment (Matrix
// spec, SSO client login).
std::string withLoginToken(std::string_view url, std::string_view token);

}  // namespace mxauth::compat
