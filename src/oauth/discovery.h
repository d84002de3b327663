#pragma once

// Server metadata (RFC 8414, OpenID Connect Discovery 1.0, Matrix
// auth_metadata of MSC2965 and spec-digest §3.1) and the JWK Set
// (RFC 7517 §5), plus the CORS answers that public, credential-free
// endpoints share.
//
// The metadata document is immutable while the server runs: it is built
// and serialised once when the routes are mounted and served from an Inline
// handler. `issuer` is http.public_base exactly (RFC 8414 §3.3: clients
// compare it byte for byte), and every endpoint is that base plus a fixed
// path (interface.md §4).

#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_source.h"
#include "crypto/keys.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

namespace mxauth::oauth {

struct DiscoveryOptions {
  // The issuer: config http.public_base, normalised to end with '/'.
  std::string public_base;
  // account.registration: advertises prompt=create (MSC2964).
  bool registration_enabled = true;
  // The MSC4191 actions the account pages serve (web/account_actions.h),
  // advertised as account_management_actions_supported.
  std::vector<std::string> account_management_actions;
  // ID-token signing algorithms the key set offers (KeySet::algorithms());
  // mountDiscoveryRoutes() fills it from the key set when left empty.
  std::vector<crypto::SigningAlgorithm> signing_algorithms;
  // The languages of the pages (the message catalogues, i18n/catalogue.h),
  // advertised as ui_locales_supported; English when empty.
  std::vector<std::string> ui_locales;
};

// `public_base` joined with `path` (no leading '/'), with exactly one '/'
// between them: endpointUrl("https://a.example/", "oauth2/token").
std::string endpointUrl(std::string_view public_base, std::string_view path);

// The metadata document as JSON text.
std::string buildServerMetadata(const DiscoveryOptions& options);

// Cache-Control of the metadata document, as Synapse sends it for
// auth_metadata (spec-digest §3.1).
inline constexpr std::string_view kMetadataCacheControl =
    "public, max-age=600, s-maxage=3600, stale-while-revalidate=600";
inline constexpr std::string_view kJwksCacheControl = "public, max-age=600";

// The paths that serve the metadata document.
inline constexpr std::string_view kOpenIdConfigurationPath = "/.well-known/openid-configuration";
inline constexpr std::string_view kAuthMetadataPath = "/_matrix/client/v1/auth_metadata";
inline constexpr std::string_view kUnstableAuthMetadataPath =
    "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata";
inline constexpr std::string_view kJwksPath = "/oauth2/keys.json";
// The end-session endpoint (RP-Initiated Logout), served by web/end_session.h.
inline constexpr std::string_view kEndSessionPath = "/oauth2/logout";

// CORS for endpoints that browsers call from other origins without
// credentials (metadata, JWKS, registration, token; never /authorize or an
// HTML page, RFC 9700 §2.6): any origin may read the answer.
void allowAnyOrigin(http::Response& response);
// The answer to a CORS preflight (OPTIONS) for such an endpoint: 204 with
// the allowed `methods` ("GET" or "POST") and, when the request asks for
// them, the requested headers (only if they are a well-formed list of
// header names).
http::Response corsPreflightResponse(const http::Request& request, std::string_view methods);

// Mounts GET (and HEAD) and OPTIONS on the three metadata paths and on
// /oauth2/keys.json. The metadata is serialised here, once; the JWK Set on
// each request from the current snapshot of `keys`, so that it follows a
// rotation at once (`keys` must outlive the router).
void mountDiscoveryRoutes(http::Router& router, const DiscoveryOptions& options,
                          const crypto::KeySource& keys);

}  // namespace mxauth::oauth
