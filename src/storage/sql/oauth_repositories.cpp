#include "storage/sql/oauth_repositories.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/ulid.h"
#include "storage/sql/consent_repository.h"
#include "storage/sql/repository_support.h"
#include "storage/sql/user_repositories.h"

namespace mxauth::storage::sql {
namespace {

constexpr std::string_view kClientColumns =
    "id, metadata_json, secret_hash, metadata_digest, is_static, created_at, encrypted_secret";
constexpr std::string_view kBrowserSessionColumns =
    "id, user_id, created_at, authenticated_at, finished_at, user_agent, ip_address";
constexpr std::string_view kGrantColumns =
    "id, client_id, redirect_uri, scope, state, nonce, response_mode, code_challenge, "
    "login_hint, prompt, max_age, created_at, fulfilled_at, code_hash, session_id, "
    "browser_session_id, user_id, exchanged_at, cancelled_at";
// The single-use step of a code (exchange, exchangeLockingSession).
constexpr std::string_view kExchange =
    "UPDATE authorization_grants SET exchanged_at = $2 "
    "WHERE code_hash = $1 AND fulfilled_at IS NOT NULL AND exchanged_at IS NULL "
    "AND cancelled_at IS NULL";
// A pending grant becomes fulfilled (fulfill, fulfillLocked).
constexpr std::string_view kFulfill =
    "UPDATE authorization_grants SET fulfilled_at = $2, code_hash = $3, session_id = $4, "
    "browser_session_id = $5, user_id = $6 "
    "WHERE id = $1 AND fulfilled_at IS NULL AND cancelled_at IS NULL";
constexpr std::string_view kSessionColumns =
    "id, client_id, user_id, scope, device_id, created_at, finished_at, last_active_at, "
    "last_active_ip, user_agent, authenticated_at";
constexpr std::string_view kAccessTokenColumns =
    "id, session_id, token_hash, created_at, expires_at, first_used_at, revoked_at";
constexpr std::string_view kRefreshTokenColumns =
    "id, session_id, token_hash, access_token_id, created_at, expires_at, consumed_at, "
    "next_refresh_token_id, revoked_at";

std::string_view responseModeText(domain::ResponseMode mode) {
  switch (mode) {
    case domain::ResponseMode::Query:
      return "query";
    case domain::ResponseMode::Fragment:
      return "fragment";
    case domain::ResponseMode::FormPost:
      return "form_post";
  }
  return "query";  // unreachable: the switch is exhaustive
}

std::optional<domain::ResponseMode> parseResponseMode(std::string_view text) {
  if (text == "query") return domain::ResponseMode::Query;
  if (text == "fragment") return domain::ResponseMode::Fragment;
  if (text == "form_post") return domain::ResponseMode::FormPost;
  return std::nullopt;
}

// Each reader takes the columns in the order of its k...Columns list.
Result<domain::OAuthClient, StorageError> readClient(const Row& row) {
  RowReader reader(row);
  domain::OAuthClient client;
  client.id = domain::ClientId(reader.text());
  client.metadata_json = reader.text();
  client.secret_hash = reader.optionalText();
  client.metadata_digest = reader.optionalText();
  client.is_static = reader.boolean();
  client.created_at = reader.timestamp();
  client.encrypted_secret = reader.optionalText();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return client;
}

Result<domain::BrowserSession, StorageError> readBrowserSession(const Row& row) {
  RowReader reader(row);
  domain::BrowserSession session;
  session.id = domain::BrowserSessionId(reader.text());
  session.user_id = domain::UserId(reader.text());
  session.created_at = reader.timestamp();
  session.authenticated_at = reader.timestamp();
  session.finished_at = reader.optionalTimestamp();
  session.user_agent = reader.text();
  session.ip_address = reader.text();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return session;
}

Result<domain::AuthorizationGrant, StorageError> readGrant(const Row& row) {
  RowReader reader(row);
  domain::AuthorizationGrant grant;
  grant.id = domain::AuthorizationGrantId(reader.text());
  grant.client_id = domain::ClientId(reader.text());
  grant.redirect_uri = reader.text();
  grant.scope = reader.text();
  grant.state = reader.optionalText();
  grant.nonce = reader.optionalText();
  std::string mode = reader.text();
  grant.code_challenge = reader.optionalText();
  grant.login_hint = reader.optionalText();
  grant.prompt = reader.optionalText();
  grant.max_age = reader.optionalInteger();
  grant.created_at = reader.timestamp();
  grant.fulfilled_at = reader.optionalTimestamp();
  grant.code_hash = reader.optionalText();
  grant.session_id = optionalId<domain::OAuthSessionId>(reader.optionalText());
  grant.browser_session_id = optionalId<domain::BrowserSessionId>(reader.optionalText());
  grant.user_id = optionalId<domain::UserId>(reader.optionalText());
  grant.exchanged_at = reader.optionalTimestamp();
  grant.cancelled_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  auto parsed = parseResponseMode(mode);
  if (!parsed) {
    return unexpected(StorageError{
        StorageErrorCode::Internal,
        "authorization grant " + grant.id.str() + " has an unknown response_mode '" + mode + "'"});
  }
  grant.response_mode = *parsed;
  return grant;
}

Result<domain::OAuthSession, StorageError> readSession(const Row& row) {
  RowReader reader(row);
  domain::OAuthSession session;
  session.id = domain::OAuthSessionId(reader.text());
  session.client_id = domain::ClientId(reader.text());
  session.user_id = optionalId<domain::UserId>(reader.optionalText());
  session.scope = reader.text();
  session.device_id = reader.optionalText();
  session.created_at = reader.timestamp();
  session.finished_at = reader.optionalTimestamp();
  session.last_active_at = reader.optionalTimestamp();
  session.last_active_ip = reader.optionalText();
  session.user_agent = reader.text();
  session.authenticated_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return session;
}

// A grant's columns, then its session's and its user's (LEFT JOINed, so
// either may be missing).
Result<GrantWithSubject, StorageError> readGrantWithSubject(const Row& row) {
  auto [grant_part, rest] = splitRow(row, columnCount(kGrantColumns));
  auto [session_part, user_part] = splitRow(std::move(rest), columnCount(kSessionColumns));
  auto grant = readGrant(grant_part);
  if (!grant) return unexpected(grant.error());
  auto session = readJoined(session_part, &readSession);
  if (!session) return unexpected(session.error());
  auto user = readJoined(user_part, &readUser);
  if (!user) return unexpected(user.error());
  return GrantWithSubject{std::move(*grant), std::move(*session), std::move(*user)};
}

Result<domain::AccessToken, StorageError> readAccessToken(const Row& row) {
  RowReader reader(row);
  domain::AccessToken token;
  token.id = domain::AccessTokenId(reader.text());
  token.session_id = domain::OAuthSessionId(reader.text());
  token.token_hash = reader.text();
  token.created_at = reader.timestamp();
  token.expires_at = reader.timestamp();
  token.first_used_at = reader.optionalTimestamp();
  token.revoked_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return token;
}

Result<domain::RefreshToken, StorageError> readRefreshToken(const Row& row) {
  RowReader reader(row);
  domain::RefreshToken token;
  token.id = domain::RefreshTokenId(reader.text());
  token.session_id = domain::OAuthSessionId(reader.text());
  token.token_hash = reader.text();
  token.access_token_id = domain::AccessTokenId(reader.text());
  token.created_at = reader.timestamp();
  token.expires_at = reader.optionalTimestamp();
  token.consumed_at = reader.optionalTimestamp();
  token.next_refresh_token_id = optionalId<domain::RefreshTokenId>(reader.optionalText());
  token.revoked_at = reader.optionalTimestamp();
  if (auto error = reader.error()) return unexpected(std::move(*error));
  return token;
}

// Locks the session's row for the rest of the transaction, and refuses
// (spoiling the transaction) when the session is unknown or finished.
//
// Why a lock: finish() revokes the session's tokens with UPDATEs that, on
// PostgreSQL under READ COMMITTED, cannot see tokens inserted by a
// transaction still in progress. With this row lock first (SELECT … FOR
// UPDATE, which re-reads the row once a concurrent finish() commits), a
// token insert and finish() on the same session are serialised: either
// finish() waits for the insert's commit and its UPDATEs then see (and
// revoke) the new token, or the insert waits for finish()'s commit and is
// refused. SQLite serialises writers anyway, so a plain SELECT checks the
// same; an UPDATE there would dirty a page of the sessions table (one more
// WAL page per token issued) for nothing.
Result<void, StorageError> lockActiveSession(Session& session, const domain::OAuthSessionId& id) {
  std::string key = "oauth_sessions:" + id.str();
  if (session.holdsCheckedLock(key)) return {};
  auto locked = session.queryOptional(
      session.supportsRowLocks()
          ? "SELECT 1 FROM oauth_sessions WHERE id = $1 AND finished_at IS NULL FOR UPDATE"
          : "SELECT 1 FROM oauth_sessions WHERE id = $1 AND finished_at IS NULL",
      {id});
  if (!locked) return unexpected(locked.error());
  if (!*locked) {
    return unexpected(session.spoil(
        StorageError{StorageErrorCode::Constraint,
                     "OAuth session " + id.str() + " is unknown or finished: no new tokens"}));
  }
  session.rememberCheckedLock(std::move(key));
  return {};
}

}  // namespace

// --- OAuth clients -------------------------------------------------------

Result<domain::OAuthClient, StorageError> SqlOAuthClientRepository::add(
    Rng& rng, const Clock& clock, const NewOAuthClient& client) {
  domain::OAuthClient added{domain::ClientId(core::newUlid(rng, clock)),
                            client.metadata_json,
                            client.secret_hash,
                            client.metadata_digest,
                            client.is_static,
                            clock.now(),
                            client.encrypted_secret};
  auto inserted = session_.execute(
      "INSERT INTO oauth_clients (id, metadata_json, secret_hash, metadata_digest, is_static, "
      "created_at, encrypted_secret) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {added.id, added.metadata_json, added.secret_hash, added.metadata_digest, added.is_static,
       added.created_at, added.encrypted_secret});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::OAuthClient>, StorageError> SqlOAuthClientRepository::lookup(
    const domain::ClientId& id) {
  static const std::string kSql =
      sql({"SELECT ", kClientColumns, " FROM oauth_clients WHERE id = $1"});
  const auto now = ClientCache::SteadyClock::now();
  if (cache_ != nullptr) {
    if (std::optional<domain::OAuthClient> cached = cache_->find(id.str(), now)) return cached;
  }
  auto found = readOptional(session_.queryOptional(kSql, {id}), &readClient);
  // Only committed data is kept: a read-write transaction may be reading
  // a client it added itself and will not commit.
  if (found && *found && cache_ != nullptr && read_only_) cache_->insert(**found, now);
  return found;
}

Result<std::optional<domain::OAuthClient>, StorageError> SqlOAuthClientRepository::findByDigest(
    std::string_view metadata_digest) {
  static const std::string kSql =
      sql({"SELECT ", kClientColumns, " FROM oauth_clients WHERE metadata_digest = $1"});
  return readOptional(session_.queryOptional(kSql, {metadata_digest}), &readClient);
}

// --- Browser sessions ----------------------------------------------------

Result<domain::BrowserSession, StorageError> SqlBrowserSessionRepository::add(
    Rng& rng, const Clock& clock, const NewBrowserSession& session) {
  Timestamp now = clock.now();
  domain::BrowserSession added{domain::BrowserSessionId(core::newUlid(rng, clock)),
                               session.user_id,
                               now,
                               now,
                               std::nullopt,
                               session.user_agent,
                               session.ip_address};
  // Its failure (an unknown user) may surface at the next statement or the
  // commit instead (Session::executeLater).
  auto inserted = session_.executeLater(
      "INSERT INTO browser_sessions (id, user_id, created_at, authenticated_at, user_agent, "
      "ip_address) VALUES ($1, $2, $3, $4, $5, $6)",
      {added.id, added.user_id, added.created_at, added.authenticated_at, added.user_agent,
       added.ip_address});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::BrowserSession>, StorageError> SqlBrowserSessionRepository::lookup(
    const domain::BrowserSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", kBrowserSessionColumns, " FROM browser_sessions WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readBrowserSession);
}

Result<std::optional<BrowserSessionWithUser>, StorageError>
SqlBrowserSessionRepository::lookupWithUser(const domain::BrowserSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", qualified("s", kBrowserSessionColumns), ", ", qualified("u", kUserColumns),
           " FROM browser_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"});
  auto row = session_.queryOptional(kSql, {id});
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<BrowserSessionWithUser>();
  auto [session_part, user_part] = splitRow(std::move(**row), columnCount(kBrowserSessionColumns));
  auto session = readBrowserSession(session_part);
  if (!session) return unexpected(session.error());
  auto user = readUser(user_part);
  if (!user) return unexpected(user.error());
  return std::optional<BrowserSessionWithUser>(
      BrowserSessionWithUser{std::move(*session), std::move(*user)});
}

