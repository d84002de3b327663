#pragma once

// HomeserverConnection over Synapse's /_synapse/mas API (Synapse >= 1.136,
// spec-digest §5.5), authenticated with `Authorization: Bearer
// <matrix.secret>` (§5.2).

#include <functional>
#include <string>
#include <string_view>

#include "homeserver/homeserver_connection.h"
#include "http/client.h"

namespace mxauth::homeserver {

struct SynapseOptions {
  std::string server_name;  // matrix.homeserver
  std::string endpoint;     // matrix.endpoint: the homeserver's internal base URL
  std::string secret;       // matrix.secret
  // Persistent connections by default (HttpClientOptions::keep_alive): a
  // login calls the homeserver once or twice, and every call of its MAS API
  // is an upsert or a query that may be sent again.
  http::HttpClientOptions http = [] {
    http::HttpClientOptions options;
    options.keep_alive = true;
    return options;
  }();
  // Told about every failed call (no answer, or an error status) with the
  // path and what came back, for the operator's log.
  std::function<void(std::string_view message)> log;
};

class SynapseConnection : public HomeserverConnection {
 public:
  explicit SynapseConnection(SynapseOptions options);

  std::string_view serverName() const override { return options_.server_name; }
  bool isConnected() const override { return true; }

  Result<HomeserverUser, HomeserverError> queryUser(std::string_view localpart) override;
  Result<Upsert, HomeserverError> provisionUser(const ProvisionRequest& request) override;
  Result<LocalpartAvailability, HomeserverError> isLocalpartAvailable(
      std::string_view localpart) override;
  Result<Upsert, HomeserverError> upsertDevice(
      std::string_view localpart, std::string_view device_id,
      const std::optional<std::string>& display_name) override;
  Result<void, HomeserverError> updateDeviceDisplayName(std::string_view localpart,
                                                        std::string_view device_id,
                                                        std::string_view display_name) override;
  Result<void, HomeserverError> deleteDevice(std::string_view localpart,
                                             std::string_view device_id) override;
  Result<void, HomeserverError> syncDevices(std::string_view localpart,
                                            const std::vector<std::string>& device_ids) override;
  Result<void, HomeserverError> deleteUser(std::string_view localpart, bool erase) override;
  Result<void, HomeserverError> reactivateUser(std::string_view localpart) override;
  Result<void, HomeserverError> setDisplayname(std::string_view localpart,
                                               std::string_view display_name) override;
  Result<void, HomeserverError> unsetDisplayname(std::string_view localpart) override;
  Result<void, HomeserverError> allowCrossSigningReset(std::string_view localpart) override;

 private:
  // GET (query) or POST (JSON body) to /_synapse/mas/<call>.
  Result<http::OutboundResponse, HomeserverError> call(std::string_view method,
                                                       std::string_view name,
                                                       std::string_view query, std::string body);

  SynapseOptions options_;
  std::string base_;  // endpoint without its trailing slash
  http::HttpClient client_;
};

}  // namespace mxauth::homeserver
