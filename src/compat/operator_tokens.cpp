#include "compat/operator_tokens.h"

#include <utility>

#include "compat/device_ids.h"
#include "crypto/token.h"
#include "domain/localpart.h"
#include "jobs/homeserver_jobs.h"

namespace mxauth::compat {
namespace {

OperatorTokenError operatorStorageFailure(const storage::StorageError& error) {
  if (error.code == storage::StorageErrorCode::Unavailable) {
    return {OperatorTokenError::Kind::Unavailable, "database unavailable: " + error.detail};
  }
  return {OperatorTokenError::Kind::Internal, "database error: " + error.detail};
}

}  // namespace

Result<OperatorToken, OperatorTokenError> issueOperatorToken(
    storage::Database& database, Rng& rng, const Clock& clock,
    homeserver::HomeserverConnection& homeserver, const OperatorTokenRequest& request) {
  using Kind = OperatorTokenError::Kind;
  if (request.device_id && !isAcceptableDeviceId(*request.device_id)) {
    return unexpected(OperatorTokenError{
        Kind::InvalidInput,
        "the device id must be 1 to 255 letters, digits or ._~!$&'()*+,;=:@/- characters"});
  }
  const std::string name = domain::asciiLowercase(request.localpart);
  domain::User user;
  {
    auto tx = database.begin(storage::TransactionMode::ReadOnly);
    if (!tx) return unexpected(operatorStorageFailure(tx.error()));
    auto found = (*tx)->users().findByLocalpart(name);
    if (!found) return unexpected(operatorStorageFailure(found.error()));
    if (!*found) return unexpected(OperatorTokenError{Kind::NotFound, "no user '" + name + "'"});
    user = std::move(**found);
  }
  if (!user.canLogIn()) {
    return unexpected(OperatorTokenError{
        Kind::InvalidInput, "user '" + name + "' is locked or deactivated and cannot log in"});
  }
  const std::string device_id = request.device_id ? *request.device_id : generateDeviceId(rng);

  // Reserved first, as at a login (jobs/homeserver_jobs.h, R1).
  std::optional<domain::DeviceReservationId> reservation;
  if (homeserver.isConnected()) {
    auto reserved = jobs::reserveDevice(database, rng, clock, user.id, device_id);
    if (!reserved) return unexpected(operatorStorageFailure(reserved.error()));
    reservation = std::move(*reserved);
    homeserver::ProvisionRequest provision;
    provision.localpart = user.localpart;
    provision.locked = false;
    auto provisioned = homeserver.provisionUser(provision);
    if (!provisioned) {
      jobs::releaseDevice(database, *reservation);
      return unexpected(OperatorTokenError{
          Kind::Unavailable, "the homeserver refused the user: " + provisioned.error().message});
    }
    auto upserted = homeserver.upsertDevice(user.localpart, device_id, std::nullopt);
    if (!upserted) {
      jobs::releaseDevice(database, *reservation);
      return unexpected(OperatorTokenError{
          Kind::Unavailable, "the homeserver refused the device: " + upserted.error().message});
    }
  }

  auto tx = database.begin();
  if (!tx) return unexpected(operatorStorageFailure(tx.error()));
  if (reservation) {
    auto consumed = (*tx)->deviceReservations().consume(*reservation);
    if (!consumed) return unexpected(operatorStorageFailure(consumed.error()));
    if (!*consumed) {
      return unexpected(OperatorTokenError{
          Kind::Unavailable, "the device reservation expired before the session was stored"});
    }
  }
  storage::NewCompatSession fresh;
  fresh.user_id = user.id;
  fresh.device_id = device_id;
  fresh.is_admin = request.admin;
  fresh.user_agent = "mxauth user issue-compat-token";
  auto session = (*tx)->compatSessions().add(rng, clock, fresh);
  if (!session) return unexpected(operatorStorageFailure(session.error()));
  OperatorToken issued{user, device_id,
                       crypto::generateToken(rng, crypto::TokenType::CompatAccessToken)};
  auto token = (*tx)->compatAccessTokens().add(
      rng, clock, session->id, crypto::tokenHashHex(issued.access_token), std::nullopt);
  if (!token) return unexpected(operatorStorageFailure(token.error()));
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(operatorStorageFailure(committed.error()));
  return issued;
}

}  // namespace mxauth::compat
