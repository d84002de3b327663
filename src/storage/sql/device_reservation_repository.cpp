#include "storage/sql/device_reservation_repository.h"

#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {

Result<domain::DeviceReservationId, StorageError> SqlDeviceReservationRepository::add(
    Rng& rng, const Clock& clock, const domain::UserId& user, std::string_view device_id,
    Timestamp expires_at) {
  domain::DeviceReservationId id(core::newUlid(rng, clock));
  auto added = session_.execute(
      "INSERT INTO device_reservations (id, user_id, device_id, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {id, user, device_id, clock.now(), expires_at});
  if (!added) return unexpected(std::move(added).error());
  return id;
}

Result<bool, StorageError> SqlDeviceReservationRepository::consume(
    const domain::DeviceReservationId& id) {
  return changedAny(session_.execute("DELETE FROM device_reservations WHERE id = $1", {id}));
}

Result<std::vector<std::string>, StorageError> SqlDeviceReservationRepository::heldDeviceIds(
    const domain::UserId& user) {
  // One statement, one snapshot (see the interface). UNION drops the
  // duplicates.
  auto rows = session_.query(
      "SELECT device_id FROM oauth_sessions WHERE user_id = $1 AND finished_at IS NULL "
      "AND device_id IS NOT NULL "
      "UNION SELECT device_id FROM compat_sessions WHERE user_id = $1 AND finished_at IS NULL "
      "UNION SELECT device_id FROM device_reservations WHERE user_id = $1 "
      "ORDER BY device_id",
      {user});
  if (!rows) return unexpected(std::move(rows).error());
  std::vector<std::string> devices;
  devices.reserve(rows->size());
  for (const Row& row : *rows) {
    RowReader reader(row);
    devices.push_back(reader.text());
    if (auto error = reader.error()) return unexpected(std::move(*error));
  }
  return devices;
}

Result<std::int64_t, StorageError> SqlDeviceReservationRepository::purgeExpired(
    const domain::UserId& user, Timestamp now) {
  return session_.execute("DELETE FROM device_reservations WHERE user_id = $1 AND expires_at <= $2",
                          {user, now});
}

}  // namespace mxauth::storage::sql
