#include "storage/sql/user_repositories.h"

#include <algorithm>
#include <string>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kEmailColumns =
    "id, user_id, address, created_at, confirmed_at, is_primary";
constexpr std::string_view kPasswordColumns =
    "id, user_id, hash, version, created_at, upgraded_from";

Result<domain::UserEmail, StorageError> readEmail(const Row& row) {
  RowReader reader(row);
  domain::UserEmail email;
  email.id = domain::UserEmailId(reader.text());
  email.user_id = domain::UserId(reader.text());
  email.address = reader.text();
  email.created_at = reader.timestamp();
  email.confirmed_at = reader.optionalTimestamp();
  email.is_primary = reader.boolean();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return email;
}

Result<domain::UserPassword, StorageError> readPassword(const Row& row) {
  RowReader reader(row);
  domain::UserPassword password;
  password.id = domain::UserPasswordId(reader.text());
  password.user_id = domain::UserId(reader.text());
  password.hash = reader.text();
  password.version = static_cast<int>(reader.integer());
  password.created_at = reader.timestamp();
  if (auto from = reader.optionalText()) password.upgraded_from = domain::UserPasswordId(*from);
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return password;
}

}  // namespace

// Columns in kUserColumns order.
Result<domain::User, StorageError> readUser(const Row& row) {
  RowReader reader(row);
  domain::User user;
  user.id = domain::UserId(reader.text());
  user.localpart = reader.text();
  user.created_at = reader.timestamp();
  user.locked_at = reader.optionalTimestamp();
  user.deactivated_at = reader.optionalTimestamp();
  user.is_admin = reader.boolean();
  user.display_name = reader.optionalText();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return user;
}

