#pragma once

// An in-memory HomeserverConnection for unit tests: it records every call
// and can be told to fail the next calls, to prove what mxauth does when the
// homeserver refuses or is down. Integration and end-to-end tests use the
// Synapse double (tests/synapse_double) over real HTTP instead.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "homeserver/homeserver_connection.h"

namespace mxauth::test {

class RecordingHomeserver : public homeserver::HomeserverConnection {
 public:
  explicit RecordingHomeserver(std::string server_name = "example.com")
      : server_name_(std::move(server_name)) {}

  // Every call fails with `error` until clearFailure().
  void failWith(homeserver::HomeserverError error);
  void clearFailure();
  // Localparts is_localpart_available reports as taken.
  void markTaken(const std::string& localpart, homeserver::LocalpartAvailability why);
  // Runs `hook` at the start of every sync_devices call, before the call
  // takes effect, until replaced (an empty function removes it). It runs
  // outside the double's lock, so it may call the double: a test puts a
  // login there, between a device sync's read of the database and its call.
  void beforeSyncDevices(std::function<void()> hook);
  // Runs `hook` after every upsert_device call has taken effect, likewise:
  // what runs there runs while a login is between putting its device on the
  // homeserver and committing its session.
  void afterUpsertDevice(std::function<void()> hook);

  // "name localpart[ device]" for each call, in order.
  std::vector<std::string> calls() const;
  bool hasUser(const std::string& localpart) const;
  // The request of the last provision_user call, if any.
  std::optional<homeserver::ProvisionRequest> lastProvision() const;
  std::set<std::string> devices(const std::string& localpart) const;

  std::string_view serverName() const override { return server_name_; }
  bool isConnected() const override { return true; }
  Result<homeserver::HomeserverUser, homeserver::HomeserverError> queryUser(
      std::string_view localpart) override;
  Result<homeserver::Upsert, homeserver::HomeserverError> provisionUser(
      const homeserver::ProvisionRequest& request) override;
  Result<homeserver::LocalpartAvailability, homeserver::HomeserverError> isLocalpartAvailable(
      std::string_view localpart) override;
  Result<homeserver::Upsert, homeserver::HomeserverError> upsertDevice(
      std::string_view localpart, std::string_view device_id,
      const std::optional<std::string>& display_name) override;
  Result<void, homeserver::HomeserverError> updateDeviceDisplayName(
      std::string_view localpart, std::string_view device_id,
      std::string_view display_name) override;
  Result<void, homeserver::HomeserverError> deleteDevice(std::string_view localpart,
                                                         std::string_view device_id) override;
  Result<void, homeserver::HomeserverError> syncDevices(
      std::string_view localpart, const std::vector<std::string>& device_ids) override;
  Result<void, homeserver::HomeserverError> deleteUser(std::string_view localpart,
                                                       bool erase) override;
  Result<void, homeserver::HomeserverError> reactivateUser(std::string_view localpart) override;
  Result<void, homeserver::HomeserverError> setDisplayname(std::string_view localpart,
                                                           std::string_view display_name) override;
  Result<void, homeserver::HomeserverError> unsetDisplayname(std::string_view localpart) override;
  Result<void, homeserver::HomeserverError> allowCrossSigningReset(
      std::string_view localpart) override;

 private:
  // Records the call; the injected failure, if any.
  std::optional<homeserver::HomeserverError> record(std::string call);

  std::string server_name_;
  mutable std::mutex mutex_;
  std::optional<homeserver::HomeserverError> failure_;
  std::function<void()> before_sync_devices_;
  std::function<void()> after_upsert_device_;
  std::vector<std::string> calls_;
  std::optional<homeserver::ProvisionRequest> last_provision_;
  std::map<std::string, std::set<std::string>, std::less<>> users_;  // localpart → devices
  std::map<std::string, homeserver::LocalpartAvailability, std::less<>> taken_;
};

}  // namespace mxauth::test
