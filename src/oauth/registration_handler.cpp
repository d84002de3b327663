#include "oauth/registration_handler.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <string>
#include <utility>

#include "http/headers.h"
#include "oauth/client_store.h"
#include "oauth/discovery.h"

namespace mxauth::oauth {
namespace {

OAuthError registrationStorageFailure(const storage::StorageError& error) {
  OAuthErrorCode code = error.code == storage::StorageErrorCode::Unavailable
                            ? OAuthErrorCode::TemporarilyUnavailable
                            : OAuthErrorCode::ServerError;
  return oauthError(
      code, "the client could not be registered, try again later",
      "registration: " + std::string(storage::toString(error.code)) + ": " + error.detail);
}

// "application/json", optionally with parameters ("; charset=utf-8").
bool isJsonContentType(std::optional<std::string_view> content_type) {
  if (!content_type) return false;
  std::string_view media_type = content_type->substr(0, content_type->find(';'));
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) {
    media_type.remove_suffix(1);
  }
  return http::equalsIgnoreCase(media_type, "application/json");
}

http::Response created(const domain::OAuthClient& client,
                       std::optional<std::string_view> client_secret) {
  http::Response response =
      http::Response::json(201, registrationResponseBody(client, client_secret));
  // RFC 7591 §3.2.1 answers carry a secret: never cache them.
  response.setHeader("Cache-Control", "no-store");
  response.setHeader("Pragma", "no-cache");
  allowAnyOrigin(response);
  return response;
}

}  // namespace

RegistrationHandler::RegistrationHandler(storage::Database& database, Rng& rng, const Clock& clock,
                                         RegistrationOptions options)
    : database_(database), rng_(rng), clock_(clock), options_(std::move(options)) {}

http::Response RegistrationHandler::handle(const http::Request& request) {
  auto response = registerClient(request);
  if (response) return std::move(*response);
  http::Response error = errorResponse(response.error());
  allowAnyOrigin(error);
  return error;
}

Result<http::Response, OAuthError> RegistrationHandler::registerClient(
    const http::Request& request) {
  if (!isJsonContentType(request.header("Content-Type"))) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest, "the body must be application/json"));
  }
  auto metadata = parseRegistrationRequest(request.body, options_.rules);
  if (!metadata) return unexpected(metadata.error());

  storage::NewOAuthClient record;
  record.metadata_json = canonicalMetadataJson(*metadata);
  std::optional<std::string> secret;
  auto issued = issueClientSecret(rng_, metadata->token_endpoint_auth_method, options_.secret_aead);
  if (!issued) {
    return unexpected(oauthError(OAuthErrorCode::InvalidClientMetadata,
                                 "token_endpoint_auth_method client_secret_jwt is not available",
                                 issued.error()));
  }
  if (*issued) {
    secret = std::move((*issued)->secret);
    record.secret_hash = std::move((*issued)->hash);
    record.encrypted_secret = std::move((*issued)->sealed);
  } else if (!metadata->isConfidential()) {
    record.metadata_digest = metadataDigest(*metadata);
  }

  auto findExisting = [&]() -> Result<std::optional<domain::OAuthClient>, storage::StorageError> {
    auto transaction = database_.begin(storage::TransactionMode::ReadOnly);
    if (!transaction) return unexpected(transaction.error());
    return (*transaction)->oauthClients().findByDigest(*record.metadata_digest);
  };

  // Public clients: an identical registration gets the existing client.
  if (record.metadata_digest) {
    auto existing = findExisting();
    if (!existing) return unexpected(registrationStorageFailure(existing.error()));
    if (*existing) return created(**existing, std::nullopt);
  }

  auto transaction = database_.begin();
  if (!transaction) return unexpected(registrationStorageFailure(transaction.error()));
  auto added = (*transaction)->oauthClients().add(rng_, clock_, record);
  if (!added) {
    // An identical public registration committed between our lookup and our
    // insert: the unique digest refused ours, so answer with that client.
    if (added.error().code == storage::StorageErrorCode::Conflict && record.metadata_digest) {
      transaction->reset();
      auto existing = findExisting();
      if (!existing) return unexpected(registrationStorageFailure(existing.error()));
      if (*existing) return created(**existing, std::nullopt);
    }
    return unexpected(registrationStorageFailure(added.error()));
  }
  auto committed = (*transaction)->commit();
  if (!committed) return unexpected(registrationStorageFailure(committed.error()));
  return created(*added, secret);
}

std::string registrationResponseBody(const domain::OAuthClient& client,
                                     std::optional<std::string_view> client_secret) {
  boost::json::object body;
  body["client_id"] = client.id.str();
  body["client_id_issued_at"] = toUnixSeconds(client.created_at);
  if (client_secret) {
    body["client_secret"] = *client_secret;
    // RFC 7591 §3.2.1: 0 means the secret does not expire.
    body["client_secret_expires_at"] = 0;
  }
  boost::json::error_code error;
  boost::json::value stored = boost::json::parse(client.metadata_json, error);
  if (!error && stored.is_object()) {
    for (const auto& member : stored.get_object()) body[member.key()] = member.value();
  }
  return boost::json::serialize(body);
}

void mountRegistrationRoutes(http::Router& router, storage::Database& database, Rng& rng,
                             const Clock& clock, RegistrationOptions options) {
  auto handler = std::make_shared<RegistrationHandler>(database, rng, clock, std::move(options));
  router.add(http::Method::Post, std::string(kRegistrationPath),
             [handler](http::Request& request) { return handler->handle(request); },
             {.execution = http::Execution::Blocking, .fast_path = {}});
  router.add(http::Method::Options, std::string(kRegistrationPath),
             [](http::Request& request) { return corsPreflightResponse(request, "POST"); },
             {.execution = http::Execution::Inline, .fast_path = {}});
}

}  // namespace mxauth::oauth
