#pragma once

#include "storage/device_code_grant_repository.h"
#include "storage/sql/session.h"

// The device authorization grant's repository
// (storage/device_code_grant_repository.h) in the SQL both backends share.
// Table: the *_device_code_grants.sql migration of each backend. Every
// conditional method is one UPDATE whose WHERE clause states the required
// state.
namespace mxauth::storage::sql {

class SqlDeviceCodeGrantRepository final : public DeviceCodeGrantRepository {
 public:
  explicit SqlDeviceCodeGrantRepository(Session& session) : session_(session) {}

  Result<domain::DeviceCodeGrant, StorageError> add(Rng& rng, const Clock& clock,
                                                    const NewDeviceCodeGrant& grant) override;
  Result<std::optional<domain::DeviceCodeGrant>, StorageError> lookup(
      const domain::DeviceCodeGrantId& id) override;
  Result<std::optional<domain::DeviceCodeGrant>, StorageError> findByUserCode(
      std::string_view user_code) override;
  Result<std::optional<domain::DeviceCodeGrant>, StorageError> findByDeviceCodeHash(
      std::string_view device_code_hash) override;
  Result<std::optional<PollPace>, StorageError> recordPoll(
      const Clock& clock, const domain::DeviceCodeGrantId& id,
      std::int64_t slow_down_step_seconds) override;
  Result<bool, StorageError> approve(const Clock& clock, const domain::DeviceCodeGrantId& id,
                                     const domain::UserId& user,
                                     const domain::BrowserSessionId& browser_session) override;
  Result<bool, StorageError> deny(const Clock& clock, const domain::DeviceCodeGrantId& id) override;
  Result<bool, StorageError> exchange(const Clock& clock, const domain::DeviceCodeGrantId& id,
                                      const domain::OAuthSessionId& session) override;

 private:
  Session& session_;
};

}  // namespace mxauth::storage::sql
