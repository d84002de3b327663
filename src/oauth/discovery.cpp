#include "oauth/discovery.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <utility>

#include "crypto/jwk_set.h"
#include "oauth/client_metadata.h"

namespace mxauth::oauth {
namespace {

boost::json::array stringArray(std::initializer_list<std::string_view> values) {
  boost::json::array array;
  for (std::string_view value : values) array.emplace_back(value);
  return array;
}

// RFC 9110 §5.6.1/§5.6.2: a comma-separated list of tokens, which is all an
// Access-Control-Request-Headers value may be. Anything else is not echoed.
bool isHeaderNameList(std::string_view list) {
  if (list.empty() || list.size() > 1024) return false;
  return std::all_of(list.begin(), list.end(), [](char c) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || c == '-' || c == '_' || c == ',' || c == ' ' || c == '.' || c == '!' ||
           c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' ||
           c == '^' || c == '`' || c == '|' || c == '~';
  });
}

http::Response cachedJson(const std::string& body, std::string_view cache_control) {
  http::Response response = http::Response::json(200, body);
  response.setHeader("Cache-Control", std::string(cache_control));
  allowAnyOrigin(response);
  return response;
}

}  // namespace

std::string endpointUrl(std::string_view public_base, std::string_view path) {
  std::string url(public_base);
  if (url.empty() || url.back() != '/') url += '/';
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  url += path;
  return url;
}

std::string buildServerMetadata(const DiscoveryOptions& options) {
  const std::string& base = options.public_base;
  boost::json::object metadata;
  metadata["issuer"] = base;
  metadata["authorization_endpoint"] = endpointUrl(base, "authorize");
  metadata["token_endpoint"] = endpointUrl(base, "oauth2/token");
  metadata["registration_endpoint"] = endpointUrl(base, "oauth2/registration");
  metadata["revocation_endpoint"] = endpointUrl(base, "oauth2/revoke");
  metadata["introspection_endpoint"] = endpointUrl(base, "oauth2/introspect");
  metadata["userinfo_endpoint"] = endpointUrl(base, "oauth2/userinfo");
  metadata["jwks_uri"] = endpointUrl(base, "oauth2/keys.json");
  // RFC 8628 §4 (Matrix v1.18): the device authorization grant.
  metadata["device_authorization_endpoint"] = endpointUrl(base, "oauth2/device");
  // OpenID Connect RP-Initiated Logout 1.0 §2.1 (an extension: MAS has none).
  metadata["end_session_endpoint"] = endpointUrl(base, kEndSessionPath);

  // Matrix account management (MSC4191, spec v1.18): exactly the actions
  // the account pages serve (stable names and unstable aliases).
  metadata["account_management_uri"] = endpointUrl(base, "account/");
  boost::json::array actions;
  for (const std::string& action : options.account_management_actions) {
    actions.emplace_back(action);
  }
  metadata["account_management_actions_supported"] = std::move(actions);

  // Only the code flow (RFC 9700 §2.1.2), PKCE with S256 only (§2.1.1).
  metadata["response_types_supported"] = stringArray({"code"});
  metadata["response_modes_supported"] = stringArray({"query", "fragment", "form_post"});
  metadata["grant_types_supported"] =
      stringArray({"authorization_code", "refresh_token", "client_credentials",
                   "urn:ietf:params:oauth:grant-type:device_code"});
  metadata["code_challenge_methods_supported"] = stringArray({"S256"});

  boost::json::array prompts;
  if (options.registration_enabled) prompts.emplace_back("create");
  prompts.emplace_back("login");
  prompts.emplace_back("none");
  metadata["prompt_values_supported"] = std::move(prompts);

  // Client authentication (client_authenticator.h): the same methods at
  // the token and revocation endpoints; introspection needs credentials
  // (the homeserver's bearer secret or a confidential client's), so a
  // public client cannot introspect.
  boost::json::array methods;
  boost::json::array confidential_methods;
  for (TokenEndpointAuthMethod method : kTokenEndpointAuthMethods) {
    methods.emplace_back(wireName(method));
    if (method != TokenEndpointAuthMethod::None)
      confidential_methods.emplace_back(wireName(method));
  }
  // Assertion algorithms (RFC 8414 §2, OIDC Discovery §3): "none" never.
  boost::json::array assertion_algorithms;
  for (crypto::JwsAlgorithm algorithm : crypto::kAsymmetricJwsAlgorithms) {
    assertion_algorithms.emplace_back(crypto::jwsAlgorithmName(algorithm));
  }
  for (crypto::JwsAlgorithm algorithm : crypto::kHmacJwsAlgorithms) {
    assertion_algorithms.emplace_back(crypto::jwsAlgorithmName(algorithm));
  }
  metadata["token_endpoint_auth_methods_supported"] = methods;
  metadata["token_endpoint_auth_signing_alg_values_supported"] = assertion_algorithms;
  metadata["revocation_endpoint_auth_methods_supported"] = std::move(methods);
  metadata["revocation_endpoint_auth_signing_alg_values_supported"] = assertion_algorithms;
  metadata["introspection_endpoint_auth_methods_supported"] = std::move(confidential_methods);
  metadata["introspection_endpoint_auth_signing_alg_values_supported"] =
      std::move(assertion_algorithms);

  // Scopes we grant (MSC2967, OIDC Core §5.4). The device scope
  // (urn:matrix:client:device:<id>) is a family, not one value, so it is not
  // listed; RFC 8414 §2 lets a server leave supported values out.
  metadata["scopes_supported"] =
      stringArray({"openid", "profile", "email", "urn:matrix:client:api:*",
                   "urn:matrix:org.matrix.msc2967.client:api:*"});

  // OpenID Connect Discovery 1.0 §3.
  metadata["subject_types_supported"] = stringArray({"public"});
  boost::json::array algorithms;
  for (crypto::SigningAlgorithm algorithm : options.signing_algorithms) {
    algorithms.emplace_back(crypto::algorithmName(algorithm));
  }
  metadata["id_token_signing_alg_values_supported"] = std::move(algorithms);
  metadata["claims_supported"] =
      stringArray({"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash",
                   "preferred_username", "name", "email", "email_verified"});
  // OIDC Core §3.1.2.1: display is accepted (the pages come in one form);
  // ui_locales chooses the language of the pages that follow /authorize.
  metadata["display_values_supported"] = stringArray({"page"});
  boost::json::array locales;
  for (const std::string& language : options.ui_locales) locales.emplace_back(language);
  if (locales.empty()) locales.emplace_back("en");
  metadata["ui_locales_supported"] = std::move(locales);
  metadata["claims_parameter_supported"] = false;
  metadata["request_parameter_supported"] = false;
  // Its default is true (Discovery §3), so it must be said.
  metadata["request_uri_parameter_supported"] = false;
  // RFC 9207 §3: mix-up defence; every authorization response carries iss.
  metadata["authorization_response_iss_parameter_supported"] = true;
  return boost::json::serialize(metadata);
}

