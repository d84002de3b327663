#include "storage/sql/compat_repositories.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kSessionColumns =
    "id, user_id, device_id, display_name, is_admin, user_agent, created_at, finished_at, "
    "last_active_at, last_active_ip";
constexpr std::string_view kAccessTokenColumns =
    "id, session_id, token_hash, created_at, expires_at, first_used_at, revoked_at";
constexpr std::string_view kRefreshTokenColumns =
    "id, session_id, token_hash, access_token_id, created_at, consumed_at, "
    "next_refresh_token_id, revoked_at";
constexpr std::string_view kSsoLoginColumns =
    "id, redirect_uri, created_at, fulfilled_at, login_token_hash, user_id, browser_session_id, "
    "exchanged_at, compat_session_id";

// Each reader takes the columns in the order of its k...Columns list.
Result<domain::CompatSession, StorageError> readSession(const Row& row) {
  RowReader reader(row);
  domain::CompatSession session;
  session.id = domain::CompatSessionId(reader.text());
  session.user_id = domain::UserId(reader.text());
  session.device_id = reader.text();
  session.display_name = reader.optionalText();
  session.is_admin = reader.boolean();
  session.user_agent = reader.text();
  session.created_at = reader.timestamp();
  session.finished_at = reader.optionalTimestamp();
  session.last_active_at = reader.optionalTimestamp();
  session.last_active_ip = reader.optionalText();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return session;
}

Result<domain::CompatAccessToken, StorageError> readAccessToken(const Row& row) {
  RowReader reader(row);
  domain::CompatAccessToken token;
  token.id = domain::CompatAccessTokenId(reader.text());
  token.session_id = domain::CompatSessionId(reader.text());
  token.token_hash = reader.text();
  token.created_at = reader.timestamp();
  token.expires_at = reader.optionalTimestamp();
  token.first_used_at = reader.optionalTimestamp();
  token.revoked_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return token;
}

Result<domain::CompatRefreshToken, StorageError> readRefreshToken(const Row& row) {
  RowReader reader(row);
  domain::CompatRefreshToken token;
  token.id = domain::CompatRefreshTokenId(reader.text());
  token.session_id = domain::CompatSessionId(reader.text());
  token.token_hash = reader.text();
  token.access_token_id = domain::CompatAccessTokenId(reader.text());
  token.created_at = reader.timestamp();
  token.consumed_at = reader.optionalTimestamp();
  token.next_refresh_token_id = optionalId<domain::CompatRefreshTokenId>(reader.optionalText());
  token.revoked_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return token;
}

Result<domain::CompatSsoLogin, StorageError> readSsoLogin(const Row& row) {
  RowReader reader(row);
  domain::CompatSsoLogin login;
  login.id = domain::CompatSsoLoginId(reader.text());
  login.redirect_uri = reader.text();
  login.created_at = reader.timestamp();
  login.fulfilled_at = reader.optionalTimestamp();
  login.login_token_hash = reader.optionalText();
  login.user_id = optionalId<domain::UserId>(reader.optionalText());
  login.browser_session_id = optionalId<domain::BrowserSessionId>(reader.optionalText());
  login.exchanged_at = reader.optionalTimestamp();
  login.compat_session_id = optionalId<domain::CompatSessionId>(reader.optionalText());
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return login;
}

// Locks the compat session's row for the rest of the transaction, and
// refuses (spoiling the transaction) when the session is unknown or
// finished: the same row lock as lockActiveSession() in
// sql/oauth_repositories.cpp, for the same reason. A token insert and
// finish() on one session are serialised, so finish() either sees (and
// revokes) the new token or the insert sees the finished session.
Result<void, StorageError> lockActiveSession(Session& session, const domain::CompatSessionId& id) {
  std::string key = "compat_sessions:" + id.str();
  if (session.holdsCheckedLock(key)) return {};
  auto locked = session.queryOptional(
      session.supportsRowLocks()
          ? "SELECT 1 FROM compat_sessions WHERE id = $1 AND finished_at IS NULL FOR UPDATE"
          : "SELECT 1 FROM compat_sessions WHERE id = $1 AND finished_at IS NULL",
      {id});
  if (!locked) return unexpected(locked.error());
  if (!*locked) {
    return unexpected(session.spoil(
        StorageError{StorageErrorCode::Constraint,
                     "compat session " + id.str() + " is unknown or finished: no new tokens"}));
  }
  session.rememberCheckedLock(std::move(key));
  return {};
}

}  // namespace

