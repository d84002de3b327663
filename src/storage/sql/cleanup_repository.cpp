#include "storage/sql/cleanup_repository.h"

#include <string>
#include <string_view>

#include "core/ulid.h"
#include "storage/sql/repository_support.h"

namespace mxauth::storage::sql {
namespace {

// The rules of storage/cleanup_repository.h as conditions on the row `t`.
// Parameters: $1 the cutoff; $5, only where the rule has an `extra`: the
// caller's now, or the earliest start of a browser session that may still
// be alive.
// $2, $3 and $4 bound the id range (see statements()). Lookups of other
// rows are scalar subqueries: PostgreSQL runs them as one index probe per
// row examined, where NOT EXISTS may become a hash of the whole table.
enum class Extra { None, Now, LiveSessionsBegunAfter };

struct CleanupRule {
  std::string_view table;
  std::string_view condition;
  Extra extra = Extra::None;
  // Chained by next_refresh_token_id within a session.
  bool chained = false;
};

// A refresh token stays while it is the last rotation: consumed, with a
// successor still usable (isUsableAt in domain/oauth.h).
constexpr std::string_view kOAuthRefreshDead =
    "t.revoked_at < $1 "
    "OR (t.consumed_at IS NULL AND t.expires_at < $1) "
    "OR (t.consumed_at < $1 AND (SELECT s.consumed_at IS NULL AND s.revoked_at IS NULL "
    "AND (s.expires_at IS NULL OR s.expires_at > $5) "
    "FROM oauth_refresh_tokens s WHERE s.id = t.next_refresh_token_id) IS NOT TRUE)";

// The session scopes the lookup: SQLite has no index on access_token_id
// (20261217000000_oauth_token_tables.sql), and a pair is always issued
// into one session.
constexpr std::string_view kOAuthAccessDead =
    "(t.expires_at < $1 OR t.revoked_at < $1) AND (SELECT 1 FROM oauth_refresh_tokens r "
    "WHERE r.session_id = t.session_id AND r.access_token_id = t.id LIMIT 1) IS NULL";

constexpr std::string_view kOAuthSessionDead =
    "t.finished_at < $1 "
    "AND (SELECT 1 FROM oauth_access_tokens a WHERE a.session_id = t.id LIMIT 1) IS NULL "
    "AND (SELECT 1 FROM oauth_refresh_tokens r WHERE r.session_id = t.id LIMIT 1) IS NULL";

constexpr std::string_view kCompatRefreshDead =
    "t.revoked_at < $1 "
    "OR (t.consumed_at < $1 AND (SELECT s.consumed_at IS NULL AND s.revoked_at IS NULL "
    "FROM compat_refresh_tokens s WHERE s.id = t.next_refresh_token_id) IS NOT TRUE)";

constexpr std::string_view kCompatAccessDead =
    "(t.expires_at < $1 OR t.revoked_at < $1) AND (SELECT 1 FROM compat_refresh_tokens r "
    "WHERE r.session_id = t.session_id AND r.access_token_id = t.id LIMIT 1) IS NULL";

constexpr std::string_view kCompatSessionDead =
    "t.finished_at < $1 "
    "AND (SELECT 1 FROM compat_access_tokens a WHERE a.session_id = t.id LIMIT 1) IS NULL "
    "AND (SELECT 1 FROM compat_refresh_tokens r WHERE r.session_id = t.id LIMIT 1) IS NULL";

// An exchanged code, or one issued and then cancelled, presented again
// ends its session (oauth/grants/authorization_code_grant.cpp): such a
// grant goes with its session.
constexpr std::string_view kAuthorizationGrantDead =
    "t.created_at < $1 AND t.exchanged_at IS NULL "
    "AND (t.fulfilled_at IS NULL OR t.cancelled_at IS NULL)";

// A browser session named by a grant, device code grant or legacy SSO
// login goes with them: deleting it would cascade to a grant kept for
// replay detection.
constexpr std::string_view kBrowserSessionDead =
    "(t.finished_at < $1 OR t.created_at < $5) "
    "AND (SELECT 1 FROM authorization_grants g WHERE g.browser_session_id = t.id LIMIT 1) IS NULL "
    "AND (SELECT 1 FROM device_code_grants d WHERE d.browser_session_id = t.id LIMIT 1) IS NULL "
    "AND (SELECT 1 FROM compat_sso_logins c WHERE c.browser_session_id = t.id LIMIT 1) IS NULL";

constexpr std::string_view kFinishedBeforeCutoff = "t.finished_at < $1";
constexpr std::string_view kExpiredBeforeCutoff = "t.expires_at < $1";
constexpr std::string_view kCreatedBeforeCutoff = "t.created_at < $1";

CleanupRule ruleOf(CleanupTarget target) {
  switch (target) {
    case CleanupTarget::OAuthRefreshTokens:
      return {.table = "oauth_refresh_tokens",
              .condition = kOAuthRefreshDead,
              .extra = Extra::Now,
              .chained = true};
    case CleanupTarget::OAuthAccessTokens:
      return {.table = "oauth_access_tokens",
              .condition = kOAuthAccessDead,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::OAuthSessions:
      return {.table = "oauth_sessions",
              .condition = kOAuthSessionDead,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::CompatRefreshTokens:
      return {.table = "compat_refresh_tokens",
              .condition = kCompatRefreshDead,
              .extra = Extra::None,
              .chained = true};
    case CleanupTarget::CompatAccessTokens:
      return {.table = "compat_access_tokens",
              .condition = kCompatAccessDead,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::CompatSessions:
      return {.table = "compat_sessions",
              .condition = kCompatSessionDead,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::AuthorizationGrants:
      return {.table = "authorization_grants",
              .condition = kAuthorizationGrantDead,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::DeviceCodeGrants:
      return {.table = "device_code_grants",
              .condition = kExpiredBeforeCutoff,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::CompatSsoLogins:
      return {.table = "compat_sso_logins",
              .condition = kCreatedBeforeCutoff,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::UserEmailCodes:
      return {.table = "user_email_codes",
              .condition = kExpiredBeforeCutoff,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::RecoveryTickets:
      return {.table = "recovery_tickets",
              .condition = kExpiredBeforeCutoff,
              .extra = Extra::None,
              .chained = false};
    case CleanupTarget::BrowserSessions:
      return {.table = "browser_sessions",
              .condition = kBrowserSessionDead,
              .extra = Extra::LiveSessionsBegunAfter,
              .chained = false};
    case CleanupTarget::Jobs:
      return {.table = "jobs",
              .condition = kFinishedBeforeCutoff,
              .extra = Extra::None,
              .chained = false};
  }
  return {};
}

// Rows a call examines per row it may delete: the work of a call stays
// bounded however many old rows stay (an old session still in use).
constexpr std::int64_t kExaminedPerDeleted = 10;

struct Statements {
  std::string select;
  std::string remove;
};

// $2: where the previous call stopped ("" before the first);
// $3: the least ULID of the cutoff's millisecond, since a row dead before
// the cutoff was created before it (a range of the primary key);
// $4: the select's LIMIT, then the delete's greatest id.
Statements statements(const CleanupRule& rule) {
  const std::string table(rule.table);
  const std::string range = "t.id > $2 AND t.id < $3";
  const std::string dead = "(" + std::string(rule.condition) + ")";
  Statements built;
  built.select = "SELECT t.id, CASE WHEN " + dead + " THEN 1 ELSE 0 END FROM " + table +
                 " t WHERE " + range + " ORDER BY t.id LIMIT $4";
  if (!rule.chained) {
    built.remove = "DELETE FROM " + table + " WHERE id IN (SELECT t.id FROM " + table +
                   " t WHERE " + range + " AND t.id <= $4 AND " + dead + ")";
    return built;
  }
  // `blocked`: the candidates that must stay because a row that stays
  // points at them, starting with those whose predecessor is not a
  // candidate, then their successors in turn.
  built.remove =
      "DELETE FROM " + table +
      " WHERE id IN (WITH RECURSIVE "
      "candidates AS (SELECT t.id, t.session_id, t.next_refresh_token_id AS next_id FROM " +
      table + " t WHERE " + range + " AND t.id <= $4 AND " + dead +
      "), "
      "blocked(id) AS ("
      "SELECT c.id FROM candidates c WHERE c.id IN ("
      "SELECT p.next_refresh_token_id FROM " +
      table +
      " p WHERE p.session_id IN (SELECT session_id FROM candidates) "
      "AND p.next_refresh_token_id IS NOT NULL "
      "AND p.id NOT IN (SELECT id FROM candidates)) "
      "UNION "
      "SELECT c.next_id FROM blocked b JOIN candidates c ON c.id = b.id "
      "WHERE c.next_id IS NOT NULL) "
      "SELECT id FROM candidates WHERE id NOT IN (SELECT id FROM blocked))";
  return built;
}

}  // namespace

Result<CleanupBatch, StorageError> SqlCleanupRepository::deleteBatch(
    CleanupTarget target, const CleanupHorizon& horizon, std::int64_t limit,
    const std::optional<std::string>& after) {
  const CleanupRule rule = ruleOf(target);
  const Statements sql = statements(rule);
  const std::string from = after.value_or("");
  const std::string bound = core::ulidFloor(horizon.cutoff);
  const std::int64_t examine = limit * kExaminedPerDeleted;
  std::optional<Timestamp> extra;
  switch (rule.extra) {
    case Extra::None:
      break;
    case Extra::Now:
      extra = horizon.now;
      break;
    case Extra::LiveSessionsBegunAfter:
      extra = horizon.cutoff - horizon.browser_session_lifetime;
      break;
  }
  const Timestamp cutoff = horizon.cutoff;
  auto rows = extra ? session_.query(sql.select, {cutoff, from, bound, examine, *extra})
                    : session_.query(sql.select, {cutoff, from, bound, examine});
  if (!rows) return unexpected(rows.error());
  // The range this call deletes in: up to the limit-th dead row, or all it
  // examined.
  std::optional<std::string> last;
  std::int64_t dead = 0;
  for (const Row& row : *rows) {
    RowReader reader(row);
    std::string id = reader.text();
    const bool is_dead = reader.integer() != 0;
    if (auto error = reader.error()) return unexpected(*error);
    last = std::move(id);
    if (is_dead && ++dead == limit) break;
  }
  CleanupBatch batch;
  const bool more = dead == limit || static_cast<std::int64_t>(rows->size()) == examine;
  if (more) batch.resume_after = last;
  if (dead == 0) return batch;
  auto deleted = extra ? session_.execute(sql.remove, {cutoff, from, bound, *last, *extra})
                       : session_.execute(sql.remove, {cutoff, from, bound, *last});
  if (!deleted) return unexpected(deleted.error());
  batch.deleted = *deleted;
  return batch;
}

}  // namespace mxauth::storage::sql
