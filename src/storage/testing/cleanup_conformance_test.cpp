#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/cleanup_repository.h"
#include "storage/testing/oauth_conformance.h"

// CleanupRepository (storage/cleanup_repository.h): what the periodic
// cleanup deletes, and above all what it must keep — the last rotation of
// a refresh token family (reuse detection), the access token of a refresh
// token that stays, a session that still has tokens, live flows — and that
// bounded batches, repeated, finish the job without ever leaving a refresh
// token pointing at a deleted successor (a foreign key on PostgreSQL).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::CleanupTarget;

constexpr Duration kCleanupRetention = std::chrono::hours(24 * 7);

// Rows deleted per table by one sweep.
using Swept = std::map<std::string, std::int64_t, std::less<>>;

std::int64_t sweptFrom(const Swept& swept, std::string_view table) {
  auto found = swept.find(table);
  return found == swept.end() ? 0 : found->second;
}

std::int64_t sweptTotal(const Swept& swept) {
  std::int64_t total = 0;
  for (const auto& [table, count] : swept) total += count;
  return total;
}

template <class T>
T cleanupValue(Result<T, storage::StorageError> result, std::string_view what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << storage::toString(result.error().code) << ": "
                  << result.error().detail;
    return T{};
  }
  return std::move(*result);
}

struct TokenPair {
  domain::AccessToken access;
  domain::RefreshToken refresh;
};

struct CompatPair {
  domain::CompatAccessToken access;
  domain::CompatRefreshToken refresh;
};

class CleanupConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    alice_ = addUser("alice");
    client_ = addClient();
  }

  static storage::CleanupHorizon horizon(Timestamp now) {
    return {.now = now,
            .cutoff = now - kCleanupRetention,
            .browser_session_lifetime = domain::kBrowserSessionLifetime};
  }

  // One run of the cleanup at the clock's now: every target in order, each
  // in batches of `limit` (one transaction per batch) to the end.
  Swept sweep(std::int64_t limit = 1000) {
    Swept swept;
    const Timestamp now = clock_.now();
    for (CleanupTarget target : storage::kCleanupOrder) {
      std::optional<std::string> after;
      for (int batches = 0; batches < 1000; ++batches) {
        auto tx = begin();
        auto batch = tx->cleanup().deleteBatch(target, horizon(now), limit, after);
        if (!batch) {
          ADD_FAILURE() << storage::tableName(target) << ": " << batch.error().detail;
          return swept;
        }
        auto committed = tx->commit();
        if (!committed) ADD_FAILURE() << "commit: " << committed.error().detail;
        swept[std::string(storage::tableName(target))] += batch->deleted;
        if (!batch->resume_after) break;
        after = batch->resume_after;
      }
    }
    return swept;
  }

  domain::OAuthSession session() { return addSession(client_, alice_); }

  TokenPair addPair(const domain::OAuthSession& session, std::string_view label,
                    std::optional<Timestamp> refresh_expires_at = std::nullopt) {
    auto tx = begin();
    TokenPair pair;
    pair.access = cleanupValue(
        tx->accessTokens().add(rng_, clock_, session.id, fakeHash(std::string(label) + "-at"),
                               clock_.now() + 5min),
        "add access token");
    pair.refresh = cleanupValue(
        tx->refreshTokens().add(rng_, clock_, session.id, fakeHash(std::string(label) + "-rt"),
                                pair.access.id, refresh_expires_at),
        "add refresh token");
    EXPECT_TRUE(tx->commit());
    return pair;
  }

  // What the refresh grant does: a new pair, the old refresh token consumed
  // into it, the old access token revoked.
  TokenPair rotate(const domain::OAuthSession& session, const TokenPair& old,
                   std::string_view label) {
    TokenPair next = addPair(session, label);
    auto tx = begin();
    EXPECT_TRUE(cleanupValue(tx->refreshTokens().consume(clock_, old.refresh.id, next.refresh.id),
                             "consume"));
    EXPECT_TRUE(cleanupValue(tx->accessTokens().revoke(clock_, old.access.id), "revoke"));
    EXPECT_TRUE(tx->commit());
    return next;
  }

  void finish(const domain::OAuthSession& session) {
    auto tx = begin();
    EXPECT_TRUE(cleanupValue(tx->oauthSessions().finish(clock_, session.id), "finish"));
    EXPECT_TRUE(tx->commit());
  }

  bool hasAccess(const domain::AccessToken& token) {
    return cleanupValue(begin()->accessTokens().lookup(token.id), "lookup").has_value();
  }
  bool hasRefresh(const domain::RefreshToken& token) {
    return cleanupValue(begin()->refreshTokens().lookup(token.id), "lookup").has_value();
  }
  bool hasSession(const domain::OAuthSession& session) {
    return cleanupValue(begin()->oauthSessions().lookup(session.id), "lookup").has_value();
  }

  domain::CompatSession compatSession(std::string device_id) {
    auto tx = begin();
    storage::NewCompatSession session;
    session.user_id = alice_.id;
    session.device_id = std::move(device_id);
    session.user_agent = "test-agent";
    auto added = cleanupValue(tx->compatSessions().add(rng_, clock_, session), "add session");
    EXPECT_TRUE(tx->commit());
    return added;
  }

  domain::CompatAccessToken addCompatAccess(const domain::CompatSession& session,
                                            std::string_view label,
                                            std::optional<Timestamp> expires_at) {
    auto tx = begin();
    auto added = cleanupValue(
        tx->compatAccessTokens().add(rng_, clock_, session.id, fakeHash(label), expires_at),
        "add compat access token");
    EXPECT_TRUE(tx->commit());
    return added;
  }

  CompatPair addCompatPair(const domain::CompatSession& session, std::string_view label) {
    CompatPair pair;
    pair.access = addCompatAccess(session, std::string(label) + "-at", clock_.now() + 5min);
    auto tx = begin();
    pair.refresh = cleanupValue(
        tx->compatRefreshTokens().add(rng_, clock_, session.id,
                                      fakeHash(std::string(label) + "-rt"), pair.access.id),
        "add compat refresh token");
    EXPECT_TRUE(tx->commit());
    return pair;
  }

  CompatPair rotateCompat(const domain::CompatSession& session, const CompatPair& old,
                          std::string_view label) {
    CompatPair next = addCompatPair(session, label);
    auto tx = begin();
    EXPECT_TRUE(cleanupValue(
        tx->compatRefreshTokens().consume(clock_, old.refresh.id, next.refresh.id), "consume"));
    EXPECT_TRUE(cleanupValue(tx->compatAccessTokens().revoke(clock_, old.access.id), "revoke"));
    EXPECT_TRUE(tx->commit());
    return next;
  }

  bool hasCompatAccess(const domain::CompatAccessToken& token) {
    return cleanupValue(begin()->compatAccessTokens().lookup(token.id), "lookup").has_value();
  }
  bool hasCompatRefresh(const domain::CompatRefreshToken& token) {
    return cleanupValue(begin()->compatRefreshTokens().lookup(token.id), "lookup").has_value();
  }
  bool hasCompatSession(const domain::CompatSession& session) {
    return cleanupValue(begin()->compatSessions().lookup(session.id), "lookup").has_value();
  }

  domain::User alice_;
  domain::OAuthClient client_;
};

TEST_P(CleanupConformanceTest, ExpiredAndRevokedAccessTokensGoOnlyOnceTheRetentionHasPassed) {
  domain::OAuthSession active = session();
  domain::AccessToken expiring = addAccessToken(active, fakeHash("expiring"));
  domain::AccessToken revoked = addAccessToken(active, fakeHash("revoked"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->accessTokens().revoke(clock_, revoked.id));
    ASSERT_TRUE(tx->commit());
  }

  // Revoked exactly a retention ago, expired less than that: both stay.
  clock_.advance(kCleanupRetention);
  domain::AccessToken fresh = addAccessToken(active, fakeHash("fresh"));
  EXPECT_EQ(sweptTotal(sweep()), 0);
  EXPECT_TRUE(hasAccess(revoked));
  EXPECT_TRUE(hasAccess(expiring));

  clock_.advance(6min);
  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 2);
  EXPECT_EQ(sweptTotal(swept), 2);
  EXPECT_FALSE(hasAccess(revoked));
  EXPECT_FALSE(hasAccess(expiring));
  EXPECT_TRUE(hasAccess(fresh));
  EXPECT_TRUE(hasSession(active));  // an active session stays, tokens or not
}

