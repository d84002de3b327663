#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/ulid.h"
#include "storage/compat_repositories.h"
#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// The legacy login API's repositories (storage/compat_repositories.h,
// spec-digest §4): a compat session ends with every token under it, no
// token is issued into a finished session even under concurrency, tokens
// are found by hash on the unique index, and refresh tokens are single use.
// Also OAuthSessionRepository::activeDeviceIds, which must count compat
// sessions' devices too.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::CompatSessionId kUnknownSession("01ARZ3NDEKTSV4RRFFQ69G5FAV");
const domain::CompatAccessTokenId kUnknownAccessToken("01ARZ3NDEKTSV4RRFFQ69G5FAV");
const domain::CompatRefreshTokenId kUnknownRefreshToken("01ARZ3NDEKTSV4RRFFQ69G5FAV");

template <class T>
T unwrap(Result<T, storage::StorageError> result, std::string_view what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << storage::toString(result.error().code) << ": "
                  << result.error().detail;
    return T{};
  }
  return std::move(*result);
}

// Builders for compat records; each commits what it adds and fails the
// test when storage refuses it.
class CompatConformanceTest : public OAuthConformanceTest {
 protected:
  domain::CompatSession addCompatSession(const domain::User& user, std::string device_id) {
    auto tx = begin();
    storage::NewCompatSession session;
    session.user_id = user.id;
    session.device_id = std::move(device_id);
    session.user_agent = "test-agent";
    auto added = unwrap(tx->compatSessions().add(rng_, clock_, session), "add compat session");
    commitOrFail(*tx);
    return added;
  }

  domain::CompatAccessToken addCompatAccessToken(const domain::CompatSession& session,
                                                 std::string_view token_hash,
                                                 std::optional<Timestamp> expires_at = {}) {
    auto tx = begin();
    auto added =
        unwrap(tx->compatAccessTokens().add(rng_, clock_, session.id, token_hash, expires_at),
               "add compat access token");
    commitOrFail(*tx);
    return added;
  }

  domain::CompatRefreshToken addCompatRefreshToken(const domain::CompatSession& session,
                                                   std::string_view token_hash,
                                                   const domain::CompatAccessToken& access_token) {
    auto tx = begin();
    auto added =
        unwrap(tx->compatRefreshTokens().add(rng_, clock_, session.id, token_hash, access_token.id),
               "add compat refresh token");
    commitOrFail(*tx);
    return added;
  }

  void finishCompatSession(const domain::CompatSession& session) {
    auto tx = begin();
    auto finished = tx->compatSessions().finish(clock_, session.id);
    ASSERT_TRUE(finished.has_value()) << finished.error().detail;
    ASSERT_TRUE(*finished);
    commitOrFail(*tx);
  }

  static void commitOrFail(storage::Transaction& tx) {
    auto committed = tx.commit();
    if (!committed) ADD_FAILURE() << "commit: " << committed.error().detail;
  }

  std::string queryPlan(const std::string& select) const {
    return test::queryPlan(GetParam(), test_database_->location(), select);
  }
};

// --- Sessions ------------------------------------------------------------

class CompatSessionConformanceTest : public CompatConformanceTest {};

TEST_P(CompatSessionConformanceTest, AddsAnActiveSessionWithEveryField) {
  domain::User alice = addUser("alice");
  clock_.advance(1min);
  auto tx = begin();
  storage::NewCompatSession request;
  request.user_id = alice.id;
  request.device_id = "ABCDEFGHIJ";
  request.display_name = "Alice's phone";
  request.is_admin = true;
  request.user_agent = "Element Android";

  auto added = tx->compatSessions().add(rng_, clock_, request);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->user_id, alice.id);
  EXPECT_EQ(added->device_id, "ABCDEFGHIJ");
  EXPECT_EQ(added->display_name, "Alice's phone");
  EXPECT_TRUE(added->is_admin);
  EXPECT_EQ(added->user_agent, "Element Android");
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_TRUE(added->isActive());
  EXPECT_FALSE(added->last_active_at || added->last_active_ip);
  auto found = tx->compatSessions().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
  ASSERT_TRUE(tx->commit());
  auto read = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ(**read->compatSessions().lookup(added->id), *added);
}

TEST_P(CompatSessionConformanceTest, ASessionWithoutDisplayNameIsNoAdminByDefault) {
  domain::User alice = addUser("alice");
  auto tx = begin();
  storage::NewCompatSession request;
  request.user_id = alice.id;
  request.device_id = "ABCDEFGHIJ";

  auto added = tx->compatSessions().add(rng_, clock_, request);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  auto found = tx->compatSessions().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE((*found)->display_name.has_value());
  EXPECT_FALSE((*found)->is_admin);
  EXPECT_EQ((*found)->user_agent, "");
  EXPECT_EQ(**found, *added);
}

TEST_P(CompatSessionConformanceTest, ASessionOfAnUnknownUserIsAConstraintViolation) {
  auto tx = begin();
  storage::NewCompatSession request;
  request.user_id = domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  request.device_id = "ABCDEFGHIJ";

  auto added = tx->compatSessions().add(rng_, clock_, request);

  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, StorageErrorCode::Constraint);
}

