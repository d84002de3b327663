#include "storage/sql/pending_registration_repository.h"

#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kPendingColumns =
    "id, browser_hash, localpart, password_hash, password_scheme_version, email, code_hash, "
    "created_at, expires_at, attempts_left, next_path, terms_uri, registration_token_hash";

Result<PendingRegistration, StorageError> readPendingRegistration(const Row& row) {
  RowReader reader(row);
  PendingRegistration pending;
  pending.id = domain::PendingRegistrationId(reader.text());
  pending.browser_hash = reader.text();
  pending.localpart = reader.text();
  pending.password_hash = reader.text();
  pending.password_scheme_version = static_cast<int>(reader.integer());
  pending.email = reader.text();
  pending.code_hash = reader.text();
  pending.created_at = reader.timestamp();
  pending.expires_at = reader.timestamp();
  pending.attempts_left = static_cast<int>(reader.integer());
  pending.next = reader.optionalText();
  pending.terms_uri = reader.optionalText();
  pending.registration_token_hash = reader.optionalText();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return pending;
}

}  // namespace

Result<PendingRegistration, StorageError> SqlPendingRegistrationRepository::add(
    Rng& rng, const Clock& clock, const NewPendingRegistration& fresh) {
  // The only clean-up these rows get: dead ones that share the new row's
  // username or address go when it arrives.
  auto swept = session_.execute(
      "DELETE FROM pending_registrations WHERE (localpart = $1 OR email = $2) "
      "AND (expires_at <= $3 OR attempts_left <= 0)",
      {fresh.localpart, fresh.email, clock.now()});
  if (!swept) return unexpected(swept.error());
  PendingRegistration pending{domain::PendingRegistrationId(core::newUlid(rng, clock)),
                              fresh.browser_hash,
                              fresh.localpart,
                              fresh.password_hash,
                              fresh.password_scheme_version,
                              fresh.email,
                              fresh.code_hash,
                              clock.now(),
                              fresh.expires_at,
                              fresh.attempts_left,
                              fresh.next,
                              fresh.terms_uri,
                              fresh.registration_token_hash};
  static const std::string kSql =
      sql({"INSERT INTO pending_registrations (", kPendingColumns,
           ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"});
  auto inserted = session_.execute(
      kSql, {pending.id, pending.browser_hash, pending.localpart, pending.password_hash,
             pending.password_scheme_version, pending.email, pending.code_hash, pending.created_at,
             pending.expires_at, pending.attempts_left, pending.next, pending.terms_uri,
             pending.registration_token_hash});
  if (!inserted) return unexpected(inserted.error());
  return pending;
}

Result<std::optional<PendingRegistration>, StorageError>
SqlPendingRegistrationRepository::findByBrowserHash(std::string_view browser_hash) {
  static const std::string kSql =
      sql({"SELECT ", kPendingColumns, " FROM pending_registrations WHERE browser_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {browser_hash}), &readPendingRegistration);
}

Result<bool, StorageError> SqlPendingRegistrationRepository::replaceCode(
    const domain::PendingRegistrationId& id, std::string_view code_hash, Timestamp expires_at,
    int attempts_left) {
  return changedAny(
      session_.execute("UPDATE pending_registrations SET code_hash = $2, expires_at = $3, "
                       "attempts_left = $4 WHERE id = $1",
                       {id, code_hash, expires_at, attempts_left}));
}

Result<bool, StorageError> SqlPendingRegistrationRepository::recordAttempt(
    const Clock& clock, const domain::PendingRegistrationId& id) {
  // One statement: concurrent guesses cannot take more than the attempts
  // left.
  return changedAny(
      session_.execute("UPDATE pending_registrations SET attempts_left = attempts_left - 1 "
                       "WHERE id = $1 AND attempts_left > 0 AND expires_at > $2",
                       {id, clock.now()}));
}

Result<bool, StorageError> SqlPendingRegistrationRepository::consume(
    const Clock& clock, const domain::PendingRegistrationId& id) {
  return changedAny(session_.execute(
      "DELETE FROM pending_registrations WHERE id = $1 AND expires_at > $2", {id, clock.now()}));
}

Result<bool, StorageError> SqlPendingRegistrationRepository::remove(
    const domain::PendingRegistrationId& id) {
  return changedAny(session_.execute("DELETE FROM pending_registrations WHERE id = $1", {id}));
}

Result<void, StorageError> SqlPendingRegistrationRepository::recordCodeSent(
    const Clock& clock, std::string_view email, Timestamp forget_before) {
  auto forgotten =
      session_.execute("DELETE FROM registration_code_sends WHERE email = $1 AND sent_at < $2",
                       {email, forget_before});
  if (!forgotten) return unexpected(forgotten.error());
  auto inserted = session_.execute(
      "INSERT INTO registration_code_sends (email, sent_at) VALUES ($1, $2)", {email, clock.now()});
  if (!inserted) return unexpected(inserted.error());
  return {};
}

Result<std::int64_t, StorageError> SqlPendingRegistrationRepository::countCodesSince(
    std::string_view email, Timestamp since) {
  auto row = session_.queryOptional(
      "SELECT COUNT(*) FROM registration_code_sends WHERE email = $1 AND sent_at >= $2",
      {email, since});
  if (!row) return unexpected(row.error());
  if (!*row) return std::int64_t{0};
  RowReader reader(**row);
  const std::int64_t count = reader.integer();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return count;
}

}  // namespace mxauth::storage::sql
