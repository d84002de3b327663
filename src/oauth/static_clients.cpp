#include "oauth/static_clients.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <utility>

#include "oauth/client_metadata.h"
#include "oauth/client_store.h"
#include "oauth/redirect_uri.h"
#include "oauth/registration_handler.h"

namespace mxauth::oauth {
namespace {

StaticClientError invalid(std::string message) {
  return StaticClientError{StaticClientErrorCode::InvalidRequest, std::move(message)};
}

// RFC 6749 §3.3 scope-token.
bool isScopeToken(std::string_view token) {
  if (token.empty()) return false;
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\'; });
}

bool isName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTextLength) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// The method --auth-method and --confidential ask for.
Result<TokenEndpointAuthMethod, StaticClientError> authMethodOf(
    const StaticClientRequest& request) {
  if (!request.auth_method) {
    return request.confidential ? TokenEndpointAuthMethod::ClientSecretBasic
                                : TokenEndpointAuthMethod::None;
  }
  std::optional<TokenEndpointAuthMethod> method = authMethodFromName(*request.auth_method);
  if (!method) {
    return unexpected(invalid("--auth-method " + *request.auth_method +
                              ": none, client_secret_basic, client_secret_post, "
                              "client_secret_jwt or private_key_jwt"));
  }
  if (request.confidential && *method == TokenEndpointAuthMethod::None) {
    return unexpected(invalid("--confidential contradicts --auth-method none"));
  }
  return *method;
}

Result<void, StaticClientError> setAssertionMetadata(const StaticClientRequest& request,
                                                     const MetadataRules& rules,
                                                     ClientMetadata& metadata) {
  bool private_key = metadata.token_endpoint_auth_method == TokenEndpointAuthMethod::PrivateKeyJwt;
  if ((request.jwks || request.jwks_uri) && !private_key) {
    return unexpected(invalid("--jwks and --jwks-uri go with --auth-method private_key_jwt"));
  }
  if (request.signing_alg && assertionAlgorithms(metadata.token_endpoint_auth_method).empty()) {
    return unexpected(
        invalid("--signing-alg goes with --auth-method client_secret_jwt or private_key_jwt"));
  }
  if (request.jwks) {
    boost::system::error_code ec;
    boost::json::value jwks = boost::json::parse(*request.jwks, ec);
    if (ec || !jwks.is_object()) return unexpected(invalid("--jwks: not a JSON object"));
    metadata.jwks = std::move(jwks.as_object());
  }
  metadata.jwks_uri = request.jwks_uri;
  if (request.signing_alg) {
    metadata.token_endpoint_auth_signing_alg = crypto::jwsAlgorithmFromName(*request.signing_alg);
    if (!metadata.token_endpoint_auth_signing_alg) {
      return unexpected(invalid("--signing-alg " + *request.signing_alg + ": unknown algorithm"));
    }
  }
  auto checked = checkAssertionMetadata(metadata, rules);
  if (!checked) return unexpected(invalid(checked.error().description));
  return {};
}

Result<ClientMetadata, StaticClientError> buildMetadata(const StaticClientRequest& request,
                                                        const MetadataRules& rules) {
  ClientMetadata metadata;
  if (!isName(request.name)) {
    return unexpected(invalid("--name must be 1 to 256 characters without control characters"));
  }
  metadata.client_name.value = request.name;

  if (request.redirect_uris.size() > kMaxRedirectUris) {
    return unexpected(invalid("too many redirect URIs"));
  }
  for (const std::string& uri : request.redirect_uris) {
    auto checked = validateStaticRedirectUri(uri);
    if (!checked) {
      return unexpected(invalid("--redirect-uri " + uri + ": " + checked.error().description));
    }
    if (std::find(metadata.redirect_uris.begin(), metadata.redirect_uris.end(), uri) ==
        metadata.redirect_uris.end()) {
      metadata.redirect_uris.push_back(uri);
    }
  }

  if (request.post_logout_redirect_uris.size() > kMaxRedirectUris) {
    return unexpected(invalid("too many post-logout redirect URIs"));
  }
  for (const std::string& uri : request.post_logout_redirect_uris) {
    auto checked = validateStaticRedirectUri(uri, kPostLogoutRedirectUriField);
    if (!checked) {
      return unexpected(
          invalid("--post-logout-redirect-uri " + uri + ": " + checked.error().description));
    }
    std::vector<std::string>& list = metadata.post_logout_redirect_uris;
    if (std::find(list.begin(), list.end(), uri) == list.end()) list.push_back(uri);
  }

  std::vector<GrantType> grants;
  if (request.grants.empty()) {
    grants = {GrantType::AuthorizationCode, GrantType::RefreshToken};
  }
  for (const std::string& name : request.grants) {
    std::optional<GrantType> grant = grantTypeFromName(name);
    if (!grant) return unexpected(invalid("--grant " + name + ": unknown grant type"));
    grants.push_back(*grant);
  }
  metadata.grant_types.clear();
  for (GrantType grant : {GrantType::AuthorizationCode, GrantType::RefreshToken,
                          GrantType::ClientCredentials, GrantType::DeviceCode}) {
    if (std::find(grants.begin(), grants.end(), grant) != grants.end()) {
      metadata.grant_types.push_back(grant);
    }
  }
  metadata.response_type_code = metadata.allowsGrant(GrantType::AuthorizationCode);
  if (metadata.response_type_code && metadata.redirect_uris.empty()) {
    return unexpected(invalid("the authorization_code grant needs at least one --redirect-uri"));
  }

  auto method = authMethodOf(request);
  if (!method) return unexpected(method.error());
  metadata.token_endpoint_auth_method = *method;
  if (metadata.allowsGrant(GrantType::ClientCredentials) && !metadata.isConfidential()) {
    return unexpected(invalid("the client_credentials grant needs --confidential"));
  }
  auto assertion = setAssertionMetadata(request, rules, metadata);
  if (!assertion) return unexpected(assertion.error());

  if (!request.scopes.empty()) {
    std::string scope;
    for (const std::string& token : request.scopes) {
      if (!isScopeToken(token)) return unexpected(invalid("--scope " + token + ": malformed"));
      if (!scope.empty()) scope += ' ';
      scope += token;
    }
    metadata.scope = std::move(scope);
  }
  return metadata;
}

}  // namespace

