#pragma once

// DeviceReservationRepository (storage/device_reservation_repository.h) in
// SQL that both backends run.

#include "storage/device_reservation_repository.h"
#include "storage/sql/session.h"

namespace mxauth::storage::sql {

class SqlDeviceReservationRepository final : public DeviceReservationRepository {
 public:
  explicit SqlDeviceReservationRepository(Session& session) : session_(session) {}

  Result<domain::DeviceReservationId, StorageError> add(Rng& rng, const Clock& clock,
                                                        const domain::UserId& user,
                                                        std::string_view device_id,
                                                        Timestamp expires_at) override;
  Result<bool, StorageError> consume(const domain::DeviceReservationId& id) override;
  Result<std::vector<std::string>, StorageError> heldDeviceIds(const domain::UserId& user) override;
  Result<std::int64_t, StorageError> purgeExpired(const domain::UserId& user,
                                                  Timestamp now) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
