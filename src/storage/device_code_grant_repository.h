#pragma once

// The device authorization grant's rows (domain/device_code.h). The rules of
// storage/oauth_repositories.h hold: ids and times come from the Rng and
// Clock passed in, an unknown id, hash or code answers an empty optional,
// the device code never reaches storage (only its SHA-256 hex), and the
// methods documented as "conditional" change a row only in the stated
// state, so that of two concurrent callers exactly one wins.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/device_code.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct NewDeviceCodeGrant {
  domain::ClientId client_id;
  std::string scope;
  std::string device_code_hash;
  std::string user_code;  // normalised (oauth/user_code.h)
  Timestamp expires_at;
  std::int64_t interval_seconds = 5;
};

// What a poll of a pending grant found (RFC 8628 §3.5).
enum class PollPace {
  InTime,   // at least interval_seconds after the previous poll (or the first)
  TooFast,  // sooner: slow_down, and the interval grew by the step
};

class DeviceCodeGrantRepository {
 public:
  virtual ~DeviceCodeGrantRepository() = default;

  // Conflict when the user code (or the device code hash) is taken: the
  // caller draws another user code.
  virtual Result<domain::DeviceCodeGrant, StorageError> add(Rng& rng, const Clock& clock,
                                                            const NewDeviceCodeGrant& grant) = 0;
  virtual Result<std::optional<domain::DeviceCodeGrant>, StorageError> lookup(
      const domain::DeviceCodeGrantId& id) = 0;
  virtual Result<std::optional<domain::DeviceCodeGrant>, StorageError> findByUserCode(
      std::string_view user_code) = 0;
  virtual Result<std::optional<domain::DeviceCodeGrant>, StorageError> findByDeviceCodeHash(
      std::string_view device_code_hash) = 0;

  // Records a poll of a pending grant at clock.now(): InTime when the
  // previous poll was at least interval_seconds ago (or there was none),
  // else TooFast, and then the interval grows by `slow_down_step_seconds`.
  // Either way the poll's time is kept. Empty when the grant is unknown or
  // no longer pending. Two concurrent polls cannot both be InTime.
  virtual Result<std::optional<PollPace>, StorageError> recordPoll(
      const Clock& clock, const domain::DeviceCodeGrantId& id,
      std::int64_t slow_down_step_seconds) = 0;

  // Conditional: a pending, unexpired grant becomes approved by `user`
  // through `browser_session`. False otherwise.
  virtual Result<bool, StorageError> approve(const Clock& clock,
                                             const domain::DeviceCodeGrantId& id,
                                             const domain::UserId& user,
                                             const domain::BrowserSessionId& browser_session) = 0;
  // Conditional: a pending grant becomes denied. False otherwise.
  virtual Result<bool, StorageError> deny(const Clock& clock,
                                          const domain::DeviceCodeGrantId& id) = 0;
  // Conditional: an approved, unexpired grant not yet exchanged becomes
  // exchanged for `session` (added first, in the same transaction). False
  // otherwise: the device code is single use.
  virtual Result<bool, StorageError> exchange(const Clock& clock,
                                              const domain::DeviceCodeGrantId& id,
                                              const domain::OAuthSessionId& session) = 0;
};

}  // namespace mxauth::storage