TEST_P(CompatSessionConformanceTest, FinishingRevokesEveryAccessAndRefreshTokenOfTheSession) {
  domain::User alice = addUser("alice");
  domain::CompatSession session = addCompatSession(alice, "DEVICEAAAA");
  domain::CompatSession other = addCompatSession(alice, "DEVICEBBBB");
  domain::CompatAccessToken at1 = addCompatAccessToken(session, fakeHash("at1"));
  domain::CompatRefreshToken rt1 = addCompatRefreshToken(session, fakeHash("rt1"), at1);
  domain::CompatAccessToken at2 = addCompatAccessToken(session, fakeHash("at2"));
  domain::CompatRefreshToken rt2 = addCompatRefreshToken(session, fakeHash("rt2"), at2);
  domain::CompatAccessToken other_at = addCompatAccessToken(other, fakeHash("other-at"));
  domain::CompatRefreshToken other_rt =
      addCompatRefreshToken(other, fakeHash("other-rt"), other_at);
  Timestamp earlier_revocation = clock_.now();
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->compatAccessTokens().revoke(clock_, at1.id));
    ASSERT_TRUE(*tx->compatRefreshTokens().consume(clock_, rt1.id, rt2.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(1h);
  {
    auto tx = begin();
    auto finished = tx->compatSessions().finish(clock_, session.id);
    ASSERT_TRUE(finished.has_value()) << finished.error().detail;
    EXPECT_TRUE(*finished);
    ASSERT_TRUE(tx->commit());
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ((*tx->compatSessions().lookup(session.id))->finished_at, clock_.now());
  // An earlier revocation keeps its time; every other token dies now.
  EXPECT_EQ((*tx->compatAccessTokens().lookup(at1.id))->revoked_at, earlier_revocation);
  EXPECT_EQ((*tx->compatAccessTokens().lookup(at2.id))->revoked_at, clock_.now());
  EXPECT_FALSE((*tx->compatAccessTokens().lookup(at2.id))->isValidAt(clock_.now()));
  EXPECT_EQ((*tx->compatRefreshTokens().lookup(rt1.id))->revoked_at, clock_.now());
  EXPECT_EQ((*tx->compatRefreshTokens().lookup(rt2.id))->revoked_at, clock_.now());
  EXPECT_FALSE((*tx->compatRefreshTokens().lookup(rt2.id))->isUsable());
  // Another session of the same user is untouched.
  EXPECT_TRUE((*tx->compatSessions().lookup(other.id))->isActive());
  EXPECT_FALSE((*tx->compatAccessTokens().lookup(other_at.id))->revoked_at.has_value());
  EXPECT_FALSE((*tx->compatRefreshTokens().lookup(other_rt.id))->revoked_at.has_value());
}

TEST_P(CompatSessionConformanceTest, FinishingAndItsRevocationsAreUndoneTogetherByRollback) {
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  domain::CompatAccessToken at = addCompatAccessToken(session, fakeHash("at"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->compatSessions().finish(clock_, session.id));
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_TRUE((*tx->compatSessions().lookup(session.id))->isActive());
  EXPECT_TRUE((*tx->compatAccessTokens().lookup(at.id))->isValidAt(clock_.now()));
}

TEST_P(CompatSessionConformanceTest, FinishingSucceedsOnlyOnceAndNotForUnknownSessions) {
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  auto tx = begin();
  Timestamp finished_at = clock_.now();

  auto first = tx->compatSessions().finish(clock_, session.id);
  clock_.advance(1min);
  auto second = tx->compatSessions().finish(clock_, session.id);
  auto unknown = tx->compatSessions().finish(clock_, kUnknownSession);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->compatSessions().lookup(session.id))->finished_at, finished_at);
}

TEST_P(CompatSessionConformanceTest, ListsAUsersActiveSessionsNewestFirstPageByPage) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  std::vector<domain::CompatSession> sessions;
  for (int i = 0; i < 5; ++i) {
    sessions.push_back(addCompatSession(alice, "DEVICE" + std::to_string(i)));
    clock_.advance(1ms);
  }
  addCompatSession(bob, "DEVICEBOB");
  finishCompatSession(sessions[2]);
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto first = tx->compatSessions().listActiveForUser(alice.id, {std::nullopt, 2});
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_EQ(first->size(), 2u);
  auto second = tx->compatSessions().listActiveForUser(alice.id, {(*first)[1].id.str(), 2});
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 2u);
  auto last = tx->compatSessions().listActiveForUser(alice.id, {(*second)[1].id.str(), 2});
  ASSERT_TRUE(last.has_value());
  auto all = tx->compatSessions().listActiveForUser(alice.id, {});
  ASSERT_TRUE(all.has_value());

  EXPECT_EQ((*first)[0], sessions[4]);
  EXPECT_EQ((*first)[1], sessions[3]);
  EXPECT_EQ((*second)[0], sessions[1]);
  EXPECT_EQ((*second)[1], sessions[0]);
  EXPECT_TRUE(last->empty());
  EXPECT_EQ(all->size(), 4u);
}

TEST_P(CompatSessionConformanceTest, FindsTheActiveSessionsOfAUserOnADevice) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::CompatSession older = addCompatSession(alice, "DEVICEAAAA");
  clock_.advance(1ms);
  domain::CompatSession newer = addCompatSession(alice, "DEVICEAAAA");
  domain::CompatSession finished = addCompatSession(alice, "DEVICEAAAA");
  addCompatSession(alice, "DEVICEBBBB");
  addCompatSession(bob, "DEVICEAAAA");
  finishCompatSession(finished);
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->compatSessions().findActiveByDevice(alice.id, "DEVICEAAAA");
  auto none = tx->compatSessions().findActiveByDevice(alice.id, "DEVICECCCC");
  // Device ids are case-sensitive.
  auto other_case = tx->compatSessions().findActiveByDevice(alice.id, "deviceaaaa");

  ASSERT_TRUE(found.has_value()) << found.error().detail;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0], newer);
  EXPECT_EQ((*found)[1], older);
  ASSERT_TRUE(none.has_value() && other_case.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(other_case->empty());
}

