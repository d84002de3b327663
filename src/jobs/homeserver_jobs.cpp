#include "jobs/homeserver_jobs.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mxauth::jobs {
namespace {

std::string userPayload(const domain::UserId& user) {
  return boost::json::serialize(boost::json::object{{"user_id", user.str()}});
}

std::optional<domain::UserId> userOf(const domain::Job& job) {
  boost::system::error_code ec;
  const boost::json::value payload = boost::json::parse(job.payload, ec);
  if (ec || !payload.is_object()) return std::nullopt;
  const auto* user = payload.as_object().if_contains("user_id");
  if (user == nullptr || !user->is_string()) return std::nullopt;
  return domain::UserId(std::string(user->as_string()));
}

// A boolean member of the payload; false when absent.
bool flagOf(const domain::Job& job, std::string_view name) {
  boost::system::error_code ec;
  const boost::json::value payload = boost::json::parse(job.payload, ec);
  if (ec || !payload.is_object()) return false;
  const auto* flag = payload.as_object().if_contains(name);
  return flag != nullptr && flag->is_bool() && flag->as_bool();
}

// The "device_id" member of a delete_device job.
std::optional<std::string> deviceOf(const domain::Job& job) {
  boost::system::error_code ec;
  const boost::json::value payload = boost::json::parse(job.payload, ec);
  if (ec || !payload.is_object()) return std::nullopt;
  const auto* device = payload.as_object().if_contains("device_id");
  if (device == nullptr || !device->is_string() || device->as_string().empty()) {
    return std::nullopt;
  }
  return std::string(device->as_string());
}

std::string describe(const homeserver::HomeserverError& error) {
  return std::string(homeserver::toString(error.code)) + ": " + error.message;
}

// The user's localpart, lock state, display name and verified e-mail
// addresses.
struct UserState {
  std::string localpart;
  bool locked = false;
  std::optional<std::string> display_name;
  std::vector<std::string> emails;
};

Result<std::optional<UserState>, std::string> readUser(storage::Database& database,
                                                       const domain::UserId& id) {
  auto tx = database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(tx.error().detail);
  auto user = (*tx)->users().lookup(id);
  if (!user) return unexpected(user.error().detail);
  if (!*user) return std::optional<UserState>();
  auto emails = (*tx)->userEmails().listForUser(id);
  if (!emails) return unexpected(emails.error().detail);
  UserState state{(*user)->localpart, (*user)->isLocked(), (*user)->display_name, {}};
  for (const domain::UserEmail& email : *emails) {
    if (email.isConfirmed()) state.emails.push_back(email.address);
  }
  return std::optional<UserState>(std::move(state));
}

// The devices the homeserver must keep for `id` (R2 in the header: one
// statement, one snapshot).
Result<std::vector<std::string>, std::string> readHeldDevices(storage::Database& database,
                                                              const domain::UserId& id) {
  auto tx = database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(tx.error().detail);
  auto devices = (*tx)->deviceReservations().heldDeviceIds(id);
  if (!devices) return unexpected(devices.error().detail);
  return std::move(*devices);
}

Result<void, std::string> purgeExpiredReservations(storage::Database& database, const Clock& clock,
                                                   const domain::UserId& id) {
  auto tx = database.begin();
  if (!tx) return unexpected(tx.error().detail);
  auto purged = (*tx)->deviceReservations().purgeExpired(id, clock.now());
  if (!purged) return unexpected(purged.error().detail);
  if (*purged == 0) return {};
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(committed.error().detail);
  return {};
}

// The sync_devices job (R2, R3 in the header).
Result<void, std::string> syncDevices(storage::Database& database, const Clock& clock,
                                      homeserver::HomeserverConnection& homeserver,
                                      const domain::UserId& id) {
  auto user = readUser(database, id);
  if (!user) return unexpected(std::move(user).error());
  if (!*user) return {};  // the user is gone
  const std::string& localpart = (*user)->localpart;
  auto purged = purgeExpiredReservations(database, clock, id);
  if (!purged) return purged;
  auto held = readHeldDevices(database, id);
  if (!held) return unexpected(std::move(held).error());
  for (int round = 1;; ++round) {
    auto synced = homeserver.syncDevices(localpart, *held);
    if (!synced) {
      // Not on the homeserver yet: it has no devices to forget.
      if (synced.error().code == homeserver::HomeserverErrorCode::UnknownUser) return {};
      return unexpected(describe(synced.error()));
    }
    // Read again only now that the homeserver has answered: a device that
    // becomes held after this read is upserted after our call (R1).
    auto after = readHeldDevices(database, id);
    if (!after) return unexpected(std::move(after).error());
    if (*after == *held) return {};
    if (round == kMaxSyncRounds) {
      // Still changing. Whatever our last call may have deleted comes back
      // (upserts delete nothing), and the retry syncs again.
      for (const std::string& device : *after) {
        if (std::find(held->begin(), held->end(), device) != held->end()) continue;
        auto upserted = homeserver.upsertDevice(localpart, device, std::nullopt);
        if (!upserted) return unexpected(describe(upserted.error()));
      }
      return unexpected("the devices of " + localpart + " kept changing during " +
                        std::to_string(kMaxSyncRounds) + " syncs; retrying");
    }
    held = std::move(after);
  }
}

// The delete_device job (R3 in the header).
Result<void, std::string> deleteDevice(storage::Database& database, const Clock& clock,
                                       homeserver::HomeserverConnection& homeserver,
                                       const domain::UserId& id, const std::string& device) {
  auto user = readUser(database, id);
  if (!user) return unexpected(std::move(user).error());
  if (!*user) return {};
  const std::string& localpart = (*user)->localpart;
  auto purged = purgeExpiredReservations(database, clock, id);
  if (!purged) return purged;
  const auto isHeld = [&]() -> Result<bool, std::string> {
    auto held = readHeldDevices(database, id);
    if (!held) return unexpected(std::move(held).error());
    return std::find(held->begin(), held->end(), device) != held->end();
  };
  auto before = isHeld();
  if (!before) return unexpected(std::move(before).error());
  // A live session (a new login that chose the same device id) has it.
  if (*before) return {};
  auto deleted = homeserver.deleteDevice(localpart, device);
  if (!deleted) {
    if (deleted.error().code == homeserver::HomeserverErrorCode::UnknownUser) return {};
    return unexpected(describe(deleted.error()));
  }
  auto after = isHeld();
  if (!after) return unexpected(std::move(after).error());
  if (!*after) return {};
  // Held again since the first read: its upsert may have come before our
  // delete, so it goes back (upserts delete nothing).
  auto restored = homeserver.upsertDevice(localpart, device, std::nullopt);
  if (!restored) return unexpected(describe(restored.error()));
  return {};
}

}  // namespace

