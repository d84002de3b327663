#include "oauth/token_handler.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "oauth/client_authenticator.h"
#include "oauth/discovery.h"
#include "oauth/grants/authorization_code_grant.h"
#include "oauth/grants/client_credentials_grant.h"
#include "oauth/grants/device_code_grant.h"
#include "oauth/grants/grant_context.h"
#include "oauth/grants/refresh_token_grant.h"
#include "oauth/homeserver_provisioning.h"

namespace mxauth::oauth {
namespace {

enum class TokenGrant { AuthorizationCode, RefreshToken, ClientCredentials, DeviceCode };

// The audiences an assertion may name default to this server's issuer and
// token endpoint.
ClientAuthenticationOptions clientAuthenticationOptions(const TokenEndpointOptions& options) {
  ClientAuthenticationOptions out = options.client_authentication;
  if (out.issuer.empty()) out.issuer = options.issuer;
  if (out.token_endpoint.empty()) out.token_endpoint = endpointUrl(options.issuer, "oauth2/token");
  return out;
}

std::optional<TokenGrant> grantFromName(std::string_view name) {
  if (name == "authorization_code") return TokenGrant::AuthorizationCode;
  if (name == "refresh_token") return TokenGrant::RefreshToken;
  if (name == "client_credentials") return TokenGrant::ClientCredentials;
  if (name == kDeviceCodeGrantType) return TokenGrant::DeviceCode;
  return std::nullopt;
}

}  // namespace

TokenHandler::TokenHandler(storage::Database& database, Rng& rng, const Clock& clock,
                           const crypto::KeySource& keys, const TokenEndpointOptions& options,
                           const ClientAuthenticator& authenticator, IntrospectionCache& cache,
                           homeserver::HomeserverConnection* homeserver)
    : database_(database),
      rng_(rng),
      clock_(clock),
      keys_(keys),
      options_(options),
      authenticator_(authenticator),
      cache_(cache),
      homeserver_(homeserver),
      issuer_(rng, clock, options.lifetimes) {}

http::Response TokenHandler::handle(const http::Request& request) const {
  auto response = exchange(request);
  return response ? std::move(*response) : errorResponse(response.error());
}

Result<http::Response, OAuthError> TokenHandler::exchange(const http::Request& request) const {
  auto form = requestForm(request);
  if (!form) return unexpected(std::move(form).error());
  auto grant_type = requiredParameter(*form, "grant_type");
  if (!grant_type) return unexpected(std::move(grant_type).error());
  std::optional<TokenGrant> grant = grantFromName(*grant_type);
  if (!grant) {
    return unexpected(
        oauthError(OAuthErrorCode::UnsupportedGrantType, "The grant_type is not supported."));
  }

  // Who is asking, once and before any transaction or homeserver call: an
  // assertion is single use, and checking one may fetch the client's keys.
  auto client = authenticator_.authenticate(request, *form);
  if (!client) return unexpected(std::move(client).error());

  std::optional<domain::DeviceReservationId> device_reservation;
  bool homeserver_ready = true;
  if (homeserver_ != nullptr && homeserver_->isConnected()) {
    if (*grant == TokenGrant::AuthorizationCode) {
      auto provisioned =
          provisionBeforeCodeExchange(database_, *homeserver_, clock_, *client, *form,
                                      options_.lifetimes.authorization_code_ttl);
      if (!provisioned) return unexpected(std::move(provisioned).error());
    } else if (*grant == TokenGrant::DeviceCode) {
      auto provisioned =
          provisionBeforeDeviceCodeExchange(database_, *homeserver_, rng_, clock_, *client, *form);
      if (!provisioned) return unexpected(std::move(provisioned).error());
      device_reservation = std::move(provisioned->reservation);
      homeserver_ready = provisioned->provisioned;
    }
  }

  auto tx = database_.begin(storage::TransactionMode::ReadWrite);
  if (!tx) return unexpected(storageFailure(tx.error()));

  const std::shared_ptr<const crypto::KeySet> keys = keys_.current();
  GrantContext context{**tx,
                       clock_,
                       rng_,
                       *keys,
                       options_,
                       issuer_,
                       cache_,
                       *client,
                       *form,
                       request.header("User-Agent").value_or(""),
                       device_reservation,
                       homeserver_ready};
  switch (*grant) {
    case TokenGrant::AuthorizationCode:
      return authorizationCodeGrant(context);
    case TokenGrant::RefreshToken:
      return refreshTokenGrant(context);
    case TokenGrant::ClientCredentials:
      return clientCredentialsGrant(context);
    case TokenGrant::DeviceCode:
      return deviceCodeGrant(context);
  }
  std::abort();  // unreachable: every enumerator is handled above
}

TokenEndpoints::TokenEndpoints(storage::Database& database, Rng& rng, const Clock& clock,
                               const crypto::KeySource& keys, TokenEndpointOptions options,
                               homeserver::HomeserverConnection* homeserver)
    : options_(std::move(options)),
      authenticator_(database, clock, clientAuthenticationOptions(options_)),
      cache_(options_.introspection_cache_capacity, options_.introspection_cache_staleness),
      activity_(database),
      token_(database, rng, clock, keys, options_, authenticator_, cache_, homeserver),
      device_(database, rng, clock, options_, authenticator_),
      introspection_(database, clock, authenticator_, options_, cache_, activity_),
      revoke_(database, rng, clock, authenticator_, cache_),
      userinfo_(database, clock) {}

void mountTokenRoutes(http::Router& router, TokenEndpoints& endpoints) {
  const TokenHandler& token = endpoints.tokenHandler();
  const IntrospectionHandler& introspection = endpoints.introspectionHandler();
  const RevokeHandler& revoke = endpoints.revokeHandler();
  const UserinfoHandler& userinfo = endpoints.userinfoHandler();
  const DeviceAuthorizationHandler& device = endpoints.deviceAuthorizationHandler();
  // Browser-based clients (Element Web) call the token, revocation and
  // userinfo endpoints cross-origin. They authenticate with the request
  // body or a bearer token, never with cookies, so any origin may read the
  // answers (as for discovery and registration).
  auto cors = [](http::Response response) {
    allowAnyOrigin(response);
    return response;
  };
  http::RouteOptions inline_route;
  inline_route.execution = http::Execution::Inline;
  router.add(http::Method::Post, "/oauth2/token",
             [&token, cors](http::Request& request) { return cors(token.handle(request)); });
  router.add(
      http::Method::Options, "/oauth2/token",
      [](http::Request& request) { return corsPreflightResponse(request, "POST"); }, inline_route);
  router.add(http::Method::Post, std::string(kDeviceAuthorizationPath),
             [&device, cors](http::Request& request) { return cors(device.handle(request)); });
  router.add(
      http::Method::Options, std::string(kDeviceAuthorizationPath),
      [](http::Request& request) { return corsPreflightResponse(request, "POST"); }, inline_route);
  http::RouteOptions introspection_options;
  introspection_options.fast_path = [&introspection](http::Request& request) {
    return introspection.fastPath(request);
  };
  router.add(
      http::Method::Post, "/oauth2/introspect",
      [&introspection](http::Request& request) { return introspection.handle(request); },
      introspection_options);
  router.add(http::Method::Post, "/oauth2/revoke",
             [&revoke, cors](http::Request& request) { return cors(revoke.handle(request)); });
  router.add(
      http::Method::Options, "/oauth2/revoke",
      [](http::Request& request) { return corsPreflightResponse(request, "POST"); }, inline_route);
  router.add(http::Method::Get, "/oauth2/userinfo",
             [&userinfo, cors](http::Request& request) { return cors(userinfo.handle(request)); });
  router.add(http::Method::Post, "/oauth2/userinfo",
             [&userinfo, cors](http::Request& request) { return cors(userinfo.handle(request)); });
  router.add(
      http::Method::Options, "/oauth2/userinfo",
      [](http::Request& request) { return corsPreflightResponse(request, "GET, POST"); },
      inline_route);
}

}  // namespace mxauth::oauth