TEST_P(CompatSessionConformanceTest, RecordedActivityOnlyMovesForward) {
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  Timestamp t1 = clock_.now() + 1min;
  Timestamp t2 = clock_.now() + 2min;
  auto tx = begin();

  ASSERT_TRUE(tx->compatSessions().recordActivity(session.id, t2, "192.0.2.2"));
  ASSERT_TRUE(tx->compatSessions().recordActivity(session.id, t1, "192.0.2.1"));
  auto after_older = tx->compatSessions().lookup(session.id);
  ASSERT_TRUE(tx->compatSessions().recordActivity(session.id, t2, "192.0.2.9"));
  auto after_same = tx->compatSessions().lookup(session.id);
  ASSERT_TRUE(tx->compatSessions().recordActivity(session.id, t2 + 1ms, "2001:db8::3"));
  auto after_newer = tx->compatSessions().lookup(session.id);

  ASSERT_TRUE(after_older && after_older->has_value());
  EXPECT_EQ((*after_older)->last_active_at, t2);
  EXPECT_EQ((*after_older)->last_active_ip, "192.0.2.2");
  ASSERT_TRUE(after_same && after_same->has_value());
  EXPECT_EQ((*after_same)->last_active_ip, "192.0.2.2");
  ASSERT_TRUE(after_newer && after_newer->has_value());
  EXPECT_EQ((*after_newer)->last_active_at, t2 + 1ms);
  EXPECT_EQ((*after_newer)->last_active_ip, "2001:db8::3");
}

TEST_P(CompatSessionConformanceTest, ActivityOfAnUnknownSessionIsIgnoredWithoutError) {
  auto tx = begin();

  auto recorded = tx->compatSessions().recordActivity(kUnknownSession, clock_.now(), "192.0.2.1");

  EXPECT_TRUE(recorded.has_value());
  EXPECT_TRUE(tx->commit().has_value());
}

TEST_P(CompatSessionConformanceTest, LookingUpAnUnknownSessionAnswersEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->compatSessions().lookup(kUnknownSession);

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

TEST_P(CompatSessionConformanceTest, DeletingAUserDeletesItsSessionsAndTheirTokens) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::CompatSession session = addCompatSession(alice, "DEVICEAAAA");
  domain::CompatAccessToken at1 = addCompatAccessToken(session, fakeHash("at1"));
  domain::CompatRefreshToken rt1 = addCompatRefreshToken(session, fakeHash("rt1"), at1);
  domain::CompatAccessToken at2 = addCompatAccessToken(session, fakeHash("at2"));
  domain::CompatRefreshToken rt2 = addCompatRefreshToken(session, fakeHash("rt2"), at2);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->compatRefreshTokens().consume(clock_, rt1.id, rt2.id));
    ASSERT_TRUE(tx->commit());
  }
  domain::CompatSession bobs = addCompatSession(bob, "DEVICEAAAA");
  domain::CompatAccessToken bobs_at = addCompatAccessToken(bobs, fakeHash("bob-at"));

  // No repository deletes users; an operator might, behind our back.
  std::string pragma = GetParam() == Backend::Sqlite ? "PRAGMA foreign_keys = ON; " : "";
  auto deleted =
      test_database_->executeRaw(pragma + "DELETE FROM users WHERE id = '" + alice.id.str() + "'");
  ASSERT_TRUE(deleted.has_value()) << deleted.error();

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE(tx->compatSessions().lookup(session.id)->has_value());
  EXPECT_FALSE(tx->compatAccessTokens().lookup(at1.id)->has_value());
  EXPECT_FALSE(tx->compatAccessTokens().findByHash(fakeHash("at2"))->has_value());
  EXPECT_FALSE(tx->compatRefreshTokens().lookup(rt1.id)->has_value());
  EXPECT_FALSE(tx->compatRefreshTokens().lookup(rt2.id)->has_value());
  EXPECT_TRUE(tx->compatSessions().lookup(bobs.id)->has_value());
  EXPECT_TRUE(tx->compatAccessTokens().lookup(bobs_at.id)->has_value());
}

TEST_P(CompatSessionConformanceTest, ActiveDeviceIdsUniteActiveOAuthAndCompatSessions) {
  // The homeserver device sync keeps exactly these devices: one the user
  // still uses through either API must not be deleted.
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthClient client = addClient();
  addSession(client, alice, "OAUTHONLY");
  addSession(client, alice, "SHARED");
  addSession(client, alice);  // no device
  domain::OAuthSession ended_oauth = addSession(client, alice, "ENDEDOAUTH");
  addCompatSession(alice, "SHARED");
  addCompatSession(alice, "COMPATONLY");
  addCompatSession(alice, "COMPATTWICE");
  addCompatSession(alice, "COMPATTWICE");
  domain::CompatSession ended_compat = addCompatSession(alice, "ENDEDCOMPAT");
  addCompatSession(bob, "BOBSDEVICE");
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, ended_oauth.id));
    ASSERT_TRUE(*tx->compatSessions().finish(clock_, ended_compat.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto devices = tx->oauthSessions().activeDeviceIds(alice.id);
  auto bobs = tx->oauthSessions().activeDeviceIds(bob.id);
  auto nobody = tx->oauthSessions().activeDeviceIds(domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));

  ASSERT_TRUE(devices.has_value()) << devices.error().detail;
  EXPECT_EQ(*devices,
            (std::vector<std::string>{"COMPATONLY", "COMPATTWICE", "OAUTHONLY", "SHARED"}));
  ASSERT_TRUE(bobs.has_value());
  EXPECT_EQ(*bobs, std::vector<std::string>{"BOBSDEVICE"});
  ASSERT_TRUE(nobody.has_value());
  EXPECT_TRUE(nobody->empty());
}