// --- Compat sessions -----------------------------------------------------

Result<domain::CompatSession, StorageError> SqlCompatSessionRepository::add(
    Rng& rng, const Clock& clock, const NewCompatSession& session) {
  domain::CompatSession added;
  added.id = domain::CompatSessionId(core::newUlid(rng, clock));
  added.user_id = session.user_id;
  added.device_id = session.device_id;
  added.display_name = session.display_name;
  added.is_admin = session.is_admin;
  added.user_agent = session.user_agent;
  added.created_at = clock.now();
  auto inserted = session_.execute(
      "INSERT INTO compat_sessions (id, user_id, device_id, display_name, is_admin, user_agent, "
      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {added.id, added.user_id, added.device_id, added.display_name, added.is_admin,
       added.user_agent, added.created_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::CompatSession>, StorageError> SqlCompatSessionRepository::lookup(
    const domain::CompatSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns, " FROM compat_sessions WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readSession);
}

Result<bool, StorageError> SqlCompatSessionRepository::finish(const Clock& clock,
                                                              const domain::CompatSessionId& id) {
  Timestamp now = clock.now();
  session_.forgetCheckedLock("compat_sessions:" + id.str());
  auto finished = changedAny(session_.execute(
      "UPDATE compat_sessions SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
      {id, now}));
  if (!finished || !*finished) return finished;
  // Every token of the session dies with it, in the same transaction, so
  // that no caller can commit a finished session with live tokens.
  auto access = session_.execute(
      "UPDATE compat_access_tokens SET revoked_at = $2 "
      "WHERE session_id = $1 AND revoked_at IS NULL",
      {id, now});
  if (!access) return unexpected(access.error());
  auto refresh = session_.execute(
      "UPDATE compat_refresh_tokens SET revoked_at = $2 "
      "WHERE session_id = $1 AND revoked_at IS NULL",
      {id, now});
  if (!refresh) return unexpected(refresh.error());
  return true;
}

Result<std::vector<domain::CompatSession>, StorageError>
SqlCompatSessionRepository::listActiveForUser(const domain::UserId& user, const Page& page) {
  // Newest first, so the keyset bound is "older than the last id seen".
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns,
           " FROM compat_sessions WHERE user_id = $1 AND finished_at IS NULL "
           "AND (CAST($2 AS TEXT) IS NULL OR id < CAST($2 AS TEXT)) ORDER BY id DESC LIMIT $3"});
  std::size_t limit = std::min(page.limit, Page::kMaxLimit);
  return readAll(session_.query(kSql, {user, page.after, limit}), &readSession);
}

Result<std::vector<domain::CompatSession>, StorageError>
SqlCompatSessionRepository::findActiveByDevice(const domain::UserId& user,
                                               std::string_view device_id) {
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns,
           " FROM compat_sessions WHERE user_id = $1 AND device_id = $2 "
           "AND finished_at IS NULL ORDER BY id DESC"});
  return readAll(session_.query(kSql, {user, device_id}), &readSession);
}

Result<void, StorageError> SqlCompatSessionRepository::recordActivity(
    const domain::CompatSessionId& id, Timestamp at, std::string_view ip) {
  // Batches may arrive out of order; an older report never overwrites a
  // newer one.
  return done(
      session_.execute("UPDATE compat_sessions SET last_active_at = $2, last_active_ip = $3 "
                       "WHERE id = $1 AND (last_active_at IS NULL OR last_active_at < $2)",
                       {id, at, ip}));
}