Result<std::optional<domain::BrowserSession>, StorageError>
SqlBrowserSessionRepository::reauthenticate(const Clock& clock,
                                            const domain::BrowserSessionId& id) {
  static const std::string kSql =
      sql({"UPDATE browser_sessions SET authenticated_at = $2 "
           "WHERE id = $1 AND finished_at IS NULL RETURNING ",
           kBrowserSessionColumns});
  return readOptional(session_.queryOptional(kSql, {id, clock.now()}), &readBrowserSession);
}

Result<bool, StorageError> SqlBrowserSessionRepository::finish(const Clock& clock,
                                                               const domain::BrowserSessionId& id) {
  return changedAny(session_.execute(
      "UPDATE browser_sessions SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
      {id, clock.now()}));
}

Result<std::int64_t, StorageError> SqlBrowserSessionRepository::finishAllForUser(
    const Clock& clock, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep) {
  // CAST: PostgreSQL cannot infer the type of a parameter that may be NULL
  // and is only compared.
  return session_.execute(
      "UPDATE browser_sessions SET finished_at = $2 WHERE user_id = $1 AND finished_at IS NULL "
      "AND (CAST($3 AS TEXT) IS NULL OR id <> CAST($3 AS TEXT))",
      {user, clock.now(), keep});
}