TEST_P(CleanupConformanceTest, TheLastRotationAndItsSuccessorStayForReuseDetection) {
  domain::OAuthSession active = session();
  TokenPair first = addPair(active, "first");
  clock_.advance(1h);
  TokenPair second = rotate(active, first, "second");
  clock_.advance(1h);
  TokenPair third = rotate(active, second, "third");
  clock_.advance(30 * 24h);

  // `second` was consumed into `third`, still usable: presenting `second`
  // again must still find it pointing at `third`, and the retry of a lost
  // response reads `third`'s access token.
  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "oauth_refresh_tokens"), 1);
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 1);
  EXPECT_EQ(sweptTotal(swept), 2);
  EXPECT_FALSE(hasRefresh(first.refresh));
  EXPECT_FALSE(hasAccess(first.access));
  auto kept = cleanupValue(begin()->refreshTokens().lookup(second.refresh.id), "lookup");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->next_refresh_token_id, third.refresh.id);
  EXPECT_TRUE(hasRefresh(third.refresh));
  EXPECT_TRUE(hasAccess(second.access));  // revoked, but `second` refers to it
  EXPECT_TRUE(hasAccess(third.access));   // expired, but `third` refers to it

  // Once `third` is rotated in its turn, `second` is an old generation.
  TokenPair fourth = rotate(active, third, "fourth");
  clock_.advance(kCleanupRetention + 1min);
  swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "oauth_refresh_tokens"), 1);
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 1);
  EXPECT_FALSE(hasRefresh(second.refresh));
  EXPECT_FALSE(hasAccess(second.access));
  EXPECT_TRUE(hasRefresh(third.refresh));
  EXPECT_TRUE(hasAccess(third.access));
  EXPECT_TRUE(hasRefresh(fourth.refresh));
  EXPECT_TRUE(hasAccess(fourth.access));
  EXPECT_TRUE(hasSession(active));
}

TEST_P(CleanupConformanceTest, AConsumedTokenGoesWithASuccessorThatExpiredOrWasRevoked) {
  domain::OAuthSession active = session();
  // A family whose last token expired unused.
  TokenPair old = addPair(active, "old");
  TokenPair expired = addPair(active, "expired", clock_.now() + 1h);
  // A family whose last token was revoked (RFC 7009).
  TokenPair other = addPair(active, "other");
  TokenPair revoked = addPair(active, "revoked");
  // A token that expires in a year: usable, it stays.
  TokenPair lasting = addPair(active, "lasting", clock_.now() + 365 * 24h);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, old.refresh.id, expired.refresh.id));
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, other.refresh.id, revoked.refresh.id));
    ASSERT_TRUE(*tx->refreshTokens().revoke(clock_, revoked.refresh.id));
    ASSERT_TRUE(tx->commit());
  }

  clock_.advance(kCleanupRetention + 2h);
  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "oauth_refresh_tokens"), 4);
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 4);
  EXPECT_FALSE(hasRefresh(old.refresh));
  EXPECT_FALSE(hasRefresh(expired.refresh));
  EXPECT_FALSE(hasRefresh(other.refresh));
  EXPECT_FALSE(hasRefresh(revoked.refresh));
  EXPECT_TRUE(hasRefresh(lasting.refresh));
  EXPECT_TRUE(hasAccess(lasting.access));
}

