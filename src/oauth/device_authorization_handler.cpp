#include "oauth/device_authorization_handler.h"

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <utility>

#include "crypto/random.h"
#include "crypto/token.h"
#include "http/url_encoding.h"
#include "oauth/client_authenticator.h"
#include "oauth/discovery.h"
#include "oauth/grants/grant_context.h"
#include "oauth/scope.h"
#include "oauth/user_code.h"

namespace mxauth::oauth {
namespace {

// RFC 8628 §5.2 asks for device codes that cannot be guessed: 256 bits.
constexpr std::size_t kDeviceCodeBytes = 32;
// A taken user code is drawn again; with 2.6 × 10^10 codes a second
// collision in a row means something else is wrong.
constexpr int kUserCodeAttempts = 4;

bool asksToCreate(std::string_view prompt) {
  std::size_t start = 0;
  while (start <= prompt.size()) {
    const std::size_t end = std::min(prompt.find(' ', start), prompt.size());
    if (prompt.substr(start, end - start) == "create") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

DeviceAuthorizationHandler::DeviceAuthorizationHandler(storage::Database& database, Rng& rng,
                                                       const Clock& clock,
                                                       const TokenEndpointOptions& options,
                                                       const ClientAuthenticator& authenticator)
    : database_(database),
      rng_(rng),
      clock_(clock),
      options_(options),
      authenticator_(authenticator) {}

http::Response DeviceAuthorizationHandler::handle(const http::Request& request) const {
  auto response = authorize(request);
  return response ? std::move(*response) : errorResponse(response.error());
}

Result<http::Response, OAuthError> DeviceAuthorizationHandler::authorize(
    const http::Request& request) const {
  auto form = requestForm(request);
  if (!form) return unexpected(std::move(form).error());

  auto client = authenticator_.authenticate(request, *form);
  if (!client) return unexpected(std::move(client).error());
  if (!client->metadata.allowsGrant(GrantType::DeviceCode)) {
    return unexpected(oauthError(OAuthErrorCode::UnauthorizedClient,
                                 "The client is not registered for the device_code grant."));
  }
  if (const auto prompt = form->get("prompt"); prompt && asksToCreate(*prompt)) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest,
                                 "prompt=create is not supported with the device grant."));
  }
  const auto scope_text = form->get("scope");
  if (!scope_text || scope_text->empty()) {
    return unexpected(oauthError(OAuthErrorCode::InvalidScope, "scope is required."));
  }
  auto scope = ScopeSet::parse(*scope_text);
  if (!scope) return unexpected(std::move(scope).error());
  // The admin scope waits for the user: it is checked when they approve.
  if (auto allowed = validateScope(*scope, GrantKind::DeviceCode, true); !allowed) {
    return unexpected(std::move(allowed).error());
  }

  auto tx = database_.begin(storage::TransactionMode::ReadWrite);
  if (!tx) return unexpected(storageFailure(tx.error()));
  const std::string device_code = crypto::randomUrlSafeString(rng_, kDeviceCodeBytes);
  storage::NewDeviceCodeGrant grant;
  grant.client_id = client->client.id;
  grant.scope = scope->toString();
  grant.device_code_hash = crypto::tokenHashHex(device_code);
  grant.expires_at = clock_.now() + options_.lifetimes.device_code_ttl;
  grant.interval_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(options_.device_code_interval).count();
  std::optional<domain::DeviceCodeGrant> added;
  for (int attempt = 0; attempt < kUserCodeAttempts && !added; ++attempt) {
    grant.user_code = generateUserCode(rng_);
    auto stored = (*tx)->deviceCodeGrants().add(rng_, clock_, grant);
    if (stored) {
      added = std::move(*stored);
    } else if (stored.error().code != storage::StorageErrorCode::Conflict) {
      return unexpected(storageFailure(stored.error()));
    }
  }
  if (!added) {
    return unexpected(oauthError(OAuthErrorCode::ServerError, "No user code could be drawn.",
                                 "user code collisions in a row"));
  }
  auto committed = commit(**tx);
  if (!committed) return unexpected(std::move(committed).error());

  const std::string verification_uri =
      endpointUrl(options_.issuer, kDeviceVerificationPath.substr(1));
  boost::json::object body;
  body["device_code"] = device_code;
  body["user_code"] = displayUserCode(added->user_code);
  body["verification_uri"] = verification_uri;
  body["verification_uri_complete"] =
      verification_uri + "?code=" + http::percentEncode(added->user_code);
  body["expires_in"] =
      std::chrono::duration_cast<std::chrono::seconds>(options_.lifetimes.device_code_ttl).count();
  body["interval"] = added->interval_seconds;
  http::Response response = http::Response::json(200, boost::json::serialize(body));
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  return response;
}

}  // namespace mxauth::oauth