// --- Access tokens -------------------------------------------------------

class CompatTokenConformanceTest : public CompatConformanceTest {
 protected:
  void SetUp() override {
    CompatConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    session_ = addCompatSession(addUser("alice"), "DEVICEAAAA");
  }

  domain::CompatSession session_;
};

class CompatAccessTokenConformanceTest : public CompatTokenConformanceTest {};

TEST_P(CompatAccessTokenConformanceTest, AddsATokenByItsHashWithIdAndTimeFromRngAndClock) {
  auto tx = begin();

  auto forever = tx->compatAccessTokens().add(rng_, clock_, session_.id, fakeHash("at"), {});
  auto expiring = tx->compatAccessTokens().add(rng_, clock_, session_.id, fakeHash("at-exp"),
                                               clock_.now() + 5min);

  ASSERT_TRUE(forever.has_value()) << forever.error().detail;
  ASSERT_TRUE(expiring.has_value()) << expiring.error().detail;
  EXPECT_TRUE(core::isUlid(forever->id.str()));
  EXPECT_EQ(forever->session_id, session_.id);
  EXPECT_EQ(forever->token_hash, fakeHash("at"));
  EXPECT_EQ(forever->created_at, clock_.now());
  EXPECT_FALSE(forever->expires_at.has_value());
  EXPECT_FALSE(forever->first_used_at || forever->revoked_at);
  EXPECT_TRUE(forever->isValidAt(clock_.now() + 24h * 3650));
  EXPECT_EQ(expiring->expires_at, clock_.now() + 5min);
  EXPECT_FALSE(expiring->isValidAt(clock_.now() + 5min));
  ASSERT_TRUE(tx->commit());
  auto read = begin(storage::TransactionMode::ReadOnly);
  for (const auto& token : {*forever, *expiring}) {
    auto by_id = read->compatAccessTokens().lookup(token.id);
    auto by_hash = read->compatAccessTokens().findByHash(token.token_hash);
    ASSERT_TRUE(by_id && by_id->has_value());
    EXPECT_EQ(**by_id, token);
    ASSERT_TRUE(by_hash && by_hash->has_value());
    EXPECT_EQ(**by_hash, token);
  }
}

TEST_P(CompatAccessTokenConformanceTest, UnknownIdsAndHashesAnswerEmpty) {
  addCompatAccessToken(session_, fakeHash("at"));
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto by_id = tx->compatAccessTokens().lookup(kUnknownAccessToken);
  auto by_hash = tx->compatAccessTokens().findByHash(fakeHash("other"));

  ASSERT_TRUE(by_id && by_hash);
  EXPECT_FALSE(by_id->has_value());
  EXPECT_FALSE(by_hash->has_value());
}

TEST_P(CompatAccessTokenConformanceTest, ATakenHashIsAConflictEvenInAnotherSession) {
  addCompatAccessToken(session_, fakeHash("at"));
  domain::CompatSession other = addCompatSession(addUser("bob"), "DEVICEBBBB");
  for (const auto* session : {&session_, &other}) {
    auto tx = begin();

    auto again = tx->compatAccessTokens().add(rng_, clock_, session->id, fakeHash("at"), {});

    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, StorageErrorCode::Conflict);
  }
}

TEST_P(CompatAccessTokenConformanceTest, ATokenOfAnUnknownOrFinishedSessionIsAConstraint) {
  domain::CompatAccessToken at = addCompatAccessToken(session_, fakeHash("at"));
  {
    auto tx = begin();
    auto unknown = tx->compatAccessTokens().add(rng_, clock_, kUnknownSession, fakeHash("x"), {});
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, StorageErrorCode::Constraint);
  }
  finishCompatSession(session_);
  {
    auto tx = begin();
    auto late = tx->compatAccessTokens().add(rng_, clock_, session_.id, fakeHash("late"), {});
    ASSERT_FALSE(late.has_value());
    EXPECT_EQ(late.error().code, StorageErrorCode::Constraint);
    // Like any failed call, the refusal spoils the transaction.
    EXPECT_FALSE(tx->commit().has_value());
  }
  auto tx = begin();
  auto refresh = tx->compatRefreshTokens().add(rng_, clock_, session_.id, fakeHash("rt"), at.id);
  ASSERT_FALSE(refresh.has_value());
  EXPECT_EQ(refresh.error().code, StorageErrorCode::Constraint);
}