TEST_P(CleanupConformanceTest, ASuccessorStaysWhileItsPredecessorDoes) {
  domain::OAuthSession active = session();
  // `late` was revoked long ago, but `early` was consumed into it only
  // recently (its successor was already unusable): `early` stays for the
  // retention, and `late` must stay with it.
  TokenPair late = addPair(active, "late");
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->refreshTokens().revoke(clock_, late.refresh.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(8 * 24h);
  TokenPair early = addPair(active, "early");
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, early.refresh.id, late.refresh.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(24h);

  // With a batch of one, `late` (the smaller id) is examined alone.
  EXPECT_EQ(sweptFrom(sweep(1), "oauth_refresh_tokens"), 0);
  EXPECT_EQ(sweptFrom(sweep(), "oauth_refresh_tokens"), 0);
  EXPECT_TRUE(hasRefresh(late.refresh));
  EXPECT_TRUE(hasRefresh(early.refresh));

  // Both dead now; a batch of one examines `late` first and keeps it for
  // its predecessor, deletes `early`, and leaves `late` to the next run.
  clock_.advance(kCleanupRetention);
  EXPECT_EQ(sweptFrom(sweep(1), "oauth_refresh_tokens"), 1);
  EXPECT_FALSE(hasRefresh(early.refresh));
  EXPECT_TRUE(hasRefresh(late.refresh));
  EXPECT_EQ(sweptFrom(sweep(1), "oauth_refresh_tokens"), 1);
  EXPECT_FALSE(hasRefresh(late.refresh));
}

TEST_P(CleanupConformanceTest, ALongRotationChainGoesInBatchesOfTheLimit) {
  domain::OAuthSession active = session();
  TokenPair pair = addPair(active, "g0");
  std::vector<TokenPair> generations = {pair};
  for (int i = 1; i <= 7; ++i) {
    clock_.advance(10min);
    generations.push_back(rotate(active, generations.back(), "g" + std::to_string(i)));
  }
  clock_.advance(kCleanupRetention + 1h);

  // Generations 0-5 are dead; 6 is the last rotation, 7 the live token.
  Swept swept = sweep(2);
  EXPECT_EQ(sweptFrom(swept, "oauth_refresh_tokens"), 6);
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 6);
  for (int i = 0; i <= 5; ++i) EXPECT_FALSE(hasRefresh(generations[i].refresh)) << i;
  EXPECT_TRUE(hasRefresh(generations[6].refresh));
  EXPECT_TRUE(hasRefresh(generations[7].refresh));
  EXPECT_TRUE(hasAccess(generations[6].access));
  EXPECT_TRUE(hasAccess(generations[7].access));
  EXPECT_EQ(sweptTotal(sweep(2)), 0);
}

TEST_P(CleanupConformanceTest, BatchesOfTheLimitRepeatedFinishTheJob) {
  domain::OAuthSession active = session();
  for (int i = 0; i < 7; ++i) addAccessToken(active, fakeHash("old" + std::to_string(i)));
  clock_.advance(kCleanupRetention + 1h);
  domain::AccessToken live = addAccessToken(active, fakeHash("live"));
  const Timestamp now = clock_.now();

  // Each call from the start, as separate runs would: 3, 3, 1, then none.
  std::vector<std::int64_t> deleted;
  for (int run = 0; run < 4; ++run) {
    auto tx = begin();
    auto batch =
        tx->cleanup().deleteBatch(CleanupTarget::OAuthAccessTokens, horizon(now), 3, std::nullopt);
    ASSERT_TRUE(batch.has_value()) << batch.error().detail;
    ASSERT_TRUE(tx->commit());
    deleted.push_back(batch->deleted);
    EXPECT_EQ(batch->resume_after.has_value(), run < 2) << run;
  }
  EXPECT_EQ(deleted, (std::vector<std::int64_t>{3, 3, 1, 0}));
  EXPECT_TRUE(hasAccess(live));
}

