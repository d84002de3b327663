#include "homeserver/testing/recording_homeserver.h"

#include <utility>

namespace mxauth::test {

using homeserver::HomeserverError;
using homeserver::Upsert;

void RecordingHomeserver::failWith(HomeserverError error) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(error);
}

void RecordingHomeserver::clearFailure() {
  std::lock_guard lock(mutex_);
  failure_.reset();
}

void RecordingHomeserver::markTaken(const std::string& localpart,
                                    homeserver::LocalpartAvailability why) {
  std::lock_guard lock(mutex_);
  taken_[localpart] = why;
}

void RecordingHomeserver::beforeSyncDevices(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  before_sync_devices_ = std::move(hook);
}

void RecordingHomeserver::afterUpsertDevice(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  after_upsert_device_ = std::move(hook);
}

std::vector<std::string> RecordingHomeserver::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

bool RecordingHomeserver::hasUser(const std::string& localpart) const {
  std::lock_guard lock(mutex_);
  return users_.contains(localpart);
}

std::set<std::string> RecordingHomeserver::devices(const std::string& localpart) const {
  std::lock_guard lock(mutex_);
  auto found = users_.find(localpart);
  return found == users_.end() ? std::set<std::string>{} : found->second;
}

std::optional<HomeserverError> RecordingHomeserver::record(std::string call) {
  calls_.push_back(std::move(call));
  return failure_;
}

Result<homeserver::HomeserverUser, HomeserverError> RecordingHomeserver::queryUser(
    std::string_view localpart) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("query_user " + std::string(localpart))) return unexpected(*failure);
  if (!users_.contains(localpart)) {
    return unexpected(HomeserverError{homeserver::HomeserverErrorCode::UnknownUser, 404,
                                      "M_NOT_FOUND", "no such user"});
  }
  homeserver::HomeserverUser user;
  user.user_id = "@" + std::string(localpart) + ":" + server_name_;
  return user;
}

std::optional<homeserver::ProvisionRequest> RecordingHomeserver::lastProvision() const {
  std::lock_guard lock(mutex_);
  return last_provision_;
}

Result<Upsert, HomeserverError> RecordingHomeserver::provisionUser(
    const homeserver::ProvisionRequest& request) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("provision_user " + request.localpart)) return unexpected(*failure);
  last_provision_ = request;
  return users_.try_emplace(request.localpart).second ? Upsert::Created : Upsert::Existed;
}

Result<homeserver::LocalpartAvailability, HomeserverError>
RecordingHomeserver::isLocalpartAvailable(std::string_view localpart) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("is_localpart_available " + std::string(localpart))) {
    return unexpected(*failure);
  }
  if (auto found = taken_.find(localpart); found != taken_.end()) return found->second;
  if (users_.contains(localpart)) return homeserver::LocalpartAvailability::InUse;
  return homeserver::LocalpartAvailability::Available;
}

Result<Upsert, HomeserverError> RecordingHomeserver::upsertDevice(
    std::string_view localpart, std::string_view device_id, const std::optional<std::string>&) {
  Result<Upsert, HomeserverError> result = Upsert::Existed;
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    hook = after_upsert_device_;
    if (auto failure =
            record("upsert_device " + std::string(localpart) + " " + std::string(device_id))) {
      return unexpected(*failure);
    }
    auto user = users_.find(localpart);
    if (user == users_.end()) {
      return unexpected(HomeserverError{homeserver::HomeserverErrorCode::UnknownUser, 404,
                                        "M_NOT_FOUND", "no such user"});
    }
    result = user->second.insert(std::string(device_id)).second ? Upsert::Created : Upsert::Existed;
  }
  if (hook) hook();
  return result;
}

Result<void, HomeserverError> RecordingHomeserver::updateDeviceDisplayName(
    std::string_view localpart, std::string_view device_id, std::string_view) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("update_device_display_name " + std::string(localpart) + " " +
                            std::string(device_id))) {
    return unexpected(*failure);
  }
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::deleteDevice(std::string_view localpart,
                                                                std::string_view device_id) {
  std::lock_guard lock(mutex_);
  if (auto failure =
          record("delete_device " + std::string(localpart) + " " + std::string(device_id))) {
    return unexpected(*failure);
  }
  if (auto user = users_.find(localpart); user != users_.end()) {
    user->second.erase(std::string(device_id));
  }
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::syncDevices(
    std::string_view localpart, const std::vector<std::string>& device_ids) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    hook = before_sync_devices_;
  }
  if (hook) hook();
  std::lock_guard lock(mutex_);
  if (auto failure = record("sync_devices " + std::string(localpart))) return unexpected(*failure);
  users_[std::string(localpart)] = std::set<std::string>(device_ids.begin(), device_ids.end());
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::deleteUser(std::string_view localpart, bool) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("delete_user " + std::string(localpart))) return unexpected(*failure);
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::reactivateUser(std::string_view localpart) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("reactivate_user " + std::string(localpart))) {
    return unexpected(*failure);
  }
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::setDisplayname(std::string_view localpart,
                                                                  std::string_view) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("set_displayname " + std::string(localpart))) {
    return unexpected(*failure);
  }
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::unsetDisplayname(std::string_view localpart) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("unset_displayname " + std::string(localpart))) {
    return unexpected(*failure);
  }
  return {};
}

Result<void, HomeserverError> RecordingHomeserver::allowCrossSigningReset(
    std::string_view localpart) {
  std::lock_guard lock(mutex_);
  if (auto failure = record("allow_cross_signing_reset " + std::string(localpart))) {
    return unexpected(*failure);
  }
  return {};
}

}  // namespace mxauth::test
