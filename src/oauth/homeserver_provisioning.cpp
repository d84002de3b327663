#include "oauth/homeserver_provisioning.h"

#include <optional>
#include <string>
#include <utility>

#include "crypto/token.h"
#include "oauth/client_authenticator.h"
#include "oauth/client_store.h"

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

Result<void, OAuthError> provisionBeforeCodeExchange(storage::Database& database,
                                                     homeserver::HomeserverConnection& homeserver,
                                                     std::string_view code) {
  if (!homeserver.isConnected() || code.empty()) return {};

  std::string localpart;
  std::optional<std::string> device_id;
  std::optional<std::string> device_name;
  {
    auto tx = database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(storageFailure(tx.error()));
    auto grant = (*tx)->authorizationGrants().findByCodeHash(crypto::tokenHashHex(code));
    if (!grant) return unexpected(storageFailure(grant.error()));
    // Anything but a live code is the grant's business to refuse.
    if (!*grant || !(*grant)->isExchangeable() || !(*grant)->session_id || !(*grant)->user_id) {
      return {};
    }
    auto user = (*tx)->users().lookup(*(*grant)->user_id);
    if (!user) return unexpected(storageFailure(user.error()));
    if (!*user || !(*user)->canLogIn()) return {};
    auto session = (*tx)->oauthSessions().lookup(*(*grant)->session_id);
    if (!session) return unexpected(storageFailure(session.error()));
    if (!*session || !(*session)->isActive()) return {};
    localpart = (*user)->localpart;
    device_id = (*session)->device_id;
    auto client = loadClient(**tx, (*grant)->client_id);
    if (!client) return unexpected(storageFailure(client.error()));
    if (*client) device_name = (*client)->metadata.client_name.value;
  }

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

}  // namespace mxauth::oauth