void allowAnyOrigin(http::Response& response) {
  response.setHeader("Access-Control-Allow-Origin", "*");
}

http::Response corsPreflightResponse(const http::Request& request, std::string_view methods) {
  http::Response response = http::Response::noContent();
  allowAnyOrigin(response);
  response.setHeader("Access-Control-Allow-Methods", std::string(methods) + ", OPTIONS");
  std::optional<std::string_view> requested = request.header("Access-Control-Request-Headers");
  if (requested && isHeaderNameList(*requested)) {
    response.setHeader("Access-Control-Allow-Headers", std::string(*requested));
  }
  response.setHeader("Access-Control-Max-Age", "86400");
  return response;
}

void mountDiscoveryRoutes(http::Router& router, const DiscoveryOptions& options,
                          const crypto::KeySource& keys) {
  DiscoveryOptions effective = options;
  if (effective.signing_algorithms.empty()) {
    effective.signing_algorithms = keys.current()->algorithms();
  }
  auto metadata = std::make_shared<const std::string>(buildServerMetadata(effective));
  http::RouteOptions inline_route{.execution = http::Execution::Inline, .fast_path = {}};

  http::Handler serve_metadata = [metadata](http::Request&) {
    return cachedJson(*metadata, kMetadataCacheControl);
  };
  http::Handler preflight_get = [](http::Request& request) {
    return corsPreflightResponse(request, "GET");
  };
  for (std::string_view path :
       {kOpenIdConfigurationPath, kAuthMetadataPath, kUnstableAuthMetadataPath}) {
    router.add(http::Method::Get, std::string(path), serve_metadata, inline_route);
    router.add(http::Method::Options, std::string(path), preflight_get, inline_route);
  }
  router.add(
      http::Method::Get, std::string(kJwksPath),
      [&keys](http::Request&) { return cachedJson(keys.current()->jwks(), kJwksCacheControl); },
      inline_route);
  router.add(http::Method::Options, std::string(kJwksPath), preflight_get, inline_route);
}

}  // namespace mxauth::oauth
