#pragma once

// The homeserver work that may happen after the request that caused it
// (spec-digest §5.5, §5.7): each is enqueued in the same transaction as the
// change behind it and run by the JobRunner with the HomeserverConnection.
//
//   homeserver.sync_devices   {"user_id"}: make the homeserver's devices of
//                             the user exactly the devices of their active
//                             sessions (after a logout, a revocation, a
//                             session that ended); the homeserver then
//                             refuses the dead devices' tokens at once.
//   homeserver.provision_user {"user_id"}: create or update the user on the
//                             homeserver (after registration; lock state).

#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "homeserver/homeserver_connection.h"
#include "jobs/job_runner.h"
#include "storage/database.h"
#include "storage/transaction.h"

namespace mxauth::jobs {

inline constexpr std::string_view kSyncDevicesJob = "homeserver.sync_devices";
inline constexpr std::string_view kProvisionUserJob = "homeserver.provision_user";

Result<void, storage::StorageError> enqueueDeviceSync(storage::Transaction& tx, Rng& rng,
                                                      const Clock& clock,
                                                      const domain::UserId& user);
Result<void, storage::StorageError> enqueueUserProvisioning(storage::Transaction& tx, Rng& rng,
                                                            const Clock& clock,
                                                            const domain::UserId& user);

// Registers the handlers of both kinds on `runner`. In stand-alone mode
// (`homeserver.isConnected()` false) they finish at once.
void registerHomeserverJobs(JobRunner& runner, storage::Database& database,
                            homeserver::HomeserverConnection& homeserver);

}  // namespace mxauth::jobs
