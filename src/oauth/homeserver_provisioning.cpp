#include "oauth/homeserver_provisioning.h"

#include <optional>
#include <string>
#include <utility>

#include "crypto/token.h"
#include "jobs/homeserver_jobs.h"
#include "oauth/client_authenticator.h"
#include "oauth/pkce.h"
#include "oauth/scope.h"

namespace mxauth::oauth {

OAuthError homeserverFailure(const homeserver::HomeserverError& error) {
  const std::string detail = std::string(homeserver::toString(error.code)) + ": " + error.message;
  if (error.code == homeserver::HomeserverErrorCode::Unreachable) {
    return oauthError(OAuthErrorCode::TemporarilyUnavailable,
                      "The homeserver cannot be reached right now. Try again shortly.", detail);
  }
  return oauthError(OAuthErrorCode::ServerError, "The homeserver refused to set up the session.",
                    detail);
}

namespace {

// Provisions the user, then upserts the device when there is one.
Result<void, OAuthError> provision(homeserver::HomeserverConnection& homeserver,
                                   const std::string& localpart,
                                   const std::optional<std::string>& device_id,
                                   const std::optional<std::string>& device_name) {
  homeserver::ProvisionRequest provision;
  provision.localpart = localpart;
  provision.locked = false;
  auto provisioned = homeserver.provisionUser(provision);
  if (!provisioned) return unexpected(homeserverFailure(provisioned.error()));
  if (device_id) {
    auto upserted = homeserver.upsertDevice(localpart, *device_id, device_name);
    if (!upserted) return unexpected(homeserverFailure(upserted.error()));
  }
  return {};
}

}  // namespace

Result<void, OAuthError> provisionBeforeCodeExchange(
    storage::Database& database, homeserver::HomeserverConnection& homeserver, const Clock& clock,
    const AuthenticatedClient& client, const http::FormParams& form, Duration code_ttl) {
  const std::string_view code = form.get("code").value_or("");
  if (!homeserver.isConnected() || code.empty()) return {};

  std::string localpart;
  std::optional<std::string> device_id;
  std::optional<std::string> device_name;
  {
    auto tx = database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(storageFailure(tx.error()));
    auto found = (*tx)->authorizationGrants().findByCodeHashWithSubject(crypto::tokenHashHex(code));
    if (!found) return unexpected(storageFailure(found.error()));
    // Anything but a live code is the grant's business to refuse.
    if (!*found) return {};
    const domain::AuthorizationGrant& grant = (*found)->grant;
    if (!grant.isExchangeable() || !grant.session_id || !grant.user_id || !grant.fulfilled_at) {
      return {};
    }
    if (grant.client_id != client.client.id) return {};
    if (form.get("redirect_uri").value_or("") != grant.redirect_uri) return {};
    if (clock.now() - *grant.fulfilled_at > code_ttl) return {};
    const auto verifier = form.get("code_verifier");
    if (grant.code_challenge) {
      if (!verifier || !verifyPkceS256(*verifier, *grant.code_challenge)) return {};
    } else if (verifier || !client.metadata.isConfidential()) {
      return {};
    }
    const std::optional<domain::User>& user = (*found)->user;
    if (!user || !user->canLogIn()) return {};
    const std::optional<domain::OAuthSession>& session = (*found)->session;
    if (!session || !session->isActive()) return {};
    localpart = user->localpart;
    device_id = session->device_id;
    device_name = client.metadata.client_name.value;
  }

  return provision(homeserver, localpart, device_id, device_name);
}

Result<DeviceCodeProvisioning, OAuthError> provisionBeforeDeviceCodeExchange(
    storage::Database& database, homeserver::HomeserverConnection& homeserver, Rng& rng,
    const Clock& clock, const AuthenticatedClient& client, const http::FormParams& form) {
  const std::string_view device_code = form.get("device_code").value_or("");
  if (!homeserver.isConnected() || device_code.empty()) return DeviceCodeProvisioning{};

  domain::UserId user_id;
  std::string localpart;
  std::optional<std::string> device_id;
  {
    auto tx = database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(storageFailure(tx.error()));
    auto grant = (*tx)->deviceCodeGrants().findByDeviceCodeHash(crypto::tokenHashHex(device_code));
    if (!grant) return unexpected(storageFailure(grant.error()));
    // Anything but an approved, unused, live code is the grant's business.
    if (!*grant || !(*grant)->approved_at || !(*grant)->user_id || (*grant)->exchanged_at ||
        (*grant)->isExpiredAt(clock.now()) || (*grant)->client_id != client.client.id) {
      return DeviceCodeProvisioning{};
    }
    auto user = (*tx)->users().lookup(*(*grant)->user_id);
    if (!user) return unexpected(storageFailure(user.error()));
    if (!*user || !(*user)->canLogIn()) return DeviceCodeProvisioning{};
    auto scope = ScopeSet::parse((*grant)->scope);
    if (!scope) return DeviceCodeProvisioning{};
    user_id = (*user)->id;
    localpart = (*user)->localpart;
    device_id = scope->deviceId();
  }
  DeviceCodeProvisioning done;
  if (device_id) {
    auto reserved = jobs::reserveDevice(database, rng, clock, user_id, *device_id);
    if (!reserved) return unexpected(storageFailure(reserved.error()));
    done.reservation = std::move(*reserved);
  }
  auto provisioned = provision(homeserver, localpart, device_id, client.metadata.client_name.value);
  if (!provisioned) {
    if (done.reservation) jobs::releaseDevice(database, *done.reservation);
    return unexpected(std::move(provisioned).error());
  }
  done.provisioned = true;
  return done;
}

}  // namespace mxauth::oauth
