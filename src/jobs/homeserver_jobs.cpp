#include "jobs/homeserver_jobs.h"

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

std::string describe(const homeserver::HomeserverError& error) {
  return std::string(homeserver::toString(error.code)) + ": " + error.message;
}

// The user's localpart and the devices of their active sessions.
struct UserDevices {
  std::string localpart;
  std::vector<std::string> devices;
  bool locked = false;
};

Result<std::optional<UserDevices>, std::string> readUser(storage::Database& database,
                                                         const domain::UserId& id,
                                                         bool with_devices) {
  auto tx = database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(tx.error().detail);
  auto user = (*tx)->users().lookup(id);
  if (!user) return unexpected(user.error().detail);
  if (!*user) return std::optional<UserDevices>();
  UserDevices found;
  found.localpart = (*user)->localpart;
  found.locked = (*user)->isLocked();
  if (with_devices) {
    auto devices = (*tx)->oauthSessions().activeDeviceIds(id);
    if (!devices) return unexpected(devices.error().detail);
    found.devices = std::move(*devices);
  }
  return std::optional<UserDevices>(std::move(found));
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

void registerHomeserverJobs(JobRunner& runner, storage::Database& database,
                            homeserver::HomeserverConnection& homeserver) {
  runner.handle(std::string(kSyncDevicesJob),
                [&database, &homeserver](const domain::Job& job) -> Result<void, std::string> {
                  if (!homeserver.isConnected()) return {};
                  const auto id = userOf(job);
                  if (!id) return {};  // nothing we could ever do: drop it
                  auto user = readUser(database, *id, true);
                  if (!user) return unexpected(std::move(user).error());
                  if (!*user) return {};  // the user is gone
                  auto synced = homeserver.syncDevices((*user)->localpart, (*user)->devices);
                  if (!synced) {
                    // Not on the homeserver yet: it has no devices to forget.
                    if (synced.error().code == homeserver::HomeserverErrorCode::UnknownUser) {
                      return {};
                    }
                    return unexpected(describe(synced.error()));
                  }
                  return {};
                });
  runner.handle(std::string(kProvisionUserJob),
                [&database, &homeserver](const domain::Job& job) -> Result<void, std::string> {
                  if (!homeserver.isConnected()) return {};
                  const auto id = userOf(job);
                  if (!id) return {};
                  auto user = readUser(database, *id, false);
                  if (!user) return unexpected(std::move(user).error());
                  if (!*user) return {};
                  homeserver::ProvisionRequest request;
                  request.localpart = (*user)->localpart;
                  request.locked = (*user)->locked;
                  auto provisioned = homeserver.provisionUser(request);
                  if (!provisioned) return unexpected(describe(provisioned.error()));
                  return {};
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