TEST_P(CleanupConformanceTest, AFinishedSessionGoesWithItsTokensOnceTheRetentionHasPassed) {
  domain::OAuthSession ended = session();
  TokenPair first = addPair(ended, "first");
  TokenPair second = rotate(ended, first, "second");
  domain::AuthorizationGrant grant = addFulfilledGrant(client_, alice_, fakeHash("code"));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("code"))->has_value());
    ASSERT_TRUE(tx->commit());
  }
  ASSERT_TRUE(grant.session_id.has_value());
  domain::OAuthSession granted =
      *cleanupValue(begin()->oauthSessions().lookup(*grant.session_id), "lookup granted session");
  finish(ended);
  finish(granted);
  domain::OAuthSession active = session();
  TokenPair live = addPair(active, "live");

  clock_.advance(kCleanupRetention - 1min);
  EXPECT_EQ(sweptTotal(sweep()), 0);
  EXPECT_TRUE(hasSession(ended));
  EXPECT_TRUE(hasRefresh(second.refresh));

  clock_.advance(2min);
  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "oauth_refresh_tokens"), 2);
  EXPECT_EQ(sweptFrom(swept, "oauth_access_tokens"), 2);
  EXPECT_EQ(sweptFrom(swept, "oauth_sessions"), 2);
  EXPECT_EQ(sweptTotal(swept), 6);
  EXPECT_FALSE(hasSession(ended));
  EXPECT_FALSE(hasSession(granted));
  EXPECT_FALSE(hasRefresh(second.refresh));
  EXPECT_FALSE(cleanupValue(begin()->authorizationGrants().lookup(grant.id), "lookup").has_value());
  EXPECT_TRUE(hasSession(active));
  EXPECT_TRUE(hasRefresh(live.refresh));
  EXPECT_TRUE(hasAccess(live.access));
}

TEST_P(CleanupConformanceTest, CompatTokensAndSessionsFollowTheSameRules) {
  domain::CompatSession active = compatSession("ACTIVEDEV");
  CompatPair first = addCompatPair(active, "c-first");
  CompatPair second = rotateCompat(active, first, "c-second");
  CompatPair third = rotateCompat(active, second, "c-third");
  domain::CompatAccessToken forever = addCompatAccess(active, "c-forever", std::nullopt);
  domain::CompatSession ended = compatSession("ENDEDDEV");
  domain::CompatAccessToken ended_token = addCompatAccess(ended, "c-ended", std::nullopt);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->compatSessions().finish(clock_, ended.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(kCleanupRetention - 1min);
  EXPECT_EQ(sweptTotal(sweep()), 0);

  clock_.advance(2min);
  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "compat_refresh_tokens"), 1);
  EXPECT_EQ(sweptFrom(swept, "compat_access_tokens"), 2);
  EXPECT_EQ(sweptFrom(swept, "compat_sessions"), 1);
  EXPECT_EQ(sweptTotal(swept), 4);
  EXPECT_FALSE(hasCompatRefresh(first.refresh));
  EXPECT_FALSE(hasCompatAccess(first.access));
  EXPECT_FALSE(hasCompatAccess(ended_token));
  EXPECT_FALSE(hasCompatSession(ended));
  auto kept = cleanupValue(begin()->compatRefreshTokens().lookup(second.refresh.id), "lookup");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->next_refresh_token_id, third.refresh.id);
  EXPECT_TRUE(hasCompatAccess(second.access));
  EXPECT_TRUE(hasCompatRefresh(third.refresh));
  EXPECT_TRUE(hasCompatAccess(third.access));
  EXPECT_TRUE(hasCompatAccess(forever));  // no expiry, not revoked
  EXPECT_TRUE(hasCompatSession(active));
}

