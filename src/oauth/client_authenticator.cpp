#include "oauth/client_authenticator.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/jws.h"
#include "http/headers.h"

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
                              std::move(*secret), std::nullopt};
}

OAuthError duplicateParameter(std::string_view name) {
  return oauthError(OAuthErrorCode::InvalidRequest,
                    "The parameter " + std::string(name) + " appears more than once.");
}

// A NumericDate claim (RFC 7519 §2) in Unix milliseconds; nullopt when
// absent, not a number, or out of any sensible range.
std::optional<std::int64_t> numericDate(const boost::json::object& claims, std::string_view name) {
  const boost::json::value* value = claims.if_contains(name);
  if (value == nullptr) return std::nullopt;
  double seconds = 0;
  if (value->is_int64()) {
    seconds = static_cast<double>(value->get_int64());
  } else if (value->is_uint64()) {
    seconds = static_cast<double>(value->get_uint64());
  } else if (value->is_double()) {
    seconds = value->get_double();
  } else {
    return std::nullopt;
  }
  constexpr double kMaxSeconds = 253402300799.0;  // 9999-12-31T23:59:59Z
  if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxSeconds) return std::nullopt;
  return static_cast<std::int64_t>(seconds * 1000.0);
}

// RFC 7523 §3 item 3: `aud` identifies us, as a string or as an array of
// strings one of which does.
bool audienceAccepted(const boost::json::object& claims,
                      std::initializer_list<std::string_view> us) {
  const boost::json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return false;
  auto isUs = [&](const boost::json::value& value) {
    return value.is_string() &&
           std::find(us.begin(), us.end(), std::string_view(value.get_string())) != us.end();
  };
  if (aud->is_string()) return isUs(*aud);
  if (!aud->is_array()) return false;
  const boost::json::array& list = aud->get_array();
  return std::all_of(list.begin(), list.end(),
                     [](const boost::json::value& value) { return value.is_string(); }) &&
         std::any_of(list.begin(), list.end(), isUs);
}

// The assertion's client and method, read before anything is verified
// (RFC 7523 §3: `sub` is the client_id; the header's `alg` tells a secret
// from a key).
Result<std::optional<PresentedCredentials>, OAuthError> assertionCredentials(
    std::optional<std::string_view> form_id, std::optional<std::string_view> type,
    std::optional<std::string_view> assertion) {
  if (!type || !assertion || assertion->empty()) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest,
                   "client_assertion_type and client_assertion must be sent together."));
  }
  if (*type != kJwtBearerAssertionType) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest, "The client_assertion_type is not supported."));
  }
  auto jws = crypto::parseCompactJws(*assertion);
  if (!jws) {
    return unexpected(
        authenticationFailed("client_assertion: " + std::string(crypto::describe(jws.error()))));
  }
  std::optional<crypto::JwsAlgorithm> algorithm = crypto::jwsAlgorithmFromName(jws->alg);
  if (!algorithm) {
    return unexpected(authenticationFailed("client_assertion: unsupported alg " + jws->alg));
  }
  boost::system::error_code ec;
  boost::json::value claims = boost::json::parse(jws->payload, ec);
  const boost::json::value* sub =
      !ec && claims.is_object() ? claims.get_object().if_contains("sub") : nullptr;
  if (sub == nullptr || !sub->is_string() || sub->get_string().empty()) {
    return unexpected(authenticationFailed("client_assertion: no sub"));
  }
  PresentedCredentials presented;
  presented.client_id = std::string(sub->get_string());
  if (form_id && *form_id != presented.client_id) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The client_id does not match the client_assertion."));
  }
  presented.method = crypto::isHmac(*algorithm) ? TokenEndpointAuthMethod::ClientSecretJwt
                                                : TokenEndpointAuthMethod::PrivateKeyJwt;
  presented.client_assertion = std::string(*assertion);
  return std::optional<PresentedCredentials>(std::move(presented));
}

}  // namespace

void scheduleAssertionJtiPurge(jobs::JobRunner& runner, storage::Database& database,
                               const Clock& clock, Duration interval) {
  runner.every(interval, "client assertion jti purge",
               [&database, &clock]() -> Result<void, std::string> {
                 auto tx = database.begin(storage::TransactionMode::ReadWrite);
                 if (!tx) return unexpected(tx.error().detail);
                 auto purged = (*tx)->clientAssertions().purgeExpired(clock.now());
                 if (!purged) return unexpected(purged.error().detail);
                 auto committed = (*tx)->commit();
                 if (!committed) return unexpected(committed.error().detail);
                 return {};
               });
}

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
  auto assertion_type = form.getUnique("client_assertion_type");
  if (!assertion_type) return unexpected(duplicateParameter("client_assertion_type"));
  auto assertion = form.getUnique("client_assertion");
  if (!assertion) return unexpected(duplicateParameter("client_assertion"));

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

  bool has_assertion = assertion_type->has_value() || assertion->has_value();
  if ((basic && (*form_secret || has_assertion)) || (*form_secret && has_assertion)) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "The client authenticated with more than one method."));
  }
  if (has_assertion) return assertionCredentials(*form_id, *assertion_type, *assertion);
  if (basic) {
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

ClientAuthenticator::ClientAuthenticator(storage::Database& database, const Clock& clock,
                                         ClientAuthenticationOptions options)
    : database_(database), clock_(clock), options_(std::move(options)) {}

Result<AuthenticatedClient, OAuthError> ClientAuthenticator::authenticate(
    const PresentedCredentials& presented) const {
  std::optional<RegisteredClient> loaded;
  {
    auto tx = database_.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(storageFailure(tx.error()));
    auto found = loadClient(**tx, std::string_view(presented.client_id));
    if (!found) return unexpected(storageFailure(found.error()));
    loaded = std::move(*found);
  }
  if (!loaded) return unexpected(authenticationFailed("unknown client " + presented.client_id));
  RegisteredClient& client = *loaded;
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
    case TokenEndpointAuthMethod::ClientSecretJwt:
    case TokenEndpointAuthMethod::PrivateKeyJwt: {
      auto checked = checkAssertion(client, presented);
      if (!checked) return unexpected(std::move(checked).error());
      break;
    }
  }
  return AuthenticatedClient{std::move(client.client), std::move(client.metadata),
                             presented.method};
}