std::string StaticClient::toJson() const {
  boost::json::object object;
  object["client_id"] = client_id.str();
  if (client_secret) object["client_secret"] = *client_secret;
  return boost::json::serialize(object);
}

Result<StaticClient, StaticClientError> addStaticClient(storage::Database& database, Rng& rng,
                                                        const Clock& clock,
                                                        const StaticClientRequest& request,
                                                        const StaticClientOptions& options) {
  auto metadata = buildMetadata(request, options.rules);
  if (!metadata) return unexpected(metadata.error());

  storage::NewOAuthClient record;
  record.metadata_json = canonicalMetadataJson(*metadata);
  record.is_static = true;
  std::optional<std::string> secret;
  auto issued = issueClientSecret(rng, metadata->token_endpoint_auth_method, options.secret_aead);
  if (!issued) return unexpected(invalid(issued.error()));
  if (*issued) {
    secret = std::move((*issued)->secret);
    record.secret_hash = std::move((*issued)->hash);
    record.encrypted_secret = std::move((*issued)->sealed);
  }

  auto storageError = [](const storage::StorageError& error) {
    return StaticClientError{StaticClientErrorCode::Storage,
                             "cannot store the client (" +
                                 std::string(storage::toString(error.code)) + "): " + error.detail};
  };
  auto transaction = database.begin();
  if (!transaction) return unexpected(storageError(transaction.error()));
  auto added = (*transaction)->oauthClients().add(rng, clock, record);
  if (!added) return unexpected(storageError(added.error()));
  auto committed = (*transaction)->commit();
  if (!committed) return unexpected(storageError(committed.error()));
  return StaticClient{added->id, std::move(secret)};
}

}  // namespace mxauth::oauth