TEST_P(CleanupConformanceTest, DeadFlowsGoAndFlowsThatMayStillMatterStay) {
  // Authorization grants: never fulfilled, or a code never exchanged, go;
  // an exchanged code, or one issued and cancelled, stays with its session
  // (presenting it again ends the session).
  domain::AuthorizationGrant pending = addGrant(client_);
  domain::AuthorizationGrant unexchanged = addFulfilledGrant(client_, alice_, fakeHash("unused"));
  domain::AuthorizationGrant exchanged = addFulfilledGrant(client_, alice_, fakeHash("used"));
  domain::AuthorizationGrant cancelled = addFulfilledGrant(client_, alice_, fakeHash("cancelled"));
  domain::DeviceCodeGrant device;
  domain::CompatSsoLogin sso;
  domain::UserEmail email;
  {
    auto tx = begin();
    ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("used"))->has_value());
    ASSERT_TRUE(*tx->authorizationGrants().cancel(clock_, cancelled.id));
    storage::NewDeviceCodeGrant grant;
    grant.client_id = client_.id;
    grant.scope = "openid";
    grant.device_code_hash = fakeHash("device");
    grant.user_code = "BCDFGHJK";
    grant.expires_at = clock_.now() + 20min;
    device = cleanupValue(tx->deviceCodeGrants().add(rng_, clock_, grant), "add device grant");
    sso = cleanupValue(tx->compatSsoLogins().add(rng_, clock_, "https://app.example.org/"),
                       "add sso login");
    email = cleanupValue(tx->userEmails().add(rng_, clock_, alice_.id, "alice@example.org"),
                         "add email");
    cleanupValue(
        tx->userEmailCodes().add(rng_, clock_, email.id, fakeHash("code"), clock_.now() + 1h),
        "add email code");
    cleanupValue(tx->recoveryTickets().add(rng_, clock_, alice_.id, email.id, fakeHash("ticket"),
                                           clock_.now() + 1h),
                 "add recovery ticket");
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(kCleanupRetention + 2h);
  domain::AuthorizationGrant recent = addGrant(client_);
  domain::CompatSsoLogin recent_sso;
  {
    auto tx = begin();
    recent_sso = cleanupValue(tx->compatSsoLogins().add(rng_, clock_, "https://app.example.org/"),
                              "add sso login");
    cleanupValue(
        tx->userEmailCodes().add(rng_, clock_, email.id, fakeHash("code2"), clock_.now() + 1h),
        "add email code");
    cleanupValue(tx->recoveryTickets().add(rng_, clock_, alice_.id, email.id, fakeHash("ticket2"),
                                           clock_.now() + 1h),
                 "add recovery ticket");
    ASSERT_TRUE(tx->commit());
  }

  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "authorization_grants"), 2);
  EXPECT_EQ(sweptFrom(swept, "device_code_grants"), 1);
  EXPECT_EQ(sweptFrom(swept, "compat_sso_logins"), 1);
  EXPECT_EQ(sweptFrom(swept, "user_email_codes"), 1);
  EXPECT_EQ(sweptFrom(swept, "recovery_tickets"), 1);
  EXPECT_EQ(sweptTotal(swept), 6);

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE(tx->authorizationGrants().lookup(pending.id)->has_value());
  EXPECT_FALSE(tx->authorizationGrants().lookup(unexchanged.id)->has_value());
  EXPECT_TRUE(tx->authorizationGrants().lookup(exchanged.id)->has_value());
  EXPECT_TRUE(tx->authorizationGrants().lookup(cancelled.id)->has_value());
  EXPECT_TRUE(tx->authorizationGrants().lookup(recent.id)->has_value());
  EXPECT_FALSE(tx->deviceCodeGrants().lookup(device.id)->has_value());
  EXPECT_FALSE(tx->compatSsoLogins().lookup(sso.id)->has_value());
  EXPECT_TRUE(tx->compatSsoLogins().lookup(recent_sso.id)->has_value());
  EXPECT_EQ(*tx->userEmailCodes().countForUserSince(alice_.id, Timestamp{}), 1);
  EXPECT_FALSE(tx->recoveryTickets().findByTokenHash(fakeHash("ticket"))->has_value());
  EXPECT_TRUE(tx->recoveryTickets().findByTokenHash(fakeHash("ticket2"))->has_value());
}