Result<AuthenticatedClient, OAuthError> ClientAuthenticator::authenticate(
    const http::Request& request, const http::FormParams& form) const {
  auto presented = presentedCredentials(request, form);
  if (!presented) return unexpected(std::move(presented).error());
  if (!*presented) {
    return unexpected(authenticationFailed("no client_id and no Authorization header"));
  }
  return authenticate(**presented);
}

Result<void, OAuthError> ClientAuthenticator::checkAssertion(
    const RegisteredClient& client, const PresentedCredentials& presented) const {
  const std::string client_id = client.id().str();
  const std::string& compact = presented.client_assertion.value_or("");
  auto fail = [&](std::string_view why) {
    return unexpected(
        authenticationFailed("client " + client_id + " assertion: " + std::string(why)));
  };

  // The algorithms this client may use: its method's, narrowed to the one
  // it registered.
  std::vector<crypto::JwsAlgorithm> allowed;
  for (crypto::JwsAlgorithm algorithm : assertionAlgorithms(presented.method)) {
    const auto& registered = client.metadata.token_endpoint_auth_signing_alg;
    if (!registered || crypto::isSameAlgorithm(*registered, algorithm)) {
      allowed.push_back(algorithm);
    }
  }

  Result<crypto::CheckedJws, crypto::JwsError> verified = unexpected(crypto::JwsError::KeyNotFound);
  if (presented.method == TokenEndpointAuthMethod::ClientSecretJwt) {
    if (options_.secret_aead == nullptr) return fail("no encryption key to open client secrets");
    std::optional<std::string> secret = openClientSecret(client, *options_.secret_aead);
    if (!secret) return fail("no client secret to check an HMAC with");
    verified = crypto::verifyWithSecret(compact, *secret, allowed);
  } else if (client.metadata.jwks) {
    auto keys = crypto::parseJwkSet(boost::json::value(*client.metadata.jwks));
    if (!keys) return fail("registered jwks unusable: " + keys.error().detail);
    verified = crypto::verifyWithJwkSet(compact, *keys, allowed);
  } else if (client.metadata.jwks_uri) {
    if (options_.jwks == nullptr) return fail("jwks_uri fetching is not configured");
    auto keys = options_.jwks->keys(*client.metadata.jwks_uri, false);
    if (!keys) return fail(keys.error());
    verified = crypto::verifyWithJwkSet(compact, **keys, allowed);
    if (!verified && verified.error() == crypto::JwsError::KeyNotFound) {
      // The client may have rotated its keys since we fetched them.
      auto refreshed = options_.jwks->keys(*client.metadata.jwks_uri, true);
      if (!refreshed) return fail(refreshed.error());
      verified = crypto::verifyWithJwkSet(compact, **refreshed, allowed);
    }
  } else {
    return fail("the client registered no keys");
  }
  if (!verified) return fail(crypto::describe(verified.error()));

  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(verified->payload, ec);
  if (ec || !payload.is_object()) return fail("the claims are not a JSON object");
  const boost::json::object& claims = payload.get_object();

  auto text = [&](std::string_view name) -> std::optional<std::string_view> {
    const boost::json::value* value = claims.if_contains(name);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string_view(value->get_string());
  };
  if (text("iss") != client_id || text("sub") != client_id) {
    return fail("iss and sub must both be the client_id");
  }
  if (!audienceAccepted(claims, {options_.issuer, options_.token_endpoint})) {
    return fail("aud names neither the issuer nor the token endpoint");
  }
  std::optional<std::string_view> jti = text("jti");
  if (!jti || jti->empty()) return fail("no jti");

  const std::int64_t now = toUnixMillis(clock_.now());
  const std::int64_t leeway = std::chrono::milliseconds(options_.leeway).count();
  const std::int64_t max_lifetime =
      std::chrono::milliseconds(options_.max_assertion_lifetime).count();
  std::optional<std::int64_t> exp = numericDate(claims, "exp");
  if (!exp) return fail("no exp");
  if (*exp + leeway <= now) return fail("expired");
  if (*exp - now > max_lifetime + leeway) return fail("exp is too far ahead");
  for (std::string_view name : {"iat", "nbf"}) {
    if (!claims.contains(name)) continue;
    std::optional<std::int64_t> at = numericDate(claims, name);
    if (!at) return fail(std::string(name) + " is not a NumericDate");
    if (*at > now + leeway) return fail(std::string(name) + " is in the future");
    if (name == "iat" && *exp - *at > max_lifetime) return fail("lifetime exp - iat is too long");
  }

  // Single use (RFC 7523 §3 item 7): remembered until the assertion could
  // no longer pass the checks above.
  Timestamp remember_until = fromUnixMillis(*exp + leeway);
  auto tx = database_.begin(storage::TransactionMode::ReadWrite);
  if (!tx) return unexpected(storageFailure(tx.error()));
  std::string jti_hash = core::hexEncode(crypto::sha256(*jti));
  auto recorded =
      (*tx)->clientAssertions().recordJti(client.id(), jti_hash, remember_until, clock_.now());
  if (!recorded) return unexpected(storageFailure(recorded.error()));
  if (!*recorded) return fail("replayed jti");
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  return {};
}

}  // namespace mxauth::oauth