TEST_P(CompatAccessTokenConformanceTest, RevokedAndExpiredTokensAreStillFoundByHash) {
  domain::CompatAccessToken revoked = addCompatAccessToken(session_, fakeHash("revoked"));
  domain::CompatAccessToken expired =
      addCompatAccessToken(session_, fakeHash("expired"), clock_.now() + 1min);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->compatAccessTokens().revoke(clock_, revoked.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(1h);
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found_revoked = tx->compatAccessTokens().findByHash(fakeHash("revoked"));
  auto found_expired = tx->compatAccessTokens().findByHash(fakeHash("expired"));

  ASSERT_TRUE(found_revoked && found_revoked->has_value());
  EXPECT_FALSE((*found_revoked)->isValidAt(clock_.now()));
  ASSERT_TRUE(found_expired && found_expired->has_value());
  EXPECT_EQ((*found_expired)->id, expired.id);
  EXPECT_FALSE((*found_expired)->isValidAt(clock_.now()));
}

TEST_P(CompatAccessTokenConformanceTest, MarkingUsedKeepsTheFirstUseAndIsIdempotent) {
  domain::CompatAccessToken at = addCompatAccessToken(session_, fakeHash("at"));
  Timestamp first = clock_.now() + 1s;
  auto tx = begin();

  auto once = tx->compatAccessTokens().markUsed(at.id, first);
  auto twice = tx->compatAccessTokens().markUsed(at.id, first + 1min);
  auto unknown = tx->compatAccessTokens().markUsed(kUnknownAccessToken, first);

  ASSERT_TRUE(once && twice && unknown);
  EXPECT_EQ((*tx->compatAccessTokens().lookup(at.id))->first_used_at, first);
  EXPECT_TRUE(tx->commit().has_value());
}

TEST_P(CompatAccessTokenConformanceTest, RevocationSucceedsOnceAndKeepsTheFirstTime) {
  domain::CompatAccessToken at = addCompatAccessToken(session_, fakeHash("at"));
  Timestamp revoked_at = clock_.now();
  auto tx = begin();

  auto first = tx->compatAccessTokens().revoke(clock_, at.id);
  clock_.advance(1min);
  auto second = tx->compatAccessTokens().revoke(clock_, at.id);
  auto unknown = tx->compatAccessTokens().revoke(clock_, kUnknownAccessToken);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->compatAccessTokens().lookup(at.id))->revoked_at, revoked_at);
}

TEST_P(CompatAccessTokenConformanceTest, FindingByHashIsOneLookupOnTheUniqueHashIndex) {
  addCompatAccessToken(session_, fakeHash("at"));

  std::string plan =
      queryPlan("SELECT id FROM compat_access_tokens WHERE token_hash = '" + fakeHash("at") + "'");

  EXPECT_NE(plan.find("compat_access_tokens_token_hash_key"), std::string::npos) << plan;
}

// --- Refresh tokens ------------------------------------------------------

class CompatRefreshTokenConformanceTest : public CompatTokenConformanceTest {
 protected:
  void SetUp() override {
    CompatTokenConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    at1_ = addCompatAccessToken(session_, fakeHash("at1"), clock_.now() + 5min);
    rt1_ = addCompatRefreshToken(session_, fakeHash("rt1"), at1_);
    at2_ = addCompatAccessToken(session_, fakeHash("at2"), clock_.now() + 5min);
    rt2_ = addCompatRefreshToken(session_, fakeHash("rt2"), at2_);
  }

  domain::CompatAccessToken at1_, at2_;
  domain::CompatRefreshToken rt1_, rt2_;
};

TEST_P(CompatRefreshTokenConformanceTest, AddsATokenBoundToItsAccessToken) {
  clock_.advance(1min);
  auto tx = begin();

  auto added = tx->compatRefreshTokens().add(rng_, clock_, session_.id, fakeHash("rt"), at1_.id);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->session_id, session_.id);
  EXPECT_EQ(added->token_hash, fakeHash("rt"));
  EXPECT_EQ(added->access_token_id, at1_.id);
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_FALSE(added->consumed_at || added->next_refresh_token_id || added->revoked_at);
  EXPECT_TRUE(added->isUsable());
  ASSERT_TRUE(tx->commit());
  auto read = begin(storage::TransactionMode::ReadOnly);
  auto by_id = read->compatRefreshTokens().lookup(added->id);
  auto by_hash = read->compatRefreshTokens().findByHash(fakeHash("rt"));
  ASSERT_TRUE(by_id && by_id->has_value());
  EXPECT_EQ(**by_id, *added);
  ASSERT_TRUE(by_hash && by_hash->has_value());
  EXPECT_EQ(**by_hash, *added);
}

TEST_P(CompatRefreshTokenConformanceTest, UnknownIdsAndHashesAnswerEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto by_id = tx->compatRefreshTokens().lookup(kUnknownRefreshToken);
  auto by_hash = tx->compatRefreshTokens().findByHash(fakeHash("other"));

  ASSERT_TRUE(by_id && by_hash);
  EXPECT_FALSE(by_id->has_value());
  EXPECT_FALSE(by_hash->has_value());
}

TEST_P(CompatRefreshTokenConformanceTest, ATakenHashIsAConflictAndAnUnknownAccessTokenAConstraint) {
  {
    auto tx = begin();
    auto taken = tx->compatRefreshTokens().add(rng_, clock_, session_.id, fakeHash("rt1"), at2_.id);
    ASSERT_FALSE(taken.has_value());
    EXPECT_EQ(taken.error().code, StorageErrorCode::Conflict);
  }
  auto tx = begin();
  auto orphan =
      tx->compatRefreshTokens().add(rng_, clock_, session_.id, fakeHash("rt"), kUnknownAccessToken);
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, StorageErrorCode::Constraint);
}

TEST_P(CompatRefreshTokenConformanceTest, AnAccessTokenOfAnotherSessionIsAConstraint) {
  domain::CompatSession other = addCompatSession(addUser("bob"), "DEVICEBBBB");
  auto tx = begin();

  auto crossed = tx->compatRefreshTokens().add(rng_, clock_, other.id, fakeHash("rt"), at1_.id);

  ASSERT_FALSE(crossed.has_value());
  EXPECT_EQ(crossed.error().code, StorageErrorCode::Constraint);
}

