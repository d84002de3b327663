#pragma once

// What mxauth asks of the homeserver (Synapse's /_synapse/mas API,
// spec-digest §5.5). The composition root picks SynapseConnection when
// `matrix.endpoint` is set, StandaloneConnection otherwise.
//
// Calls are synchronous and may take up to the client's timeout: run them
// from the blocking worker pool, and never while holding a database
// transaction (on SQLite that would hold the write lock across a network
// round trip). Every call is idempotent, so a caller may retry it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace mxauth::homeserver {

enum class HomeserverErrorCode {
  // No answer: refused connection, timeout, DNS failure.
  Unreachable,
  // The homeserver refused our shared secret (403 M_FORBIDDEN).
  Forbidden,
  // The user does not exist on the homeserver (404).
  UnknownUser,
  // The homeserver refused the request's content (other 4xx).
  Rejected,
  // A 5xx, or an answer we cannot read.
  Failed,
};

struct HomeserverError {
  HomeserverErrorCode code = HomeserverErrorCode::Failed;
  int status = 0;       // the HTTP status, 0 when there was no answer
  std::string errcode;  // the Matrix errcode when the body had one
  std::string message;  // for operators' logs: what was called and what came back
};

std::string_view toString(HomeserverErrorCode code);

// GET query_user.
struct HomeserverUser {
  std::string user_id;
  std::optional<std::string> display_name;
  std::optional<std::string> avatar_url;
  bool is_suspended = false;
  bool is_deactivated = false;
};

// POST provision_user. Unset optionals are left alone on the homeserver.
struct ProvisionRequest {
  std::string localpart;
  std::optional<std::string> set_displayname;
  bool unset_displayname = false;
  std::optional<std::vector<std::string>> set_emails;
  bool unset_emails = false;
  std::optional<bool> locked;
};

enum class LocalpartAvailability {
  Available,
  InUse,      // M_USER_IN_USE (also a case-insensitive clash)
  Invalid,    // M_INVALID_USERNAME
  Exclusive,  // M_EXCLUSIVE: an application service owns the namespace
};

enum class Upsert { Created, Existed };

class HomeserverConnection {
 public:
  virtual ~HomeserverConnection() = default;

  // matrix.homeserver, the server name in user ids.
  virtual std::string_view serverName() const = 0;
  // False in stand-alone mode: nothing is sent anywhere.
  virtual bool isConnected() const = 0;

  virtual Result<HomeserverUser, HomeserverError> queryUser(std::string_view localpart) = 0;
  virtual Result<Upsert, HomeserverError> provisionUser(const ProvisionRequest& request) = 0;
  virtual Result<LocalpartAvailability, HomeserverError> isLocalpartAvailable(
      std::string_view localpart) = 0;
  virtual Result<Upsert, HomeserverError> upsertDevice(
      std::string_view localpart, std::string_view device_id,
      const std::optional<std::string>& display_name) = 0;
  virtual Result<void, HomeserverError> updateDeviceDisplayName(std::string_view localpart,
                                                                std::string_view device_id,
                                                                std::string_view display_name) = 0;
  virtual Result<void, HomeserverError> deleteDevice(std::string_view localpart,
                                                     std::string_view device_id) = 0;
  // Makes the homeserver's device list of the user exactly `device_ids`.
  virtual Result<void, HomeserverError> syncDevices(std::string_view localpart,
                                                    const std::vector<std::string>& device_ids) = 0;
  virtual Result<void, HomeserverError> deleteUser(std::string_view localpart, bool erase) = 0;
  virtual Result<void, HomeserverError> reactivateUser(std::string_view localpart) = 0;
  virtual Result<void, HomeserverError> setDisplayname(std::string_view localpart,
                                                       std::string_view display_name) = 0;
  virtual Result<void, HomeserverError> unsetDisplayname(std::string_view localpart) = 0;
  // Lets the user replace their cross-signing keys without UIA for 10 minutes.
  virtual Result<void, HomeserverError> allowCrossSigningReset(std::string_view localpart) = 0;
};

}  // namespace mxauth::homeserver