Result<std::vector<domain::BrowserSession>, StorageError>
SqlBrowserSessionRepository::listActiveForUser(const domain::UserId& user, const Page& page) {
  // Newest first, so the keyset bound is "older than the last id seen".
  static const std::string kSql =
      sql({"SELECT ", kBrowserSessionColumns,
           " FROM browser_sessions WHERE user_id = $1 AND finished_at IS NULL "
           "AND (CAST($2 AS TEXT) IS NULL OR id < CAST($2 AS TEXT)) ORDER BY id DESC LIMIT $3"});
  const std::size_t limit = std::min(page.limit, Page::kMaxLimit);
  return readAll(session_.query(kSql, {user, page.after, limit}), &readBrowserSession);
}

// --- Authorization grants ------------------------------------------------

Result<domain::AuthorizationGrant, StorageError> SqlAuthorizationGrantRepository::add(
    Rng& rng, const Clock& clock, const NewAuthorizationGrant& grant) {
  domain::AuthorizationGrant added;
  added.id = domain::AuthorizationGrantId(core::newUlid(rng, clock));
  added.client_id = grant.client_id;
  added.redirect_uri = grant.redirect_uri;
  added.scope = grant.scope;
  added.state = grant.state;
  added.nonce = grant.nonce;
  added.response_mode = grant.response_mode;
  added.code_challenge = grant.code_challenge;
  added.login_hint = grant.login_hint;
  added.prompt = grant.prompt;
  added.max_age = grant.max_age;
  added.created_at = clock.now();
  auto inserted = session_.executeLater(
      "INSERT INTO authorization_grants (id, client_id, redirect_uri, scope, state, nonce, "
      "response_mode, code_challenge, login_hint, prompt, max_age, created_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {added.id, added.client_id, added.redirect_uri, added.scope, added.state, added.nonce,
       responseModeText(added.response_mode), added.code_challenge, added.login_hint, added.prompt,
       added.max_age, added.created_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::AuthorizationGrant>, StorageError>
SqlAuthorizationGrantRepository::lookup(const domain::AuthorizationGrantId& id) {
  static const std::string kSql =
      sql({"SELECT ", kGrantColumns, " FROM authorization_grants WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readGrant);
}

Result<std::optional<domain::AuthorizationGrant>, StorageError>
SqlAuthorizationGrantRepository::fulfill(const Clock& clock, const domain::AuthorizationGrantId& id,
                                         std::string_view code_hash,
                                         const domain::OAuthSessionId& session,
                                         const domain::BrowserSessionId& browser_session,
                                         const domain::UserId& user) {
  static const std::string kSql = sql({kFulfill, " RETURNING ", kGrantColumns});
  return readOptional(
      session_.queryOptional(kSql, {id, clock.now(), code_hash, session, browser_session, user}),
      &readGrant);
}

Result<void, StorageError> SqlAuthorizationGrantRepository::fulfillLocked(
    const Clock& clock, const domain::AuthorizationGrantId& id, std::string_view code_hash,
    const domain::OAuthSessionId& session, const domain::BrowserSessionId& browser_session,
    const domain::UserId& user) {
  return session_.executeLater(kFulfill,
                               {id, clock.now(), code_hash, session, browser_session, user});
}

Result<std::optional<domain::AuthorizationGrant>, StorageError>
SqlAuthorizationGrantRepository::exchange(const Clock& clock, std::string_view code_hash) {
  // The single-use step (RFC 6749 §4.1.2): the WHERE clause is the whole
  // check, so of two concurrent exchanges only one gets the row back.
  static const std::string kSql = sql({kExchange, " RETURNING ", kGrantColumns});
  return readOptional(session_.queryOptional(kSql, {code_hash, clock.now()}), &readGrant);
}

Result<std::optional<GrantWithSubject>, StorageError>
SqlAuthorizationGrantRepository::exchangeLockingSession(const Clock& clock,
                                                        std::string_view code_hash) {
  if (!session_.supportsRowLocks()) {
    // SQLite: one writer, in process; two statements cost no round trip.
    auto exchanged = exchange(clock, code_hash);
    if (!exchanged) return unexpected(exchanged.error());
    if (!*exchanged) return std::optional<GrantWithSubject>();
    GrantWithSubject found{std::move(**exchanged), std::nullopt, std::nullopt};
    if (found.grant.session_id) {
      auto locked =
          SqlOAuthSessionRepository(session_).lookupForUpdateWithUser(*found.grant.session_id);
      if (!locked) return unexpected(locked.error());
      if (*locked) {
        found.session = std::move((*locked)->session);
        found.user = std::move((*locked)->user);
      }
    }
    return std::optional<GrantWithSubject>(std::move(found));
  }
  // The session is locked in a LATERAL subquery: FOR UPDATE cannot reach
  // the nullable side of an outer join, and a grant whose session is gone
  // must still come back (as exchanged, with no session).
  static const std::string kSql =
      sql({"WITH g AS (", kExchange, " RETURNING ", kGrantColumns, ") SELECT ",
           qualified("g", kGrantColumns), ", ", qualified("s", kSessionColumns), ", ",
           qualified("u", kUserColumns), " FROM g LEFT JOIN LATERAL (SELECT ", kSessionColumns,
           " FROM oauth_sessions WHERE id = g.session_id FOR UPDATE) s ON true",
           " LEFT JOIN users u ON u.id = s.user_id"});
  auto found =
      readOptional(session_.queryOptional(kSql, {code_hash, clock.now()}), &readGrantWithSubject);
  if (found && *found && (*found)->session && (*found)->session->isActive()) {
    session_.rememberCheckedLock("oauth_sessions:" + (*found)->session->id.str());
  }
  return found;
}

Result<std::optional<domain::AuthorizationGrant>, StorageError>
SqlAuthorizationGrantRepository::findByCodeHash(std::string_view code_hash) {
  static const std::string kSql =
      sql({"SELECT ", kGrantColumns, " FROM authorization_grants WHERE code_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {code_hash}), &readGrant);
}

Result<std::optional<GrantWithSubject>, StorageError>
SqlAuthorizationGrantRepository::findByCodeHashWithSubject(std::string_view code_hash) {
  static const std::string kSql =
      sql({"SELECT ", qualified("g", kGrantColumns), ", ", qualified("s", kSessionColumns), ", ",
           qualified("u", kUserColumns),
           " FROM authorization_grants g LEFT JOIN oauth_sessions s ON s.id = g.session_id",
           " LEFT JOIN users u ON u.id = g.user_id WHERE g.code_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {code_hash}), &readGrantWithSubject);
}

Result<std::optional<GrantForConsent>, StorageError>
SqlAuthorizationGrantRepository::lookupForConsent(
    const domain::AuthorizationGrantId& id,
    const std::optional<domain::BrowserSessionId>& browser_session) {
  return readForConsent(id, browser_session, false);
}

Result<std::optional<GrantForConsent>, StorageError>
SqlAuthorizationGrantRepository::lookupForConsentForUpdate(
    const domain::AuthorizationGrantId& id,
    const std::optional<domain::BrowserSessionId>& browser_session) {
  return readForConsent(id, browser_session, session_.supportsRowLocks());
}

Result<std::optional<GrantForConsent>, StorageError>
SqlAuthorizationGrantRepository::readForConsent(
    const domain::AuthorizationGrantId& id,
    const std::optional<domain::BrowserSessionId>& browser_session, bool lock) {
  // The session is joined on the id given, not on the grant's own column:
  // at the consent step the grant names no session yet.
  static const std::string kSql =
      sql({"SELECT ", qualified("g", kGrantColumns), ", ", qualified("s", kBrowserSessionColumns),
           ", ", qualified("u", kUserColumns), ", ", qualified("c", kConsentColumns),
           " FROM authorization_grants g", " LEFT JOIN browser_sessions s ON s.id = $2",
           " LEFT JOIN users u ON u.id = s.user_id",
           " LEFT JOIN oauth_consents c ON c.user_id = u.id AND c.client_id = g.client_id",
           " WHERE g.id = $1"});
  // Only the grant's row: the others are on the nullable side of the joins.
  static const std::string kLocking = kSql + " FOR UPDATE OF g";
  auto row = session_.queryOptional(lock ? kLocking : kSql, {id, browser_session});
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<GrantForConsent>();
  auto [grant_part, rest] = splitRow(std::move(**row), columnCount(kGrantColumns));
  auto [session_part, rest2] = splitRow(std::move(rest), columnCount(kBrowserSessionColumns));
  auto [user_part, consent_part] = splitRow(std::move(rest2), columnCount(kUserColumns));
  auto grant = readGrant(grant_part);
  if (!grant) return unexpected(grant.error());
  auto session = readJoined(session_part, &readBrowserSession);
  if (!session) return unexpected(session.error());
  auto user = readJoined(user_part, &readUser);
  if (!user) return unexpected(user.error());
  auto consent = readJoined(consent_part, &readConsent);
  if (!consent) return unexpected(consent.error());
  GrantForConsent found{std::move(*grant), std::nullopt, std::move(*consent)};
  if (*session && *user) {
    found.browser = BrowserSessionWithUser{std::move(**session), std::move(**user)};
  }
  return std::optional<GrantForConsent>(std::move(found));
}

Result<bool, StorageError> SqlAuthorizationGrantRepository::cancel(
    const Clock& clock, const domain::AuthorizationGrantId& id) {
  return changedAny(
      session_.execute("UPDATE authorization_grants SET cancelled_at = $2 "
                       "WHERE id = $1 AND exchanged_at IS NULL AND cancelled_at IS NULL",
                       {id, clock.now()}));
}

// --- OAuth sessions ------------------------------------------------------

Result<domain::OAuthSession, StorageError> SqlOAuthSessionRepository::add(
    Rng& rng, const Clock& clock, const NewOAuthSession& session) {
  domain::OAuthSession added;
  added.id = domain::OAuthSessionId(core::newUlid(rng, clock));
  added.client_id = session.client_id;
  added.user_id = session.user_id;
  added.scope = session.scope;
  added.device_id = session.device_id;
  added.created_at = clock.now();
  added.user_agent = session.user_agent;
  added.authenticated_at = session.authenticated_at;
  // Its failure (an unknown client or user) may surface at the next
  // statement or the commit instead (Session::executeLater).
  auto inserted = session_.executeLater(
      "INSERT INTO oauth_sessions (id, client_id, user_id, scope, device_id, created_at, "
      "user_agent, authenticated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {added.id, added.client_id, added.user_id, added.scope, added.device_id, added.created_at,
       added.user_agent, added.authenticated_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::OAuthSession>, StorageError> SqlOAuthSessionRepository::lookup(
    const domain::OAuthSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns, " FROM oauth_sessions WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readSession);
}

Result<std::optional<domain::OAuthSession>, StorageError>
SqlOAuthSessionRepository::lookupForUpdate(const domain::OAuthSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns, " FROM oauth_sessions WHERE id = $1"});
  static const std::string kLocking = kSql + " FOR UPDATE";
  auto found = readOptional(
      session_.queryOptional(session_.supportsRowLocks() ? kLocking : kSql, {id}), &readSession);
  if (found && *found && (*found)->isActive()) {
    session_.rememberCheckedLock("oauth_sessions:" + id.str());
  }
  return found;
}

Result<std::optional<OAuthSessionWithUser>, StorageError>
SqlOAuthSessionRepository::lookupForUpdateWithUser(const domain::OAuthSessionId& id) {
  static const std::string kSql =
      sql({"SELECT ", qualified("s", kSessionColumns), ", ", qualified("u", kUserColumns),
           " FROM oauth_sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id = $1"});
  static const std::string kLocking = kSql + " FOR UPDATE OF s";
  auto row = session_.queryOptional(session_.supportsRowLocks() ? kLocking : kSql, {id});
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<OAuthSessionWithUser>();
  auto [session_part, user_part] = splitRow(std::move(**row), columnCount(kSessionColumns));
  auto session = readSession(session_part);
  if (!session) return unexpected(session.error());
  auto user = readJoined(user_part, &readUser);
  if (!user) return unexpected(user.error());
  if (session->isActive()) session_.rememberCheckedLock("oauth_sessions:" + id.str());
  return std::optional<OAuthSessionWithUser>(
      OAuthSessionWithUser{std::move(*session), std::move(*user)});
}

Result<bool, StorageError> SqlOAuthSessionRepository::finish(const Clock& clock,
                                                             const domain::OAuthSessionId& id) {
  Timestamp now = clock.now();
  session_.forgetCheckedLock("oauth_sessions:" + id.str());
  auto finished = changedAny(session_.execute(
      "UPDATE oauth_sessions SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL",
      {id, now}));
  if (!finished || !*finished) return finished;
  // Every token of the session dies with it, in the same transaction, so
  // that no caller can commit a finished session with live tokens.
  auto access = session_.execute(
      "UPDATE oauth_access_tokens SET revoked_at = $2 "
      "WHERE session_id = $1 AND revoked_at IS NULL",
      {id, now});
  if (!access) return unexpected(access.error());
  auto refresh = session_.execute(
      "UPDATE oauth_refresh_tokens SET revoked_at = $2 "
      "WHERE session_id = $1 AND revoked_at IS NULL",
      {id, now});
  if (!refresh) return unexpected(refresh.error());
  return true;
}

Result<std::vector<domain::OAuthSession>, StorageError>
SqlOAuthSessionRepository::listActiveForUser(const domain::UserId& user, const Page& page) {
  // Newest first, so the keyset bound is "older than the last id seen".
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns,
           " FROM oauth_sessions WHERE user_id = $1 AND finished_at IS NULL "
           "AND (CAST($2 AS TEXT) IS NULL OR id < CAST($2 AS TEXT)) ORDER BY id DESC LIMIT $3"});
  std::size_t limit = std::min(page.limit, Page::kMaxLimit);
  return readAll(session_.query(kSql, {user, page.after, limit}), &readSession);
}

Result<std::vector<domain::OAuthSession>, StorageError>
SqlOAuthSessionRepository::findActiveByDevice(const domain::UserId& user,
                                              std::string_view device_id) {
  static const std::string kSql =
      sql({"SELECT ", kSessionColumns,
           " FROM oauth_sessions WHERE user_id = $1 AND device_id = $2 "
           "AND device_id IS NOT NULL AND finished_at IS NULL ORDER BY id DESC"});
  return readAll(session_.query(kSql, {user, device_id}), &readSession);
}

Result<std::vector<std::string>, StorageError> SqlOAuthSessionRepository::activeDeviceIds(
    const domain::UserId& user) {
  // Both kinds of session hold a Matrix device: an OAuth session bound to
  // one, and every compat session (sql/compat_repositories.h). UNION drops
  // the duplicates.
  auto rows = session_.query(
      "SELECT device_id FROM oauth_sessions WHERE user_id = $1 AND finished_at IS NULL "
      "AND device_id IS NOT NULL "
      "UNION SELECT device_id FROM compat_sessions WHERE user_id = $1 AND finished_at IS NULL "
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

Result<void, StorageError> SqlOAuthSessionRepository::recordActivity(
    const domain::OAuthSessionId& id, Timestamp at, std::string_view ip) {
  // Batches may arrive out of order; an older report never overwrites a
  // newer one.
  return done(
      session_.execute("UPDATE oauth_sessions SET last_active_at = $2, last_active_ip = $3 "
                       "WHERE id = $1 AND (last_active_at IS NULL OR last_active_at < $2)",
                       {id, at, ip}));
}

// --- Access tokens -------------------------------------------------------

Result<domain::AccessToken, StorageError> SqlAccessTokenRepository::add(
    Rng& rng, const Clock& clock, const domain::OAuthSessionId& session,
    std::string_view token_hash, Timestamp expires_at) {
  domain::AccessToken added{domain::AccessTokenId(core::newUlid(rng, clock)),
                            session,
                            std::string(token_hash),
                            clock.now(),
                            expires_at,
                            std::nullopt,
                            std::nullopt};
  if (auto locked = lockActiveSession(session_, session); !locked) {
    return unexpected(locked.error());
  }
  auto inserted = session_.executeLater(
      "INSERT INTO oauth_access_tokens (id, session_id, token_hash, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {added.id, added.session_id, added.token_hash, added.created_at, added.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::AccessToken>, StorageError> SqlAccessTokenRepository::lookup(
    const domain::AccessTokenId& id) {
  static const std::string kSql =
      sql({"SELECT ", kAccessTokenColumns, " FROM oauth_access_tokens WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readAccessToken);
}

Result<std::optional<domain::AccessToken>, StorageError> SqlAccessTokenRepository::findByHash(
    std::string_view token_hash) {
  // Introspection's hot path: one lookup on the unique token_hash index.
  static const std::string kSql =
      sql({"SELECT ", kAccessTokenColumns, " FROM oauth_access_tokens WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readAccessToken);
}

Result<void, StorageError> SqlAccessTokenRepository::markUsed(const domain::AccessTokenId& id,
                                                              Timestamp at) {
  return done(session_.execute(
      "UPDATE oauth_access_tokens SET first_used_at = $2 WHERE id = $1 AND first_used_at IS NULL",
      {id, at}));
}

Result<bool, StorageError> SqlAccessTokenRepository::revoke(const Clock& clock,
                                                            const domain::AccessTokenId& id) {
  return changedAny(session_.execute(
      "UPDATE oauth_access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      {id, clock.now()}));
}

Result<void, StorageError> SqlAccessTokenRepository::retire(const Clock& clock,
                                                            const domain::AccessTokenId& id) {
  // On PostgreSQL a plain revocation NOTIFYs the other instances, and a
  // NOTIFY queues every commit on one lock through its WAL flush: the
  // function revokes without it (migration 20261219200000).
  if (session_.notifiesRevocations()) {
    return session_.executeLater("SELECT mxauth_retire_access_token($1, $2)", {id, clock.now()});
  }
  return session_.executeLater(
      "UPDATE oauth_access_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      {id, clock.now()});
}

// --- Refresh tokens ------------------------------------------------------

Result<domain::RefreshToken, StorageError> SqlRefreshTokenRepository::add(
    Rng& rng, const Clock& clock, const domain::OAuthSessionId& session,
    std::string_view token_hash, const domain::AccessTokenId& access_token,
    std::optional<Timestamp> expires_at) {
  domain::RefreshToken added;
  added.id = domain::RefreshTokenId(core::newUlid(rng, clock));
  added.session_id = session;
  added.token_hash = std::string(token_hash);
  added.access_token_id = access_token;
  added.created_at = clock.now();
  added.expires_at = expires_at;
  if (auto locked = lockActiveSession(session_, session); !locked) {
    return unexpected(locked.error());
  }
  auto inserted = session_.executeLater(
      "INSERT INTO oauth_refresh_tokens (id, session_id, token_hash, access_token_id, "
      "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      {added.id, added.session_id, added.token_hash, added.access_token_id, added.created_at,
       added.expires_at});
  if (!inserted) return unexpected(inserted.error());
  return added;
}

Result<std::optional<domain::RefreshToken>, StorageError> SqlRefreshTokenRepository::lookup(
    const domain::RefreshTokenId& id) {
  static const std::string kSql =
      sql({"SELECT ", kRefreshTokenColumns, " FROM oauth_refresh_tokens WHERE id = $1"});
  return readOptional(session_.queryOptional(kSql, {id}), &readRefreshToken);
}

Result<std::optional<domain::RefreshToken>, StorageError> SqlRefreshTokenRepository::findByHash(
    std::string_view token_hash) {
  static const std::string kSql =
      sql({"SELECT ", kRefreshTokenColumns, " FROM oauth_refresh_tokens WHERE token_hash = $1"});
  return readOptional(session_.queryOptional(kSql, {token_hash}), &readRefreshToken);
}

Result<bool, StorageError> SqlRefreshTokenRepository::consume(
    const Clock& clock, const domain::RefreshTokenId& id, const domain::RefreshTokenId& successor) {
  // Rotation's single-use step (RFC 9700 §4.14.2): one conditional UPDATE.
  return changedAny(
      session_.execute("UPDATE oauth_refresh_tokens SET consumed_at = $2, "
                       "next_refresh_token_id = $3 "
                       "WHERE id = $1 AND consumed_at IS NULL AND revoked_at IS NULL",
                       {id, clock.now(), successor}));
}

Result<bool, StorageError> SqlRefreshTokenRepository::replaceSuccessor(
    const domain::RefreshTokenId& id, const domain::RefreshTokenId& expected_successor,
    const domain::RefreshTokenId& new_successor) {
  return changedAny(
      session_.execute("UPDATE oauth_refresh_tokens SET next_refresh_token_id = $3 "
                       "WHERE id = $1 AND next_refresh_token_id = $2 AND revoked_at IS NULL",
                       {id, expected_successor, new_successor}));
}

Result<bool, StorageError> SqlRefreshTokenRepository::revoke(const Clock& clock,
                                                             const domain::RefreshTokenId& id) {
  return changedAny(session_.execute(
      "UPDATE oauth_refresh_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
      {id, clock.now()}));
}

}  // namespace mxauth::storage::sql