Result<void, storage::StorageError> enqueueDeviceSync(storage::Transaction& tx, Rng& rng,
                                                      const Clock& clock,
                                                      const domain::UserId& user) {
  auto added = tx.jobs().add(rng, clock, kSyncDevicesJob, userPayload(user), clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<void, storage::StorageError> enqueueUserProvisioning(storage::Transaction& tx, Rng& rng,
                                                            const Clock& clock,
                                                            const domain::UserId& user) {
  auto added = tx.jobs().add(rng, clock, kProvisionUserJob, userPayload(user), clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<void, storage::StorageError> enqueueDisplayNameProvisioning(storage::Transaction& tx,
                                                                   Rng& rng, const Clock& clock,
                                                                   const domain::UserId& user) {
  const std::string payload =
      boost::json::serialize(boost::json::object{{"user_id", user.str()}, {"display_name", true}});
  auto added = tx.jobs().add(rng, clock, kProvisionUserJob, payload, clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<void, storage::StorageError> enqueueDeviceDeletion(storage::Transaction& tx, Rng& rng,
                                                          const Clock& clock,
                                                          const domain::UserId& user,
                                                          std::string_view device_id) {
  const std::string payload = boost::json::serialize(
      boost::json::object{{"user_id", user.str()}, {"device_id", device_id}});
  auto added = tx.jobs().add(rng, clock, kDeleteDeviceJob, payload, clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<void, storage::StorageError> enqueueUserDeletion(storage::Transaction& tx, Rng& rng,
                                                        const Clock& clock,
                                                        const domain::UserId& user, bool erase) {
  const std::string payload =
      boost::json::serialize(boost::json::object{{"user_id", user.str()}, {"erase", erase}});
  auto added = tx.jobs().add(rng, clock, kDeleteUserJob, payload, clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<void, storage::StorageError> enqueueUserReactivation(storage::Transaction& tx, Rng& rng,
                                                            const Clock& clock,
                                                            const domain::UserId& user) {
  auto added = tx.jobs().add(rng, clock, kReactivateUserJob, userPayload(user), clock.now());
  if (!added) return unexpected(std::move(added).error());
  return {};
}

Result<domain::DeviceReservationId, storage::StorageError> reserveDevice(
    storage::Database& database, Rng& rng, const Clock& clock, const domain::UserId& user,
    std::string_view device_id) {
  auto tx = database.begin();
  if (!tx) return unexpected(std::move(tx).error());
  auto reserved = (*tx)->deviceReservations().add(rng, clock, user, device_id,
                                                  clock.now() + kDeviceReservationTtl);
  if (!reserved) return unexpected(std::move(reserved).error());
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(std::move(committed).error());
  return std::move(*reserved);
}

void releaseDevice(storage::Database& database, const domain::DeviceReservationId& reservation) {
  auto tx = database.begin();
  if (!tx) return;
  if (!(*tx)->deviceReservations().consume(reservation)) return;
  static_cast<void>((*tx)->commit());
}

void registerHomeserverJobs(JobRunner& runner, storage::Database& database, const Clock& clock,
                            homeserver::HomeserverConnection& homeserver) {
  runner.handle(
      std::string(kSyncDevicesJob),
      [&database, &clock, &homeserver](const domain::Job& job) -> Result<void, std::string> {
        if (!homeserver.isConnected()) return {};
        const auto id = userOf(job);
        if (!id) return {};  // nothing we could ever do: drop it
        return syncDevices(database, clock, homeserver, *id);
      });
  runner.handle(std::string(kProvisionUserJob),
                [&database, &homeserver](const domain::Job& job) -> Result<void, std::string> {
                  if (!homeserver.isConnected()) return {};
                  const auto id = userOf(job);
                  if (!id) return {};
                  auto user = readUser(database, *id);
                  if (!user) return unexpected(std::move(user).error());
                  if (!*user) return {};
                  homeserver::ProvisionRequest request;
                  request.localpart = (*user)->localpart;
                  request.locked = (*user)->locked;
                  if (flagOf(job, "display_name")) {
                    request.set_displayname = (*user)->display_name;
                    request.unset_displayname = !(*user)->display_name.has_value();
                  }
                  // The verified addresses, so that the homeserver's
                  // threepids follow the account pages (spec-digest §5.5).
                  if ((*user)->emails.empty()) {
                    request.unset_emails = true;
                  } else {
                    request.set_emails = (*user)->emails;
                  }
                  auto provisioned = homeserver.provisionUser(request);
                  if (!provisioned) return unexpected(describe(provisioned.error()));
                  return {};
                });
  runner.handle(std::string(kDeleteUserJob),
                [&database, &homeserver](const domain::Job& job) -> Result<void, std::string> {
                  if (!homeserver.isConnected()) return {};
                  const auto id = userOf(job);
                  if (!id) return {};
                  auto user = readUser(database, *id);
                  if (!user) return unexpected(std::move(user).error());
                  if (!*user) return {};
                  auto deleted = homeserver.deleteUser((*user)->localpart, flagOf(job, "erase"));
                  if (!deleted) {
                    // Never provisioned: there is nothing to deactivate.
                    if (deleted.error().code == homeserver::HomeserverErrorCode::UnknownUser) {
                      return {};
                    }
                    return unexpected(describe(deleted.error()));
                  }
                  return {};
                });
  runner.handle(std::string(kReactivateUserJob),
                [&database, &homeserver](const domain::Job& job) -> Result<void, std::string> {
                  if (!homeserver.isConnected()) return {};
                  const auto id = userOf(job);
                  if (!id) return {};
                  auto user = readUser(database, *id);
                  if (!user) return unexpected(std::move(user).error());
                  if (!*user) return {};
                  auto reactivated = homeserver.reactivateUser((*user)->localpart);
                  if (!reactivated) {
                    // Never provisioned: the next login provisions it.
                    if (reactivated.error().code == homeserver::HomeserverErrorCode::UnknownUser) {
                      return {};
                    }
                    return unexpected(describe(reactivated.error()));
                  }
                  return {};
                });
  runner.handle(
      std::string(kDeleteDeviceJob),
      [&database, &clock, &homeserver](const domain::Job& job) -> Result<void, std::string> {
        if (!homeserver.isConnected()) return {};
        const auto id = userOf(job);
        const auto device = deviceOf(job);
        if (!id || !device) return {};
        return deleteDevice(database, clock, homeserver, *id, *device);
      });
}

void scheduleDeviceReconciliation(JobRunner& runner, storage::Database& database, Rng& rng,
                                  const Clock& clock, homeserver::HomeserverConnection& homeserver,
                                  Duration interval, std::size_t page_size) {
  if (!homeserver.isConnected()) return;
  runner.handle(
      std::string(kReconcileDevicesJob),
      [&database, &rng, &clock, page_size](const domain::Job& job) -> Result<void, std::string> {
        storage::Page page;
        page.limit = page_size;
        boost::system::error_code ec;
        const boost::json::value payload = boost::json::parse(job.payload, ec);
        if (!ec && payload.is_object()) {
          const auto* after = payload.as_object().if_contains("after");
          if (after != nullptr && after->is_string() && !after->as_string().empty()) {
            page.after = std::string(after->as_string());
          }
        }
        auto tx = database.begin();
        if (!tx) return unexpected(tx.error().detail);
        auto users = (*tx)->users().list(page);
        if (!users) return unexpected(users.error().detail);
        for (const domain::User& user : *users) {
          auto queued = enqueueDeviceSync(**tx, rng, clock, user.id);
          if (!queued) return unexpected(queued.error().detail);
        }
        if (users->size() == page.limit) {
          auto next = (*tx)->jobs().add(
              rng, clock, kReconcileDevicesJob,
              boost::json::serialize(boost::json::object{{"after", users->back().id.str()}}),
              clock.now());
          if (!next) return unexpected(next.error().detail);
        }
        auto committed = (*tx)->commit();
        if (!committed) return unexpected(committed.error().detail);
        return {};
      });
  runner.every(interval, "device reconciliation",
               [&database, &rng, &clock, interval]() -> Result<void, std::string> {
                 auto tx = database.begin();
                 if (!tx) return unexpected(tx.error().detail);
                 auto last = (*tx)->jobs().lastAddedAt(kReconcileDevicesJob);
                 if (!last) return unexpected(last.error().detail);
                 // Another instance (or this one before a restart) started
                 // one recently enough.
                 if (*last && clock.now() - **last < interval) return {};
                 auto added = (*tx)->jobs().add(rng, clock, kReconcileDevicesJob, R"({"after":""})",
                                                clock.now());
                 if (!added) return unexpected(added.error().detail);
                 auto committed = (*tx)->commit();
                 if (!committed) return unexpected(committed.error().detail);
                 return {};
               });
}

}  // namespace mxauth::jobs
