#include "storage/sql/device_code_grant_repository.h"

#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kColumns =
    "id, client_id, scope, device_code_hash, user_code, created_at, expires_at, "
    "interval_seconds, last_polled_at, approved_at, user_id, browser_session_id, denied_at, "
    "exchanged_at, session_id";

// Still waiting for the user at $2 (the clock's now).
constexpr std::string_view kPendingAt =
    "approved_at IS NULL AND denied_at IS NULL AND expires_at > $2";

// Columns in kColumns order.
Result<domain::DeviceCodeGrant, StorageError> readDeviceCodeGrant(const Row& row) {
  RowReader reader(row);
  domain::DeviceCodeGrant grant;
  grant.id = domain::DeviceCodeGrantId(reader.text());
  grant.client_id = domain::ClientId(reader.text());
  grant.scope = reader.text();
  grant.device_code_hash = reader.text();
  grant.user_code = reader.text();
  grant.created_at = reader.timestamp();
  grant.expires_at = reader.timestamp();
  grant.interval_seconds = reader.integer();
  grant.last_polled_at = reader.optionalTimestamp();
  grant.approved_at = reader.optionalTimestamp();
  grant.user_id = optionalId<domain::UserId>(reader.optionalText());
  grant.browser_session_id = optionalId<domain::BrowserSessionId>(reader.optionalText());
  grant.denied_at = reader.optionalTimestamp();
  grant.exchanged_at = reader.optionalTimestamp();
  grant.session_id = optionalId<domain::OAuthSessionId>(reader.optionalText());
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return grant;
}

}  // namespace

Result<domain::DeviceCodeGrant, StorageError> SqlDeviceCodeGrantRepository::add(
    Rng& rng, const Clock& clock, const NewDeviceCodeGrant& grant) {
  domain::DeviceCodeGrant added;
  added.id = domain::DeviceCodeGrantId(core::newUlid(rng, clock));
  added.client_id = grant.client_id;
  added.scope = grant.scope;
  added.device_code_hash = grant.device_code_hash;
  added.user_code = grant.user_code;
  added.created_at = clock.now();
  added.expires_at = grant.expires_at;
  added.interval_seconds = grant.interval_seconds;
  // A taken user code is an expected outcome (the caller draws another), so
  // it must not spoil the transaction the way a failed INSERT would: the
  // statement skips the row instead, and reports nothing changed.
  auto inserted = session_.execute(
      "INSERT INTO device_code_grants (id, client_id, scope, device_code_hash, user_code, "
      "created_at, expires_at, interval_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT DO NOTHING",
      {added.id, added.client_id, added.scope, added.device_code_hash, added.user_code,
       added.created_at, added.expires_at, added.interval_seconds});
  if (!inserted) return unexpected(inserted.error());
  if (*inserted == 0) {
    return unexpected(StorageError{StorageErrorCode::Conflict, "the user code is taken"});
  }
  return added;
}

Result<std::optional<domain::DeviceCodeGrant>, StorageError> SqlDeviceCodeGrantRepository::lookup(
    const domain::DeviceCodeGrantId& id) {
  static const std::string kSql =
      sql({"SELECT ", kColumns, " FROM device_code_grants WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readDeviceCodeGrant);
}

Result<std::optional<domain::DeviceCodeGrant>, StorageError>
SqlDeviceCodeGrantRepository::findByUserCode(std::string_view user_code) {
  static const std::string kSql =
      sql({"SELECT ", kColumns, " FROM device_code_grants WHERE user_code = $1"});
  return readOptional(session_.queryOptional(kSql, {user_code}), &readDeviceCodeGrant);
}

Result<std::optional<domain::DeviceCodeGrant>, StorageError>
SqlDeviceCodeGrantRepository::findByDeviceCodeHash(std::string_view device_code_hash) {
  static const std::string kSql =
      sql({"SELECT ", kColumns, " FROM device_code_grants WHERE device_code_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {device_code_hash}), &readDeviceCodeGrant);
}

Result<std::optional<PollPace>, StorageError> SqlDeviceCodeGrantRepository::recordPoll(
    const Clock& clock, const domain::DeviceCodeGrantId& id, std::int64_t slow_down_step_seconds) {
  const Timestamp now = clock.now();
  // First the poll that kept its distance. Of two concurrent polls the
  // second sees the first's last_polled_at (PostgreSQL re-checks the WHERE
  // clause of a row it waited for; SQLite has one writer), so it is late.
  static const std::string kInTime =
      sql({"UPDATE device_code_grants SET last_polled_at = $2 WHERE id = $1 AND ", kPendingAt,
           " AND (last_polled_at IS NULL OR last_polled_at + interval_seconds * 1000 <= $2)"});
  auto in_time = changedAny(session_.execute(kInTime, {id, now}));
  if (!in_time) return unexpected(in_time.error());
  if (*in_time) return std::optional<PollPace>(PollPace::InTime);
  static const std::string kTooFast =
      sql({"UPDATE device_code_grants SET last_polled_at = $2, "
           "interval_seconds = interval_seconds + $3 WHERE id = $1 AND ",
           kPendingAt});
  auto too_fast = changedAny(session_.execute(kTooFast, {id, now, slow_down_step_seconds}));
  if (!too_fast) return unexpected(too_fast.error());
  if (*too_fast) return std::optional<PollPace>(PollPace::TooFast);
  return std::optional<PollPace>();
}

Result<bool, StorageError> SqlDeviceCodeGrantRepository::approve(
    const Clock& clock, const domain::DeviceCodeGrantId& id, const domain::UserId& user,
    const domain::BrowserSessionId& browser_session) {
  static const std::string kSql =
      sql({"UPDATE device_code_grants SET approved_at = $2, user_id = $3, "
           "browser_session_id = $4 WHERE id = $1 AND ",
           kPendingAt});
  return changedAny(session_.execute(kSql, {id, clock.now(), user, browser_session}));
}

Result<bool, StorageError> SqlDeviceCodeGrantRepository::deny(const Clock& clock,
                                                              const domain::DeviceCodeGrantId& id) {
  static const std::string kSql =
      sql({"UPDATE device_code_grants SET denied_at = $2 WHERE id = $1 AND ", kPendingAt});
  return changedAny(session_.execute(kSql, {id, clock.now()}));
}

Result<bool, StorageError> SqlDeviceCodeGrantRepository::exchange(
    const Clock& clock, const domain::DeviceCodeGrantId& id,
    const domain::OAuthSessionId& session) {
  return changedAny(session_.execute(
      "UPDATE device_code_grants SET exchanged_at = $2, session_id = $3 WHERE id = $1 AND "
      "approved_at IS NOT NULL AND exchanged_at IS NULL AND expires_at > $2",
      {id, clock.now(), session}));
}

}  // namespace mxauth::storage::sql
