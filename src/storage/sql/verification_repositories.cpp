#include "storage/sql/verification_repositories.h"

#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kCodeColumns =
    "id, user_email_id, code_hash, created_at, expires_at, attempts, consumed_at";
constexpr std::string_view kTicketColumns =
    "id, user_id, user_email_id, token_hash, created_at, expires_at, consumed_at";

Result<UserEmailCode, StorageError> readCode(const Row& row) {
  RowReader reader(row);
  UserEmailCode code;
  code.id = domain::UserEmailCodeId(reader.text());
  code.user_email_id = domain::UserEmailId(reader.text());
  code.code_hash = reader.text();
  code.created_at = reader.timestamp();
  code.expires_at = reader.timestamp();
  code.attempts = static_cast<int>(reader.integer());
  code.consumed_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return code;
}

constexpr std::string_view kRegistrationTokenColumns =
    "id, token_hash, usage_limit, times_used, created_at, expires_at, last_used_at, revoked_at";

Result<RegistrationToken, StorageError> readRegistrationToken(const Row& row) {
  RowReader reader(row);
  RegistrationToken token;
  token.id = domain::RegistrationTokenId(reader.text());
  token.token_hash = reader.text();
  token.usage_limit = reader.optionalInteger();
  token.times_used = reader.integer();
  token.created_at = reader.timestamp();
  token.expires_at = reader.optionalTimestamp();
  token.last_used_at = reader.optionalTimestamp();
  token.revoked_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return token;
}

Result<UserTermsAcceptance, StorageError> readTerms(const Row& row) {
  RowReader reader(row);
  UserTermsAcceptance terms;
  terms.terms_uri = reader.text();
  terms.accepted_at = reader.timestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return terms;
}

Result<RecoveryTicket, StorageError> readTicket(const Row& row) {
  RowReader reader(row);
  RecoveryTicket ticket;
  ticket.id = domain::RecoveryTicketId(reader.text());
  ticket.user_id = domain::UserId(reader.text());
  ticket.user_email_id = domain::UserEmailId(reader.text());
  ticket.token_hash = reader.text();
  ticket.created_at = reader.timestamp();
  ticket.expires_at = reader.timestamp();
  ticket.consumed_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return ticket;
}

}  // namespace

