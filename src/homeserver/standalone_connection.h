#pragma once

// HomeserverConnection for stand-alone mode (`matrix.endpoint` empty), for
// trying mxauth out without a homeserver: every call succeeds and nothing is
// sent anywhere. Every localpart is available, and queryUser answers an
// active user with no profile.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "homeserver/homeserver_connection.h"

namespace mxauth::homeserver {

class StandaloneConnection : public HomeserverConnection {
 public:
  explicit StandaloneConnection(std::string server_name) : server_name_(std::move(server_name)) {}

  std::string_view serverName() const override { return server_name_; }
  bool isConnected() const override { return false; }

  Result<HomeserverUser, HomeserverError> queryUser(std::string_view localpart) override {
    HomeserverUser user;
    user.user_id = "@" + std::string(localpart) + ":" + server_name_;
    return user;
  }
  Result<Upsert, HomeserverError> provisionUser(const ProvisionRequest&) override {
    return Upsert::Existed;
  }
  Result<LocalpartAvailability, HomeserverError> isLocalpartAvailable(std::string_view) override {
    return LocalpartAvailability::Available;
  }
  Result<Upsert, HomeserverError> upsertDevice(std::string_view, std::string_view,
                                               const std::optional<std::string>&) override {
    return Upsert::Existed;
  }
  Result<void, HomeserverError> updateDeviceDisplayName(std::string_view, std::string_view,
                                                        std::string_view) override {
    return {};
  }
  Result<void, HomeserverError> deleteDevice(std::string_view, std::string_view) override {
    return {};
  }
  Result<void, HomeserverError> syncDevices(std::string_view,
                                            const std::vector<std::string>&) override {
    return {};
  }
  Result<void, HomeserverError> deleteUser(std::string_view, bool) override { return {}; }
  Result<void, HomeserverError> reactivateUser(std::string_view) override { return {}; }
  Result<void, HomeserverError> setDisplayname(std::string_view, std::string_view) override {
    return {};
  }
  Result<void, HomeserverError> unsetDisplayname(std::string_view) override { return {}; }
  Result<void, HomeserverError> allowCrossSigningReset(std::string_view) override { return {}; }

 private:
  std::string server_name_;
};

}  // namespace mxauth::homeserver