TEST_P(CompatRefreshTokenConformanceTest, ConsumingRotatesOnceAndPointsAtTheSuccessor) {
  auto tx = begin();
  Timestamp consumed_at = clock_.now();

  auto first = tx->compatRefreshTokens().consume(clock_, rt1_.id, rt2_.id);
  clock_.advance(1min);
  auto second = tx->compatRefreshTokens().consume(clock_, rt1_.id, rt2_.id);
  auto unknown = tx->compatRefreshTokens().consume(clock_, kUnknownRefreshToken, rt2_.id);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  auto consumed = tx->compatRefreshTokens().lookup(rt1_.id);
  ASSERT_TRUE(consumed && consumed->has_value());
  EXPECT_EQ((*consumed)->consumed_at, consumed_at);
  EXPECT_EQ((*consumed)->next_refresh_token_id, rt2_.id);
  EXPECT_FALSE((*consumed)->isUsable());
  EXPECT_FALSE((*consumed)->revoked_at.has_value());
  // Consumed tokens are still found by hash (reuse shows up as such).
  auto by_hash = tx->compatRefreshTokens().findByHash(fakeHash("rt1"));
  ASSERT_TRUE(by_hash && by_hash->has_value());
  EXPECT_EQ(**by_hash, **consumed);
  EXPECT_TRUE(tx->commit().has_value());
}

TEST_P(CompatRefreshTokenConformanceTest, ALostResponseRetryReplacesTheExpectedSuccessorOnly) {
  domain::CompatAccessToken at3 = addCompatAccessToken(session_, fakeHash("at3"), clock_.now());
  domain::CompatRefreshToken rt3 = addCompatRefreshToken(session_, fakeHash("rt3"), at3);
  auto tx = begin();
  ASSERT_TRUE(*tx->compatRefreshTokens().consume(clock_, rt1_.id, rt2_.id));

  auto stale = tx->compatRefreshTokens().replaceSuccessor(rt1_.id, rt3.id, rt3.id);
  auto replaced = tx->compatRefreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);
  auto again = tx->compatRefreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);

  ASSERT_TRUE(stale && replaced && again);
  EXPECT_FALSE(*stale);
  EXPECT_TRUE(*replaced);
  EXPECT_FALSE(*again);
  auto token = tx->compatRefreshTokens().lookup(rt1_.id);
  ASSERT_TRUE(token && token->has_value());
  EXPECT_EQ((*token)->next_refresh_token_id, rt3.id);
  EXPECT_TRUE(tx->commit().has_value());
}

TEST_P(CompatRefreshTokenConformanceTest, ARevokedTokenGetsNoReplacementSuccessor) {
  domain::CompatAccessToken at3 = addCompatAccessToken(session_, fakeHash("at3"), clock_.now());
  domain::CompatRefreshToken rt3 = addCompatRefreshToken(session_, fakeHash("rt3"), at3);
  auto tx = begin();
  ASSERT_TRUE(*tx->compatRefreshTokens().consume(clock_, rt1_.id, rt2_.id));
  ASSERT_TRUE(*tx->compatRefreshTokens().revoke(clock_, rt1_.id));

  auto replaced = tx->compatRefreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);

  ASSERT_TRUE(replaced.has_value());
  EXPECT_FALSE(*replaced);
}

TEST_P(CompatRefreshTokenConformanceTest, ARevokedTokenCannotBeConsumed) {
  auto tx = begin();
  ASSERT_TRUE(*tx->compatRefreshTokens().revoke(clock_, rt1_.id));

  auto consumed = tx->compatRefreshTokens().consume(clock_, rt1_.id, rt2_.id);

  ASSERT_TRUE(consumed.has_value());
  EXPECT_FALSE(*consumed);
  EXPECT_FALSE((*tx->compatRefreshTokens().lookup(rt1_.id))->consumed_at.has_value());
}

TEST_P(CompatRefreshTokenConformanceTest, TheSuccessorMustBeAStoredTokenOfTheSameSession) {
  domain::CompatSession other = addCompatSession(addUser("bob"), "DEVICEBBBB");
  domain::CompatAccessToken other_at = addCompatAccessToken(other, fakeHash("other-at"));
  domain::CompatRefreshToken other_rt =
      addCompatRefreshToken(other, fakeHash("other-rt"), other_at);
  for (const auto& successor : {kUnknownRefreshToken, other_rt.id}) {
    auto tx = begin();

    auto consumed = tx->compatRefreshTokens().consume(clock_, rt1_.id, successor);

    ASSERT_FALSE(consumed.has_value());
    EXPECT_EQ(consumed.error().code, StorageErrorCode::Constraint);
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_TRUE((*tx->compatRefreshTokens().lookup(rt1_.id))->isUsable());
}

TEST_P(CompatRefreshTokenConformanceTest, RevocationSucceedsOnceAndKeepsTheFirstTime) {
  Timestamp revoked_at = clock_.now();
  auto tx = begin();

  auto first = tx->compatRefreshTokens().revoke(clock_, rt1_.id);
  clock_.advance(1min);
  auto second = tx->compatRefreshTokens().revoke(clock_, rt1_.id);
  auto unknown = tx->compatRefreshTokens().revoke(clock_, kUnknownRefreshToken);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->compatRefreshTokens().lookup(rt1_.id))->revoked_at, revoked_at);
  EXPECT_FALSE((*tx->compatRefreshTokens().lookup(rt1_.id))->isUsable());
}

TEST_P(CompatRefreshTokenConformanceTest, FindingByHashUsesTheUniqueHashIndex) {
  std::string plan = queryPlan("SELECT id FROM compat_refresh_tokens WHERE token_hash = '" +
                               fakeHash("rt1") + "'");

  EXPECT_NE(plan.find("compat_refresh_tokens_token_hash_key"), std::string::npos) << plan;
}