Result<domain::User, StorageError> SqlUserRepository::add(Rng& rng, const Clock& clock,
                                                          const domain::Localpart& localpart,
                                                          bool is_admin) {
  domain::User user{domain::UserId(core::newUlid(rng, clock)),
                    localpart.str(),
                    clock.now(),
                    std::nullopt,
                    std::nullopt,
                    is_admin,
                    std::nullopt};
  auto inserted = session_.execute(
      "INSERT INTO users (id, localpart, created_at, is_admin) VALUES ($1, $2, $3, $4)",
      {user.id, user.localpart, user.created_at, user.is_admin});
  if (!inserted) return unexpected(inserted.error());
  return user;
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::lookup(
    const domain::UserId& id) {
  static const std::string kSql = sql({"SELECT ", kUserColumns, " FROM users WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::findByLocalpart(
    std::string_view localpart) {
  // lower() on both sides, matching the unique index on lower(localpart).
  static const std::string kSql = sql(
      {"SELECT ", kUserColumns, " FROM users WHERE lower(localpart) = lower(CAST($1 AS TEXT))"});
  return readOptional(session_.queryOptional(kSql, {localpart}), &readUser);
}

Result<std::optional<UserWithPassword>, StorageError>
SqlUserRepository::findByLocalpartWithPassword(std::string_view localpart) {
  // The current password as current() finds it; its columns are NULL when
  // the user has none.
  static const std::string kSql =
      sql({"SELECT ", qualified("u", kUserColumns), ", ", qualified("p", kPasswordColumns),
           " FROM users u LEFT JOIN user_passwords p ON p.id = (SELECT id FROM user_passwords",
           " WHERE user_id = u.id ORDER BY ordinal DESC LIMIT 1)",
           " WHERE lower(u.localpart) = lower(CAST($1 AS TEXT))"});
  auto row = session_.queryOptional(kSql, {localpart});
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<UserWithPassword>();
  auto [user_part, password_part] = splitRow(std::move(**row), columnCount(kUserColumns));
  auto user = readUser(user_part);
  if (!user) return unexpected(user.error());
  auto password = readJoined(password_part, &readPassword);
  if (!password) return unexpected(password.error());
  return std::optional<UserWithPassword>(UserWithPassword{std::move(*user), std::move(*password)});
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::findByEmail(
    std::string_view address) {
  static const std::string kSql =
      sql({"SELECT u.id, u.localpart, u.created_at, u.locked_at, u.deactivated_at, u.is_admin, ",
           "u.display_name ", "FROM user_emails e JOIN users u ON u.id = e.user_id ",
           "WHERE lower(e.address) = lower(CAST($1 AS TEXT)) AND e.confirmed_at IS NOT NULL"});
  return readOptional(session_.queryOptional(kSql, {address}), &readUser);
}

Result<std::vector<domain::User>, StorageError> SqlUserRepository::list(const Page& page) {
  static const std::string kSql =
      sql({"SELECT ", kUserColumns, " FROM users WHERE id > $1 ORDER BY id LIMIT $2"});
  std::size_t limit = std::min(page.limit, Page::kMaxLimit);
  return readAll(session_.query(kSql, {page.after.value_or(""), limit}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::lock(
    const Clock& clock, const domain::UserId& id) {
  static const std::string kSql =
      sql({"UPDATE users SET locked_at = COALESCE(locked_at, $2) WHERE id = $1 RETURNING ",
           kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id, clock.now()}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::unlock(
    const domain::UserId& id) {
  static const std::string kSql =
      sql({"UPDATE users SET locked_at = NULL WHERE id = $1 RETURNING ", kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::deactivate(
    const Clock& clock, const domain::UserId& id) {
  static const std::string kSql = sql(
      {"UPDATE users SET deactivated_at = COALESCE(deactivated_at, $2) WHERE id = $1 RETURNING ",
       kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id, clock.now()}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::reactivate(
    const domain::UserId& id) {
  static const std::string kSql =
      sql({"UPDATE users SET deactivated_at = NULL WHERE id = $1 RETURNING ", kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::setAdmin(
    const domain::UserId& id, bool is_admin) {
  static const std::string kSql =
      sql({"UPDATE users SET is_admin = $2 WHERE id = $1 RETURNING ", kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id, is_admin}), &readUser);
}

Result<std::optional<domain::User>, StorageError> SqlUserRepository::setDisplayName(
    const domain::UserId& id, const std::optional<std::string>& display_name) {
  static const std::string kSql =
      sql({"UPDATE users SET display_name = $2 WHERE id = $1 RETURNING ", kUserColumns});
  return readOptional(session_.queryOptional(kSql, {id, display_name}), &readUser);
}

Result<domain::UserEmail, StorageError> SqlUserEmailRepository::add(Rng& rng, const Clock& clock,
                                                                    const domain::UserId& user,
                                                                    std::string_view address) {
  domain::UserEmail email{domain::UserEmailId(core::newUlid(rng, clock)),
                          user,
                          std::string(address),
                          clock.now(),
                          std::nullopt,
                          false};
  auto inserted = session_.execute(
      "INSERT INTO user_emails (id, user_id, address, created_at) VALUES ($1, $2, $3, $4)",
      {email.id, email.user_id, email.address, email.created_at});
  if (!inserted) return unexpected(inserted.error());
  return email;
}

Result<std::optional<domain::UserEmail>, StorageError> SqlUserEmailRepository::lookup(
    const domain::UserEmailId& id) {
  static const std::string kSql =
      sql({"SELECT ", kEmailColumns, " FROM user_emails WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readEmail);
}

Result<std::vector<domain::UserEmail>, StorageError> SqlUserEmailRepository::listForUser(
    const domain::UserId& user) {
  static const std::string kSql =
      sql({"SELECT ", kEmailColumns, " FROM user_emails WHERE user_id = $1 ORDER BY id"});
  return readAll(session_.query(kSql, {user}), &readEmail);
}

Result<std::optional<domain::UserEmail>, StorageError> SqlUserEmailRepository::confirm(
    const Clock& clock, const domain::UserEmailId& id) {
  static const std::string kSql = sql(
      {"UPDATE user_emails SET confirmed_at = COALESCE(confirmed_at, $2) WHERE id = $1 RETURNING ",
       kEmailColumns});
  return readOptional(session_.queryOptional(kSql, {id, clock.now()}), &readEmail);
}

Result<bool, StorageError> SqlUserEmailRepository::setPrimary(const domain::UserId& user,
                                                              const domain::UserEmailId& id) {
  // Both statements carry the same condition (the address is a confirmed
  // one of this user), so they change nothing unless both apply. Two
  // statements, not one: both backends check the one-primary index row by
  // row, and clearing first keeps every intermediate state valid.
  constexpr std::string_view kQualifies =
      "EXISTS (SELECT 1 FROM user_emails t WHERE t.id = $2 AND t.user_id = $1 "
      "AND t.confirmed_at IS NOT NULL)";
  static const std::string kClear =
      sql({"UPDATE user_emails SET is_primary = $3 WHERE user_id = "
           "$1 AND id <> $2 AND is_primary = $4 AND ",
           kQualifies});
  static const std::string kSet = sql(
      {"UPDATE user_emails SET is_primary = $3 WHERE id = $2 AND user_id = $1 AND ", kQualifies});
  auto cleared = session_.execute(kClear, {user, id, false, true});
  if (!cleared) return unexpected(cleared.error());
  auto set = session_.execute(kSet, {user, id, true});
  if (!set) return unexpected(set.error());
  return *set > 0;
}

Result<bool, StorageError> SqlUserEmailRepository::remove(const domain::UserEmailId& id) {
  auto removed = session_.execute("DELETE FROM user_emails WHERE id = $1", {id});
  if (!removed) return unexpected(removed.error());
  return *removed > 0;
}

Result<domain::UserPassword, StorageError> SqlUserPasswordRepository::add(
    Rng& rng, const Clock& clock, const domain::UserId& user, std::string_view hash, int version,
    const std::optional<domain::UserPasswordId>& upgraded_from) {
  domain::UserPassword password{domain::UserPasswordId(core::newUlid(rng, clock)),
                                user,
                                std::string(hash),
                                version,
                                clock.now(),
                                upgraded_from};
  // `ordinal` numbers a user's entries 1, 2, 3... so that "newest" does not
  // depend on timestamps or ids (two entries can share a millisecond, and
  // ULIDs within one millisecond are random). Two concurrent writers for one
  // user collide on UNIQUE (user_id, ordinal): one gets Conflict.
  auto inserted = session_.execute(
      "INSERT INTO user_passwords (id, user_id, ordinal, hash, version, created_at, upgraded_from) "
      "VALUES ($1, $2, (SELECT COALESCE(MAX(ordinal), 0) + 1 FROM user_passwords WHERE user_id = "
      "$2), $3, $4, $5, $6)",
      {password.id, password.user_id, password.hash, password.version, password.created_at,
       password.upgraded_from});
  if (!inserted) return unexpected(inserted.error());
  return password;
}

Result<std::optional<domain::UserPassword>, StorageError> SqlUserPasswordRepository::current(
    const domain::UserId& user) {
  static const std::string kSql = sql({"SELECT ", kPasswordColumns,
                                       " FROM user_passwords WHERE user_id = $1 "
                                       "ORDER BY ordinal DESC LIMIT 1"});
  return readOptional(session_.queryOptional(kSql, {user}), &readPassword);
}

Result<std::vector<domain::UserPassword>, StorageError> SqlUserPasswordRepository::history(
    const domain::UserId& user) {
  static const std::string kSql =
      sql({"SELECT ", kPasswordColumns,
           " FROM user_passwords WHERE user_id = $1 ORDER BY ordinal DESC"});
  return readAll(session_.query(kSql, {user}), &readPassword);
}

}  // namespace mxauth::storage::sql
