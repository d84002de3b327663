#pragma once

// Sending the authorization response (or an error) back to the client at
// its redirect URI, in the response mode it asked for (RFC 6749 §4.1.2 and
// §4.1.2.1, OAuth 2.0 Multiple Response Type Encoding Practices §2, OAuth 2.0
// Form Post Response Mode). Every response carries `iss` (RFC 9207 §2) and,
// when the request had one, `state` exactly as received.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/oauth.h"
#include "http/response.h"
#include "oauth/oauth_error.h"
#include "templates/templates.h"

namespace mxauth::web {

// Where and how to answer one authorization request.
struct ResponseTarget {
  std::string redirect_uri;  // a registered URI the request matched
  domain::ResponseMode mode = domain::ResponseMode::Query;
  std::optional<std::string> state;
  std::string issuer;  // http.public_base, byte for byte the metadata issuer
};

// `uri` (a registered redirect URI, which has no fragment) with `params`
// percent-encoded and added to its query, after any it already has
// (RFC 6749 §3.1.2: the query component is kept). `uri` itself when
// `params` is empty.
std::string withQueryParameters(std::string uri,
                                const std::vector<std::pair<std::string, std::string>>& params);

// "query", "fragment", "form_post"; nullopt for anything else.
std::optional<domain::ResponseMode> parseResponseMode(std::string_view text);

// Query: 303 to redirect_uri with the parameters added to its query.
// Fragment: 303 to redirect_uri#parameters. Form post: an HTML page with a
// form that posts them to redirect_uri (templates::FormPostPage), with a CSP
// whose form-action allows that one destination, no-store, no-referrer.
// `params` come first, then state, then iss.
http::Response authorizationResponse(const templates::Templates& templates,
                                     const templates::Layout& layout, const ResponseTarget& target,
                                     std::vector<std::pair<std::string, std::string>> params);

// The error response: error, error_description (when not empty), state, iss.
http::Response authorizationError(const templates::Templates& templates,
                                  const templates::Layout& layout, const ResponseTarget& target,
                                  const oauth::OAuthError& error);

// Security checklist A.2 (RFC 9700 §4.11.2): the same error response, but
// delivered only when the user clicks. A page (status 400) names the
// application (`client_name`) and where the button leads (`client_host`,
// the host of its client_uri; empty: "the application"), so that a client
// anyone could register cannot use this server to bounce a stranger's
// browser to its own site. The button is a link for the query and fragment
// modes and the form (without its auto-submit script) for form_post.
http::Response authorizationErrorInterstitial(const templates::Templates& templates,
                                              const templates::Layout& layout,
                                              const ResponseTarget& target,
                                              const oauth::OAuthError& error,
                                              std::string_view client_name,
                                              std::string_view client_host);

}  // namespace mxauth::web