// --- Concurrency ---------------------------------------------------------

// The same racing harness as oauth_concurrency_conformance_test.cpp: each
// racer on its own pooled connection in its own transaction.
class CompatConcurrencyConformanceTest : public CompatConformanceTest {
 protected:
  void SetUp() override {
    CompatConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
    ASSERT_TRUE(racing.has_value()) << racing.error().detail;
    racing_ = std::move(*racing);
  }

  void TearDown() override {
    racing_.reset();
    CompatConformanceTest::TearDown();
  }

  // Races `step` on kRacers connections (storage/testing/inspection.h).
  std::vector<RaceAttempt> race(const RaceStep& step) {
    return raceTransactions(*racing_, GetParam(), kRacers, step);
  }

  // PostgreSQL only: waits until `pending` is ready or one of this test
  // database's connections waits for a row lock (polling, bounded).
  // Answers whether it saw the lock wait.
  template <class T>
  bool waitUntilDoneOrBlocked(std::future<T>& pending) {
    return test::waitUntilDoneOrBlocked(test_database_->location(), [&] {
      return pending.wait_for(5ms) == std::future_status::ready;
    });
  }

  std::unique_ptr<storage::Database> racing_;
};

TEST_P(CompatConcurrencyConformanceTest, OfConcurrentRefreshesOfOneTokenExactlyOneRotatesIt) {
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  for (int round = 0; round < kRounds; ++round) {
    std::string prefix = "r" + std::to_string(round) + "-";
    domain::CompatAccessToken at =
        addCompatAccessToken(session, fakeHash(prefix + "at"), clock_.now() + 5min);
    domain::CompatRefreshToken rt = addCompatRefreshToken(session, fakeHash(prefix + "rt"), at);
    std::vector<domain::CompatRefreshTokenId> successors(kRacers);

    // POST /refresh: issue a new pair, then consume the old refresh token
    // pointing at it, all in one transaction.
    auto attempts =
        race([&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          std::string mine = prefix + std::to_string(racer);
          auto new_at = tx.compatAccessTokens().add(rng_, clock_, session.id, fakeHash(mine + "at"),
                                                    clock_.now() + 5min);
          if (!new_at) return unexpected(new_at.error());
          auto new_rt = tx.compatRefreshTokens().add(rng_, clock_, session.id,
                                                     fakeHash(mine + "rt"), new_at->id);
          if (!new_rt) return unexpected(new_rt.error());
          successors[racer] = new_rt->id;
          return tx.compatRefreshTokens().consume(clock_, rt.id, new_rt->id);
        });

    expectOneWinner(attempts);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto consumed = tx->compatRefreshTokens().lookup(rt.id);
    ASSERT_TRUE(consumed && consumed->has_value());
    EXPECT_FALSE((*consumed)->isUsable());
    for (int racer = 0; racer < kRacers; ++racer) {
      auto successor = tx->compatRefreshTokens().lookup(successors[racer]);
      ASSERT_TRUE(successor.has_value());
      // The winner's successor is stored and linked; the losers' rolled back.
      EXPECT_EQ(successor->has_value(), attempts[racer].won);
      if (attempts[racer].won) {
        EXPECT_EQ((*consumed)->next_refresh_token_id, successors[racer]);
      }
    }
  }
}

TEST_P(CompatConcurrencyConformanceTest, OfConcurrentFinishesOfOneSessionExactlyOneSucceeds) {
  domain::User alice = addUser("alice");
  for (int round = 0; round < kRounds; ++round) {
    domain::CompatSession session = addCompatSession(alice, "DEVICE" + std::to_string(round));
    domain::CompatAccessToken at =
        addCompatAccessToken(session, fakeHash("at" + std::to_string(round)));
    domain::CompatRefreshToken rt =
        addCompatRefreshToken(session, fakeHash("rt" + std::to_string(round)), at);

    auto attempts = race([&](storage::Transaction& tx, int) {
      return tx.compatSessions().finish(clock_, session.id);
    });

    expectOneWinner(attempts);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    EXPECT_TRUE((*tx->compatAccessTokens().lookup(at.id))->revoked_at.has_value());
    EXPECT_TRUE((*tx->compatRefreshTokens().lookup(rt.id))->revoked_at.has_value());
  }
}

