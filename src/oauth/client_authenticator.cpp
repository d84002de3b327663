#include "oauth/client_authenticator.h"

#include <cstdlib>
#include <string_view>
#include <utility>

#include "core/encoding.h"
#include "http/headers.h"
#include "oauth/client_store.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kAuthenticationFailed = "Client authentication failed.";

OAuthError authenticationFailed(std::string detail) {
  return oauthError(OAuthErrorCode::InvalidClient, std::string(kAuthenticationFailed),
                    std::move(detail));
}

// Splits "Basic <credentials>"; nullopt for any other scheme.
std::optional<std::string_view> basicCredentials(std::string_view header) {
  std::size_t space = header.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (!http::equalsIgnoreCase(header.substr(0, space), "Basic")) return std::nullopt;
  std::string_view rest = header.substr(space + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

Result<PresentedCredentials, OAuthError> parseBasic(std::string_view encoded) {
  std::optional<std::string> decoded = core::base64Decode(encoded);
  if (!decoded) return unexpected(authenticationFailed("Basic credentials are not base64"));
  std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return unexpected(authenticationFailed("Basic credentials without ':'"));
  }
  // RFC 6749 §2.3.1: both parts were form-urlencoded before base64.
  auto id = http::percentDecode(std::string_view(*decoded).substr(0, colon), true);
  auto secret = http::percentDecode(std::string_view(*decoded).substr(colon + 1), true);
  if (!id || !secret || id->empty()) {
    return unexpected(authenticationFailed("Basic credentials are not form-urlencoded"));
  }
  return PresentedCredentials{TokenEndpointAuthMethod::ClientSecretBasic, std::move(*id),
                              std::move(*secret)};
}

OAuthError duplicateParameter(std::string_view name) {
  return oauthError(OAuthErrorCode::InvalidRequest,
                    "The parameter " + std::string(name) + " appears more than once.");
}

}  // namespace

OAuthError storageFailure(const storage::StorageError& error) {
  switch (error.code) {
    case storage::StorageErrorCode::Unavailable:
      return oauthError(OAuthErrorCode::TemporarilyUnavailable,
                        "The service is temporarily unavailable.", error.detail);
    case storage::StorageErrorCode::Conflict:
    case storage::StorageErrorCode::Constraint:
    case storage::StorageErrorCode::Internal:
      return oauthError(OAuthErrorCode::ServerError, "Internal server error.", error.detail);
  }
  std::abort();  // unreachable: every enumerator is handled above
}

Result<std::optional<PresentedCredentials>, OAuthError> presentedCredentials(
    const http::Request& request, const http::FormParams& form) {
  auto form_id = form.getUnique("client_id");
  if (!form_id) return unexpected(duplicateParameter("client_id"));
  auto form_secret = form.getUnique("client_secret");
  if (!form_secret) return unexpected(duplicateParameter("client_secret"));

  std::vector<std::string_view> authorizations = request.headerValues("Authorization");
  std::optional<std::string_view> basic;
  for (std::string_view value : authorizations) {
    std::optional<std::string_view> credentials = basicCredentials(value);
    if (!credentials) continue;
    if (basic) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                   "More than one Authorization header was sent."));
    }
    basic = credentials;
  }

  if (basic) {
    if (*form_secret) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                   "The client authenticated with more than one method."));
    }
    auto parsed = parseBasic(*basic);
    if (!parsed) return unexpected(std::move(parsed).error());
    if (*form_id && **form_id != parsed->client_id) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                   "The client_id does not match the Authorization header."));
    }
    return std::optional<PresentedCredentials>(std::move(*parsed));
  }
  if (!*form_id) {
    if (*form_secret) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                   "A client_secret was sent without a client_id."));
    }
    return std::optional<PresentedCredentials>();
  }
  PresentedCredentials presented;
  presented.client_id = std::string(**form_id);
  if (*form_secret) {
    presented.method = TokenEndpointAuthMethod::ClientSecretPost;
    presented.client_secret = std::string(**form_secret);
  }
  return std::optional<PresentedCredentials>(std::move(presented));
}

Result<AuthenticatedClient, OAuthError> authenticateClient(storage::Transaction& tx,
                                                           const PresentedCredentials& presented) {
  auto loaded = loadClient(tx, std::string_view(presented.client_id));
  if (!loaded) return unexpected(storageFailure(loaded.error()));
  if (!*loaded) return unexpected(authenticationFailed("unknown client " + presented.client_id));
  RegisteredClient& client = **loaded;
  const domain::ClientId& id = client.id();
  const ClientMetadata* metadata = &client.metadata;
  if (metadata->token_endpoint_auth_method != presented.method) {
    return unexpected(
        authenticationFailed("client " + id.str() + " registered " +
                             std::string(wireName(metadata->token_endpoint_auth_method)) +
                             " but used " + std::string(wireName(presented.method))));
  }
  switch (presented.method) {
    case TokenEndpointAuthMethod::None:
      break;
    case TokenEndpointAuthMethod::ClientSecretBasic:
    case TokenEndpointAuthMethod::ClientSecretPost: {
      if (!verifyClientSecret(client, presented.client_secret.value_or(""))) {
        return unexpected(authenticationFailed("wrong secret for client " + id.str()));
      }
      break;
    }
  }
  return AuthenticatedClient{std::move(client.client), std::move(client.metadata),
                             presented.method};
}

Result<AuthenticatedClient, OAuthError> authenticateClient(storage::Transaction& tx,
                                                           const http::Request& request,
                                                           const http::FormParams& form) {
  auto presented = presentedCredentials(request, form);
  if (!presented) return unexpected(std::move(presented).error());
  if (!*presented) {
    return unexpected(authenticationFailed("no client_id and no Authorization header"));
  }
  return authenticateClient(tx, **presented);
}

}  // namespace mxauth::oauth
