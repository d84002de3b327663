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
//                             It never takes away a live session's device:
//                             see "Device sync and logins" below.
//   homeserver.provision_user {"user_id"[, "display_name": true]}: create
//                             or update the user on the homeserver (after
//                             registration; lock state; the verified e-mail
//                             addresses, as set_emails, or unset_emails
//                             when there are none). With "display_name",
//                             also the display name chosen on the profile
//                             page as it is when the job runs
//                             (set_displayname, or unset_displayname when
//                             cleared); without it the homeserver's
//                             display name is left alone.
//   homeserver.delete_device  {"user_id", "device_id"}: remove one device
//                             of an ended session from the homeserver at
//                             once (the account's sessions page), under
//                             the same rules as sync_devices (R3).
//   homeserver.delete_user    {"user_id", "erase"}: deactivate the user on
//                             the homeserver (delete_user), erasing their
//                             data when asked (after a deactivation on the
//                             account pages); the homeserver drops the
//                             user's devices with it.
//   homeserver.reconcile_devices {"after"}: the periodic reconciliation:
//                             queues a sync_devices job for each user of one
//                             page (ids after "after"), and the next page's
//                             reconcile job, so that whatever drifted (a
//                             device removed or added behind our back, a job
//                             lost with an old database) is put right.
//
// Device sync and logins. A login puts its device on the homeserver
// (upsert_device) before it answers, outside any transaction, and a sync
// sends the homeserver a device list it read from the database earlier, so
// without care a sync could delete a device that a login provisioned in
// between: the user would hold a token for a device the homeserver no
// longer knows. Holding a lock or a transaction across the homeserver call
// would serialise them, at the price of database locks held for a network
// round trip. Instead, three rules make it race-free, on one instance or
// several sharing a PostgreSQL database:
//
//   R1. A device is *held* while an active session has it or a
//       reservation (storage/device_reservation_repository.h) names it. A
//       login makes its device held, and commits that, BEFORE it calls
//       upsert_device, and keeps it held without a gap: either its session
//       already exists (the authorization code grant: the session is
//       created at consent), or it commits a reservation (reserveDevice())
//       and consumes it in the transaction that adds the session (legacy
//       login, operator token, device code grant); a login whose
//       reservation is gone (purged as expired) fails and commits nothing.
//   R2. The sync reads the held devices in one statement (one snapshot),
//       sends that list, and, once the homeserver has answered, reads them
//       again. If the set changed it sends the new list and reads again
//       (up to kMaxSyncRounds calls), and finishes only when a read after
//       its call equals the list that call sent.
//   R3. Only sync_devices and delete_device delete devices on the
//       homeserver. delete_device follows R2 for its one device: it deletes
//       only a device it read as not held, then reads again, and if the
//       device became held in between it puts it back (upsert_device).
//
// Why no live device is lost: take a device D held at the end, the instant
// it last became held, and the last sync_devices call the homeserver
// applied, by some job J with list L, followed by J's read H == L. If D
// became held before that read, D is in H == L, so the call kept (or
// re-created) D. If after, D's upsert_device was sent after that instant
// (R1), so after the call was answered: the homeserver applied the upsert
// after the last sync, and nothing else deletes (R3). Conversely, every
// session end queues a sync job in its own transaction; that job's calls
// come after the end, so the last call applied is followed by a read after
// the end, whose list lacks the ended session's device: a racing older sync
// cannot leave it behind. A job whose instance died after its call never
// reads again, but it runs again once its lease (longer than a homeserver
// call may take) runs out, so its call is not the last one applied. A job
// that gives up after kMaxSyncRounds calls (the user's devices kept
// changing) first upserts each device of its last read that its last call
// did not send (upserts delete nothing), then fails and is retried.

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
inline constexpr std::string_view kDeleteUserJob = "homeserver.delete_user";
// Reactivates a deactivated user on the homeserver (reactivate_user).
inline constexpr std::string_view kReactivateUserJob = "homeserver.reactivate_user";
inline constexpr std::string_view kDeleteDeviceJob = "homeserver.delete_device";
// How often the whole user base is reconciled by default.
inline constexpr Duration kDefaultReconcileInterval = std::chrono::hours(6);
// Users per reconcile job.
inline constexpr std::size_t kReconcilePageSize = 200;
// How long a login's device reservation lasts before a sync may purge it:
// far longer than a login takes (its homeserver calls have deadlines of
// seconds), so that only a login that died or failed loses it.
inline constexpr Duration kDeviceReservationTtl = std::chrono::minutes(10);
// How many lists one sync_devices job sends while the user's devices keep
// changing under it, before it gives up until its retry (R2 above).
inline constexpr int kMaxSyncRounds = 5;

Result<void, storage::StorageError> enqueueDeviceSync(storage::Transaction& tx, Rng& rng,
                                                      const Clock& clock,
                                                      const domain::UserId& user);
Result<void, storage::StorageError> enqueueUserProvisioning(storage::Transaction& tx, Rng& rng,
                                                            const Clock& clock,
                                                            const domain::UserId& user);
// provision_user with "display_name": the homeserver gets the stored
// display name (or loses its own when none is stored).
Result<void, storage::StorageError> enqueueDisplayNameProvisioning(storage::Transaction& tx,
                                                                   Rng& rng, const Clock& clock,
                                                                   const domain::UserId& user);
// delete_device for one device of `user` whose session ended in `tx`.
Result<void, storage::StorageError> enqueueDeviceDeletion(storage::Transaction& tx, Rng& rng,
                                                          const Clock& clock,
                                                          const domain::UserId& user,
                                                          std::string_view device_id);
Result<void, storage::StorageError> enqueueUserDeletion(storage::Transaction& tx, Rng& rng,
                                                        const Clock& clock,
                                                        const domain::UserId& user, bool erase);
Result<void, storage::StorageError> enqueueUserReactivation(storage::Transaction& tx, Rng& rng,
                                                            const Clock& clock,
                                                            const domain::UserId& user);

// R1 above: commits a reservation of `device_id` for `user`, lasting
// kDeviceReservationTtl, in a transaction of its own. Call it before
// upsert_device; consume the answer (tx.deviceReservations().consume()) in
// the transaction that adds the session, and commit the session only if
// that answers true.
Result<domain::DeviceReservationId, storage::StorageError> reserveDevice(
    storage::Database& database, Rng& rng, const Clock& clock, const domain::UserId& user,
    std::string_view device_id);

// For a login that gives up after reserveDevice() (the homeserver refused
// or could not be reached): drops the reservation, so that the next sync
// removes the device from the homeserver if the upsert got there after
// all, instead of keeping it until the reservation expires. Best effort:
// a reservation left behind still expires.
void releaseDevice(storage::Database& database, const domain::DeviceReservationId& reservation);

// Registers the handlers of sync_devices, provision_user, delete_user and
// delete_device on `runner`. In stand-alone mode
// (`homeserver.isConnected()` false) they finish at once. `clock` decides
// which reservations have expired.
void registerHomeserverJobs(JobRunner& runner, storage::Database& database, const Clock& clock,
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