TEST_P(CompatConcurrencyConformanceTest, ARefreshRacingTheSessionsEndLeavesNoLiveToken) {
  // POST /logout finishes a session while the client is refreshing in it.
  // Whatever the interleaving, the new pair is either revoked by the finish
  // or refused because the session was already finished.
  domain::User alice = addUser("alice");
  for (int round = 0; round < kRounds; ++round) {
    std::string prefix = "r" + std::to_string(round) + "-";
    domain::CompatSession session = addCompatSession(alice, "DEVICE" + std::to_string(round));
    domain::CompatAccessToken at =
        addCompatAccessToken(session, fakeHash(prefix + "at"), clock_.now() + 5min);
    domain::CompatRefreshToken rt = addCompatRefreshToken(session, fakeHash(prefix + "rt"), at);
    std::vector<std::optional<domain::CompatAccessTokenId>> new_access(kRacers);
    std::vector<std::optional<domain::CompatRefreshTokenId>> new_refresh(kRacers);

    // Even racers refresh, odd racers finish the session.
    auto attempts =
        race([&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          if (racer % 2 == 1) return tx.compatSessions().finish(clock_, session.id);
          std::string mine = prefix + std::to_string(racer);
          auto new_at = tx.compatAccessTokens().add(rng_, clock_, session.id, fakeHash(mine + "at"),
                                                    clock_.now() + 5min);
          // Refused: the session was finished first. A loss, not a failure.
          if (!new_at && new_at.error().code == StorageErrorCode::Constraint) return false;
          if (!new_at) return unexpected(new_at.error());
          new_access[racer] = new_at->id;
          auto new_rt = tx.compatRefreshTokens().add(rng_, clock_, session.id,
                                                     fakeHash(mine + "rt"), new_at->id);
          if (!new_rt) return unexpected(new_rt.error());
          new_refresh[racer] = new_rt->id;
          return tx.compatRefreshTokens().consume(clock_, rt.id, new_rt->id);
        });

    int finishers = 0;
    int refreshers = 0;
    for (int racer = 0; racer < kRacers; ++racer) {
      EXPECT_FALSE(attempts[racer].error.has_value())
          << "racer " << racer << ": " << attempts[racer].error->detail;
      if (attempts[racer].won) ++(racer % 2 == 1 ? finishers : refreshers);
    }
    EXPECT_EQ(finishers, 1);
    EXPECT_LE(refreshers, 1);
    auto tx = begin(storage::TransactionMode::ReadOnly);
    EXPECT_FALSE((*tx->compatSessions().lookup(session.id))->isActive());
    EXPECT_TRUE((*tx->compatAccessTokens().lookup(at.id))->revoked_at.has_value());
    EXPECT_TRUE((*tx->compatRefreshTokens().lookup(rt.id))->revoked_at.has_value());
    for (int racer = 0; racer < kRacers; racer += 2) {
      if (!attempts[racer].won) continue;
      auto access = tx->compatAccessTokens().lookup(*new_access[racer]);
      auto refresh = tx->compatRefreshTokens().lookup(*new_refresh[racer]);
      ASSERT_TRUE(access && access->has_value() && refresh && refresh->has_value());
      EXPECT_TRUE((*access)->revoked_at.has_value()) << "a live access token in a dead session";
      EXPECT_TRUE((*refresh)->revoked_at.has_value()) << "a live refresh token in a dead session";
    }
  }
}

TEST_P(CompatConcurrencyConformanceTest, AFinishDuringAnUncommittedTokenAddStillRevokesIt) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE): a finish cannot begin "
                    "while a token add is in progress";
  }
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  // A login's token is added but not committed yet...
  auto adding = racing_->begin(storage::TransactionMode::ReadWrite);
  ASSERT_TRUE(adding.has_value());
  auto new_at =
      (*adding)->compatAccessTokens().add(rng_, clock_, session.id, fakeHash("new-at"), {});
  ASSERT_TRUE(new_at.has_value()) << new_at.error().detail;
  // ...when a logout finishes the session on another connection.
  auto finishing = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
    auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
    if (!tx) return unexpected(tx.error());
    auto finished = (*tx)->compatSessions().finish(clock_, session.id);
    if (!finished || !*finished) return finished;
    if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
    return true;
  });

  EXPECT_TRUE(waitUntilDoneOrBlocked(finishing)) << "the finish did not wait for the token add";
  ASSERT_TRUE((*adding)->commit());
  auto finished = finishing.get();

  ASSERT_TRUE(finished.has_value()) << finished.error().detail;
  EXPECT_TRUE(*finished);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_TRUE((*tx->compatAccessTokens().lookup(new_at->id))->revoked_at.has_value())
      << "a token added during the finish outlived its session";
}

TEST_P(CompatConcurrencyConformanceTest, ATokenAddedDuringAnUncommittedFinishIsRefused) {
  if (GetParam() == Backend::Sqlite) {
    GTEST_SKIP() << "SQLite writers cannot overlap (BEGIN IMMEDIATE): a token add cannot begin "
                    "while a finish is in progress";
  }
  domain::CompatSession session = addCompatSession(addUser("alice"), "DEVICEAAAA");
  domain::CompatAccessToken at = addCompatAccessToken(session, fakeHash("at"));
  auto finishing = racing_->begin(storage::TransactionMode::ReadWrite);
  ASSERT_TRUE(finishing.has_value());
  ASSERT_TRUE(*(*finishing)->compatSessions().finish(clock_, session.id));
  auto adding = std::async(std::launch::async, [&]() -> Result<bool, storage::StorageError> {
    auto tx = racing_->begin(storage::TransactionMode::ReadWrite);
    if (!tx) return unexpected(tx.error());
    auto added =
        (*tx)->compatRefreshTokens().add(rng_, clock_, session.id, fakeHash("late-rt"), at.id);
    if (!added) return unexpected(added.error());
    if (auto committed = (*tx)->commit(); !committed) return unexpected(committed.error());
    return true;
  });

  EXPECT_TRUE(waitUntilDoneOrBlocked(adding)) << "the token add did not wait for the finish";
  ASSERT_TRUE((*finishing)->commit());
  auto added = adding.get();

  ASSERT_FALSE(added.has_value()) << "a token was added to a finished session";
  EXPECT_EQ(added.error().code, StorageErrorCode::Constraint);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_FALSE(tx->compatRefreshTokens().findByHash(fakeHash("late-rt"))->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CompatSessionConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatSessionConformanceTest,
                         ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, CompatAccessTokenConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatAccessTokenConformanceTest,
                         ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, CompatRefreshTokenConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatRefreshTokenConformanceTest,
                         ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, CompatConcurrencyConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CompatConcurrencyConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