// --- Compat access tokens ------------------------------------------------

Result<domain::CompatAccessToken, StorageError> SqlCompatAccessTokenRepository::add(
    Rng& rng, const Clock& clock, const domain::CompatSessionId& session,
    std::string_view token_hash, std::optional<Timestamp> expires_at) {
  domain::CompatAccessToken added;
  added.id = domain::CompatAccessTokenId(core::newUlid(rng, clock));
  added.session_id = session;
  added.token_hash = std::string(token_hash);
  added.created_at = clock.now();
  added.expires_at = expires_at;
  if (auto locked = lockActiveSession(session_, session); !locked) {
    return unexpected(locked.error());
  }
  auto inserted = session_.execute(
      "INSERT INTO compat_access_tokens (id, session_id, token_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {added.id, added.session_id, added.token_hash, added.created_at, added.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::CompatAccessToken>, StorageError>
SqlCompatAccessTokenRepository::lookup(const domain::CompatAccessTokenId& id) {
  static const std::string kSql =
      sql({"SELECT ", kAccessTokenColumns, " FROM compat_access_tokens WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readAccessToken);
}

Result<std::optional<domain::CompatAccessToken>, StorageError>
SqlCompatAccessTokenRepository::findByHash(std::string_view token_hash) {
  // Introspection's hot path: one lookup on the unique token_hash index.
  static const std::string kSql =
      sql({"SELECT ", kAccessTokenColumns, " FROM compat_access_tokens WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readAccessToken);
}

Result<void, StorageError> SqlCompatAccessTokenRepository::markUsed(
    const domain::CompatAccessTokenId& id, Timestamp at) {
  return done(session_.execute(
      "UPDATE compat_access_tokens SET first_used_at = $2 WHERE id = $1 AND first_used_at IS NULL",
      {id, at}));
}

Result<bool, StorageError> SqlCompatAccessTokenRepository::revoke(
    const Clock& clock, const domain::CompatAccessTokenId& id) {
  return changedAny(session_.execute(
      "UPDATE compat_access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      {id, clock.now()}));
}

// --- Compat refresh tokens -----------------------------------------------

Result<domain::CompatRefreshToken, StorageError> SqlCompatRefreshTokenRepository::add(
    Rng& rng, const Clock& clock, const domain::CompatSessionId& session,
    std::string_view token_hash, const domain::CompatAccessTokenId& access_token) {
  domain::CompatRefreshToken added;
  added.id = domain::CompatRefreshTokenId(core::newUlid(rng, clock));
  added.session_id = session;
  added.token_hash = std::string(token_hash);
  added.access_token_id = access_token;
  added.created_at = clock.now();
  if (auto locked = lockActiveSession(session_, session); !locked) {
    return unexpected(locked.error());
  }
  // The schema refuses (Constraint) an access token that is unknown or of
  // another session.
  auto inserted = session_.execute(
      "INSERT INTO compat_refresh_tokens (id, session_id, token_hash, access_token_id, "
      "created_at) VALUES ($1, $2, $3, $4, $5)",
      {added.id, added.session_id, added.token_hash, added.access_token_id, added.created_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::CompatRefreshToken>, StorageError>
SqlCompatRefreshTokenRepository::lookup(const domain::CompatRefreshTokenId& id) {
  static const std::string kSql =
      sql({"SELECT ", kRefreshTokenColumns, " FROM compat_refresh_tokens WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readRefreshToken);
}

Result<std::optional<domain::CompatRefreshToken>, StorageError>
SqlCompatRefreshTokenRepository::findByHash(std::string_view token_hash) {
  static const std::string kSql =
      sql({"SELECT ", kRefreshTokenColumns, " FROM compat_refresh_tokens WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readRefreshToken);
}

Result<bool, StorageError> SqlCompatRefreshTokenRepository::consume(
    const Clock& clock, const domain::CompatRefreshTokenId& id,
    const domain::CompatRefreshTokenId& successor) {
  // POST /refresh's single-use step: one conditional UPDATE. The schema
  // refuses (Constraint) a successor that is unknown or of another session.
  return changedAny(
      session_.execute("UPDATE compat_refresh_tokens SET consumed_at = $2, "
                       "next_refresh_token_id = $3 "
                       "WHERE id = $1 AND consumed_at IS NULL AND revoked_at IS NULL",
                       {id, clock.now(), successor}));
}

Result<bool, StorageError> SqlCompatRefreshTokenRepository::replaceSuccessor(
    const domain::CompatRefreshTokenId& id, const domain::CompatRefreshTokenId& expected_successor,
    const domain::CompatRefreshTokenId& new_successor) {
  // The same-session foreign key refuses a successor of another session.
  auto changed = session_.execute(
      "UPDATE compat_refresh_tokens SET next_refresh_token_id = $3 "
      "WHERE id = $1 AND next_refresh_token_id = $2 AND revoked_at IS NULL",
      {id, expected_successor, new_successor});
  return changedAny(changed);
}

Result<bool, StorageError> SqlCompatRefreshTokenRepository::revoke(
    const Clock& clock, const domain::CompatRefreshTokenId& id) {
  return changedAny(session_.execute(
      "UPDATE compat_refresh_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      {id, clock.now()}));
}

// --- SSO logins ------------------------------------------------------------

Result<domain::CompatSsoLogin, StorageError> SqlCompatSsoLoginRepository::add(
    Rng& rng, const Clock& clock, std::string_view redirect_uri) {
  domain::CompatSsoLogin added;
  added.id = domain::CompatSsoLoginId(core::newUlid(rng, clock));
  added.redirect_uri = std::string(redirect_uri);
  added.created_at = clock.now();
  auto inserted = session_.execute(
      "INSERT INTO compat_sso_logins (id, redirect_uri, created_at) VALUES ($1, $2, $3)",
      {added.id, added.redirect_uri, added.created_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::CompatSsoLogin>, StorageError> SqlCompatSsoLoginRepository::lookup(
    const domain::CompatSsoLoginId& id) {
  static const std::string kSql =
      sql({"SELECT ", kSsoLoginColumns, " FROM compat_sso_logins WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readSsoLogin);
}

Result<bool, StorageError> SqlCompatSsoLoginRepository::fulfil(
    const Clock& clock, const domain::CompatSsoLoginId& id, const domain::UserId& user,
    const domain::BrowserSessionId& browser_session, std::string_view login_token_hash) {
  return changedAny(session_.execute(
      "UPDATE compat_sso_logins SET fulfilled_at = $2, login_token_hash = $3, user_id = $4, "
      "browser_session_id = $5 WHERE id = $1 AND fulfilled_at IS NULL",
      {id, clock.now(), login_token_hash, user, browser_session}));
}

Result<std::optional<domain::CompatSsoLogin>, StorageError>
SqlCompatSsoLoginRepository::findByTokenHash(std::string_view login_token_hash) {
  static const std::string kSql =
      sql({"SELECT ", kSsoLoginColumns, " FROM compat_sso_logins WHERE login_token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {login_token_hash}), &readSsoLogin);
}

Result<bool, StorageError> SqlCompatSsoLoginRepository::exchange(
    const Clock& clock, const domain::CompatSsoLoginId& id,
    const domain::CompatSessionId& session) {
  return changedAny(
      session_.execute("UPDATE compat_sso_logins SET exchanged_at = $2, compat_session_id = $3 "
                       "WHERE id = $1 AND fulfilled_at IS NOT NULL AND exchanged_at IS NULL",
                       {id, clock.now(), session}));
}

}  // namespace mxauth::storage::sql