Result<UserEmailCode, StorageError> SqlUserEmailCodeRepository::add(
    Rng& rng, const Clock& clock, const domain::UserEmailId& email, std::string_view code_hash,
    Timestamp expires_at) {
  UserEmailCode code{domain::UserEmailCodeId(core::newUlid(rng, clock)),
                     email,
                     std::string(code_hash),
                     clock.now(),
                     expires_at,
                     0,
                     std::nullopt};
  auto inserted = session_.execute(
      "INSERT INTO user_email_codes (id, user_email_id, code_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {code.id, code.user_email_id, code.code_hash, code.created_at, code.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return code;
}

Result<std::optional<UserEmailCode>, StorageError> SqlUserEmailCodeRepository::latestPending(
    const Clock& clock, const domain::UserEmailId& email) {
  static const std::string kSql =
      sql({"SELECT ", kCodeColumns,
           " FROM user_email_codes WHERE user_email_id = $1 AND consumed_at IS NULL "
           "AND expires_at > $2 ORDER BY id DESC LIMIT 1"});
  return readOptional(session_.queryOptional(kSql, {email, clock.now()}), &readCode);
}

Result<std::int64_t, StorageError> SqlUserEmailCodeRepository::countForUserSince(
    const domain::UserId& user, Timestamp since) {
  auto row = session_.queryOptional(
      "SELECT COUNT(*) FROM user_email_codes c JOIN user_emails e ON e.id = c.user_email_id "
      "WHERE e.user_id = $1 AND c.created_at >= $2",
      {user, since});
  if (!row) return unexpected(row.error());
  if (!*row) return std::int64_t{0};
  RowReader reader(**row);
  const std::int64_t count = reader.integer();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return count;
}

Result<bool, StorageError> SqlUserEmailCodeRepository::recordAttempt(
    const domain::UserEmailCodeId& id, int max_attempts) {
  return changedAny(
      session_.execute("UPDATE user_email_codes SET attempts = attempts + 1 "
                       "WHERE id = $1 AND attempts < $2 AND consumed_at IS NULL",
                       {id, max_attempts}));
}

Result<bool, StorageError> SqlUserEmailCodeRepository::consume(const Clock& clock,
                                                               const domain::UserEmailCodeId& id) {
  return changedAny(
      session_.execute("UPDATE user_email_codes SET consumed_at = $2 "
                       "WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2",
                       {id, clock.now()}));
}

Result<RecoveryTicket, StorageError> SqlRecoveryTicketRepository::add(
    Rng& rng, const Clock& clock, const domain::UserId& user, const domain::UserEmailId& email,
    std::string_view token_hash, Timestamp expires_at) {
  RecoveryTicket ticket{domain::RecoveryTicketId(core::newUlid(rng, clock)),
                        user,
                        email,
                        std::string(token_hash),
                        clock.now(),
                        expires_at,
                        std::nullopt};
  auto inserted = session_.execute(
      "INSERT INTO recovery_tickets (id, user_id, user_email_id, token_hash, created_at, "
      "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      {ticket.id, ticket.user_id, ticket.user_email_id, ticket.token_hash, ticket.created_at,
       ticket.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return ticket;
}

Result<std::optional<RecoveryTicket>, StorageError> SqlRecoveryTicketRepository::findByTokenHash(
    std::string_view token_hash) {
  static const std::string kSql =
      sql({"SELECT ", kTicketColumns, " FROM recovery_tickets WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readTicket);
}

Result<bool, StorageError> SqlRecoveryTicketRepository::consume(
    const Clock& clock, const domain::RecoveryTicketId& id) {
  return changedAny(
      session_.execute("UPDATE recovery_tickets SET consumed_at = $2 "
                       "WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2",
                       {id, clock.now()}));
}

Result<std::int64_t, StorageError> SqlRecoveryTicketRepository::consumeAllForUser(
    const Clock& clock, const domain::UserId& user) {
  return session_.execute(
      "UPDATE recovery_tickets SET consumed_at = $2 WHERE user_id = $1 AND consumed_at IS NULL",
      {user, clock.now()});
}

Result<RegistrationToken, StorageError> SqlRegistrationTokenRepository::add(
    Rng& rng, const Clock& clock, std::string_view token_hash,
    std::optional<std::int64_t> usage_limit, std::optional<Timestamp> expires_at) {
  RegistrationToken token{domain::RegistrationTokenId(core::newUlid(rng, clock)),
                          std::string(token_hash),
                          usage_limit,
                          0,
                          clock.now(),
                          expires_at,
                          std::nullopt,
                          std::nullopt};
  auto inserted = session_.execute(
      "INSERT INTO registration_tokens (id, token_hash, usage_limit, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {token.id, token.token_hash, token.usage_limit, token.created_at, token.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return token;
}

Result<std::optional<RegistrationToken>, StorageError> SqlRegistrationTokenRepository::use(
    const Clock& clock, std::string_view token_hash) {
  // One statement: the check and the count cannot be separated by another
  // registration (design §6).
  static const std::string kSql =
      sql({"UPDATE registration_tokens SET times_used = times_used + 1, last_used_at = $2 "
           "WHERE token_hash = $1 AND revoked_at IS NULL "
           "AND (expires_at IS NULL OR expires_at > $2) "
           "AND (usage_limit IS NULL OR times_used < usage_limit) RETURNING ",
           kRegistrationTokenColumns});
  return readOptional(session_.queryOptional(kSql, {token_hash, clock.now()}),
                      &readRegistrationToken);
}

Result<std::optional<RegistrationToken>, StorageError> SqlRegistrationTokenRepository::findByHash(
    std::string_view token_hash) {
  static const std::string kSql = sql(
      {"SELECT ", kRegistrationTokenColumns, " FROM registration_tokens WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readRegistrationToken);
}

Result<std::vector<RegistrationToken>, StorageError> SqlRegistrationTokenRepository::list() {
  static const std::string kSql =
      sql({"SELECT ", kRegistrationTokenColumns, " FROM registration_tokens ORDER BY id"});
  return readAll(session_.query(kSql, {}), &readRegistrationToken);
}

Result<bool, StorageError> SqlRegistrationTokenRepository::revoke(
    const Clock& clock, const domain::RegistrationTokenId& id) {
  return changedAny(session_.execute(
      "UPDATE registration_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
      {id, clock.now()}));
}

Result<void, StorageError> SqlRegistrationTokenRepository::acceptTerms(const Clock& clock,
                                                                       const domain::UserId& user,
                                                                       std::string_view terms_uri) {
  return done(session_.execute(
      "INSERT INTO user_terms (user_id, terms_uri, accepted_at) VALUES ($1, $2, $3) "
      "ON CONFLICT (user_id, terms_uri) DO NOTHING",
      {user, terms_uri, clock.now()}));
}

Result<std::vector<UserTermsAcceptance>, StorageError> SqlRegistrationTokenRepository::termsOf(
    const domain::UserId& user) {
  return readAll(session_.query("SELECT terms_uri, accepted_at FROM user_terms WHERE user_id = $1 "
                                "ORDER BY accepted_at, terms_uri",
                                {user}),
                 &readTerms);
}

}  // namespace mxauth::storage::sql
