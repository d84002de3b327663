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
//   homeserver.reconcile_devices {"after"}: the periodic reconciliation:
//                             queues a sync_devices job for each user of one
//                             page (ids after "after"), and the next page's
//                             reconcile job, so that whatever drifted (a
//                             device removed or added behind our back, a job
//                             lost with an old database) is put right.

#include <chrono>
#include <cstddef>
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
inline constexpr std::string_view kReconcileDevicesJob = "homeserver.reconcile_devices";
// How often the whole user base is reconciled by default.
inline constexpr Duration kDefaultReconcileInterval = std::chrono::hours(6);
// Users per reconcile job.
inline constexpr std::size_t kReconcilePageSize = 200;

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

// Registers the reconcile_devices handler and a periodic task on `runner`
// that, once per `interval` for the whole deployment (it asks the database
// when the last reconciliation was queued, so several instances sharing a
// PostgreSQL database do not each start one), queues the first page's
// job. Nothing is scheduled in stand-alone mode. `rng` must be safe to use
// from the runner's thread.
void scheduleDeviceReconciliation(JobRunner& runner, storage::Database& database, Rng& rng,
                                  const Clock& clock, homeserver::HomeserverConnection& homeserver,
                                  Duration interval = kDefaultReconcileInterval,
                                  std::size_t page_size = kReconcilePageSize);

}  // namespace mxauth::jobs