// A browser session goes once it has been over for the retention: ended
// (finished), or begun more than its lifetime ago, when no cookie can bring
// it back. One that a grant kept for replay detection, a live device code
// grant or a live legacy SSO login names stays (deleting it would cascade).
TEST_P(CleanupConformanceTest, BrowserSessionsGoOnceOverUnlessAFlowStillNamesThem) {
  domain::BrowserSession ended = addBrowserSession(alice_);
  domain::BrowserSession abandoned = addBrowserSession(alice_);  // never finished
  domain::AuthorizationGrant exchanged = addFulfilledGrant(client_, alice_, fakeHash("used"));
  ASSERT_TRUE(exchanged.browser_session_id.has_value());
  domain::BrowserSession for_device = addBrowserSession(alice_);
  domain::BrowserSession for_sso = addBrowserSession(alice_);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("used"))->has_value());
    for (const domain::BrowserSessionId& id :
         {ended.id, *exchanged.browser_session_id, for_device.id, for_sso.id}) {
      ASSERT_TRUE(*tx->browserSessions().finish(clock_, id));
    }
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(kCleanupRetention + 1h);
  // Past its lifetime an hour before the sweep: within the retention.
  domain::BrowserSession lapsed = addBrowserSession(alice_);
  clock_.advance(domain::kBrowserSessionLifetime + 1h);
  domain::BrowserSession young = addBrowserSession(alice_);
  {
    auto tx = begin();
    storage::NewDeviceCodeGrant grant;
    grant.client_id = client_.id;
    grant.scope = "openid";
    grant.device_code_hash = fakeHash("device");
    grant.user_code = "BCDFGHJK";
    grant.expires_at = clock_.now() + 20min;
    auto device = cleanupValue(tx->deviceCodeGrants().add(rng_, clock_, grant), "add device grant");
    ASSERT_TRUE(*tx->deviceCodeGrants().approve(clock_, device.id, alice_.id, for_device.id));
    auto sso = cleanupValue(tx->compatSsoLogins().add(rng_, clock_, "https://app.example.org/"),
                            "add sso login");
    ASSERT_TRUE(*tx->compatSsoLogins().fulfil(clock_, sso.id, alice_.id, for_sso.id,
                                              fakeHash("login token")));
    ASSERT_TRUE(tx->commit());
  }

  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "browser_sessions"), 2);
  EXPECT_EQ(sweptTotal(swept), 2);

  auto tx = begin(storage::TransactionMode::ReadOnly);
  const auto present = [&](const domain::BrowserSessionId& id) {
    return tx->browserSessions().lookup(id)->has_value();
  };
  EXPECT_FALSE(present(ended.id));
  EXPECT_FALSE(present(abandoned.id));
  EXPECT_TRUE(present(*exchanged.browser_session_id));
  EXPECT_TRUE(tx->authorizationGrants().lookup(exchanged.id)->has_value());
  EXPECT_TRUE(present(for_device.id));
  EXPECT_TRUE(present(for_sso.id));
  EXPECT_TRUE(present(lapsed.id));
  EXPECT_TRUE(present(young.id));
}

// Finished jobs go after the retention; a job not finished stays however
// old it is.
TEST_P(CleanupConformanceTest, FinishedJobsGoOnceTheRetentionHasPassed) {
  const auto finishDue = [&](std::string_view kind) {
    auto tx = begin();
    auto job = cleanupValue(tx->jobs().add(rng_, clock_, kind, "{}", clock_.now()), "add job");
    auto claimed = cleanupValue(tx->jobs().claimDue(clock_, "worker", 1min, 10), "claim");
    EXPECT_EQ(claimed.size(), 1u);
    EXPECT_TRUE(cleanupValue(tx->jobs().complete(clock_, job.id, "worker"), "complete"));
    EXPECT_TRUE(tx->commit());
    return job;
  };
  domain::Job old_done = finishDue("test.old");
  domain::Job waiting;
  {
    auto tx = begin();
    waiting = cleanupValue(
        tx->jobs().add(rng_, clock_, "test.waiting", "{}", clock_.now() + 24h * 365), "add job");
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(kCleanupRetention + 1h);
  domain::Job recent_done = finishDue("test.recent");

  Swept swept = sweep();
  EXPECT_EQ(sweptFrom(swept, "jobs"), 1);
  EXPECT_EQ(sweptTotal(swept), 1);

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE(tx->jobs().lookup(old_done.id)->has_value());
  EXPECT_TRUE(tx->jobs().lookup(waiting.id)->has_value());
  EXPECT_TRUE(tx->jobs().lookup(recent_done.id)->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CleanupConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CleanupConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
