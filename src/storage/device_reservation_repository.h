#pragma once

// Device reservations: what keeps a device that a login is putting on the
// homeserver from being taken away by a device sync before the login's
// session is committed (jobs/homeserver_jobs.h has the whole argument).
//
// A login that creates its session after provisioning the device (a legacy
// login, an operator token, the device code grant) first commits a
// reservation of (user, device), then calls the homeserver, then consumes
// the reservation in the transaction that adds the session, so that from
// before the homeserver call until the session ends the device is always
// either reserved or held by an active session. The device sync sends the
// homeserver heldDeviceIds(): the devices of active sessions AND of
// reservations.
//
// Every backend honours this contract, and storage/testing/ checks it:
//  - add() gives each reservation a new id; Constraint for an unknown user;
//  - consume() is single use: true once, then false (also once purged);
//  - heldDeviceIds() reads in ONE statement, so that a login committing
//    between its parts cannot hide the device (PostgreSQL's READ COMMITTED
//    gives each statement its own snapshot); a reservation counts until it
//    is consumed or purged, expired or not, so the answer does not depend
//    on any instance's clock;
//  - purgeExpired() deletes the user's reservations whose expires_at is at
//    or before `now` (a login that never committed: crashed, refused), and
//    answers how many; the login whose reservation it was then fails to
//    consume it and must not commit its session;
//  - reservations go with their user.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

class DeviceReservationRepository {
 public:
  virtual ~DeviceReservationRepository() = default;

  virtual Result<domain::DeviceReservationId, StorageError> add(Rng& rng, const Clock& clock,
                                                                const domain::UserId& user,
                                                                std::string_view device_id,
                                                                Timestamp expires_at) = 0;
  // Deletes the reservation; false when it was already consumed or purged.
  virtual Result<bool, StorageError> consume(const domain::DeviceReservationId& id) = 0;
  // The distinct device ids the homeserver must keep for `user`, sorted:
  // those of their active OAuth sessions (with a device), of their active
  // compat sessions, and of their reservations.
  virtual Result<std::vector<std::string>, StorageError> heldDeviceIds(
      const domain::UserId& user) = 0;
  virtual Result<std::int64_t, StorageError> purgeExpired(const domain::UserId& user,
                                                          Timestamp now) = 0;
};

}  // namespace mxauth::storage
