#include <gtest/gtest.h>

#include <chrono>

#include "core/ulid.h"
#include "storage/testing/oauth_conformance.h"

// OAuthSessionRepository (storage/oauth_repositories.h): a session ends
// with every token under it (checklist C.19, D.26, D.31).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::OAuthSessionId kUnknownSession("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class OAuthSessionConformanceTest : public OAuthConformanceTest {};

TEST_P(OAuthSessionConformanceTest, AddsAnActiveSessionWithEveryField) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  clock_.advance(1min);
  auto tx = begin();
  storage::NewOAuthSession request;
  request.client_id = client.id;
  request.user_id = alice.id;
  request.scope = "openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";
  request.device_id = "ABCDEFGHIJ";
  request.user_agent = "Element X";
  request.authenticated_at = clock_.now() - 30s;

  auto added = tx->oauthSessions().add(rng_, clock_, request);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_TRUE(added->isActive());
  EXPECT_FALSE(added->last_active_at.has_value());
  auto found = tx->oauthSessions().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
  EXPECT_EQ((*found)->device_id, "ABCDEFGHIJ");
  EXPECT_EQ((*found)->authenticated_at, request.authenticated_at);
}

TEST_P(OAuthSessionConformanceTest, AClientCredentialsSessionHasNoUser) {
  domain::OAuthClient client = addClient();
  auto tx = begin();
  storage::NewOAuthSession request;
  request.client_id = client.id;
  request.scope = "urn:mas:admin";

  auto added = tx->oauthSessions().add(rng_, clock_, request);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  auto found = tx->oauthSessions().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE((*found)->user_id.has_value());
  EXPECT_FALSE((*found)->device_id.has_value());
  EXPECT_FALSE((*found)->authenticated_at.has_value());
}

TEST_P(OAuthSessionConformanceTest, LooksASessionUpForUpdateWithItsUserInOneRead) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::OAuthSession session = addSession(client, alice, "DEVICEAAAA");
  domain::OAuthSession finished = addSession(client, alice);
  storage::NewOAuthSession own;
  own.client_id = client.id;
  own.scope = "urn:mas:admin";
  domain::OAuthSession clients;
  {
    auto tx = begin();
    auto added = tx->oauthSessions().add(rng_, clock_, own);
    ASSERT_TRUE(added.has_value()) << added.error().detail;
    clients = *added;
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, finished.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin();

  auto found = tx->oauthSessions().lookupForUpdateWithUser(session.id);
  auto ended = tx->oauthSessions().lookupForUpdateWithUser(finished.id);
  auto without_user = tx->oauthSessions().lookupForUpdateWithUser(clients.id);
  auto unknown = tx->oauthSessions().lookupForUpdateWithUser(
      domain::OAuthSessionId(core::newUlid(rng_, clock_)));

  ASSERT_TRUE(found && found->has_value()) << (found ? "" : found.error().detail);
  EXPECT_EQ((*found)->session, **tx->oauthSessions().lookup(session.id));
  EXPECT_EQ((*found)->user, alice);
  ASSERT_TRUE(ended && ended->has_value());
  EXPECT_FALSE((*ended)->session.isActive());
  EXPECT_EQ((*ended)->user, alice);
  ASSERT_TRUE(without_user && without_user->has_value());
  EXPECT_EQ((*without_user)->session.id, clients.id);
  EXPECT_FALSE((*without_user)->user.has_value());
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
  // Tokens may be added under the session read: the same contract as
  // lookupForUpdate (no second check of the session at the insert).
  EXPECT_TRUE(
      tx->accessTokens()
          .add(rng_, clock_, session.id, fakeHash("at"), clock_.now() + std::chrono::minutes(5))
          .has_value());
  EXPECT_TRUE(tx->commit());
}

TEST_P(OAuthSessionConformanceTest, ASessionOfAnUnknownClientOrUserIsAConstraintViolation) {
  domain::OAuthClient client = addClient();
  domain::User bob = addUser("bob");
  for (bool unknown_client : {true, false}) {
    auto tx = begin();
    storage::NewOAuthSession request;
    request.client_id = unknown_client ? domain::ClientId("01ARZ3NDEKTSV4RRFFQ69G5FAV") : client.id;
    request.user_id = unknown_client ? bob.id : domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV");

    auto added = tx->oauthSessions().add(rng_, clock_, request);
    // Refused at once (SQLite) or with the next statement or the commit
    // (PostgreSQL sends the insert with them).
    auto committed =
        added ? tx->commit() : Result<void, storage::StorageError>(unexpected(added.error()));

    ASSERT_FALSE(committed.has_value());
    EXPECT_EQ(committed.error().code, StorageErrorCode::Constraint);
  }
}

TEST_P(OAuthSessionConformanceTest, FinishingRevokesEveryAccessAndRefreshTokenOfTheSession) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::OAuthSession session = addSession(client, alice);
  domain::OAuthSession other = addSession(client, alice);
  domain::AccessToken at1 = addAccessToken(session, fakeHash("at1"));
  domain::RefreshToken rt1 = addRefreshToken(session, fakeHash("rt1"), at1);
  domain::AccessToken at2 = addAccessToken(session, fakeHash("at2"));
  domain::RefreshToken rt2 = addRefreshToken(session, fakeHash("rt2"), at2);
  domain::AccessToken other_at = addAccessToken(other, fakeHash("other-at"));
  domain::RefreshToken other_rt = addRefreshToken(other, fakeHash("other-rt"), other_at);
  Timestamp earlier_revocation = clock_.now();
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->accessTokens().revoke(clock_, at1.id));
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, rt1.id, rt2.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(1h);
  {
    auto tx = begin();
    auto finished = tx->oauthSessions().finish(clock_, session.id);
    ASSERT_TRUE(finished.has_value()) << finished.error().detail;
    EXPECT_TRUE(*finished);
    ASSERT_TRUE(tx->commit());
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ((*tx->oauthSessions().lookup(session.id))->finished_at, clock_.now());
  // An earlier revocation keeps its time; every other token dies now.
  EXPECT_EQ((*tx->accessTokens().lookup(at1.id))->revoked_at, earlier_revocation);
  EXPECT_EQ((*tx->accessTokens().lookup(at2.id))->revoked_at, clock_.now());
  EXPECT_EQ((*tx->refreshTokens().lookup(rt1.id))->revoked_at, clock_.now());
  EXPECT_EQ((*tx->refreshTokens().lookup(rt2.id))->revoked_at, clock_.now());
  EXPECT_FALSE((*tx->refreshTokens().lookup(rt2.id))->isUsableAt(clock_.now()));
  // Another session of the same user and client is untouched.
  EXPECT_TRUE((*tx->oauthSessions().lookup(other.id))->isActive());
  EXPECT_FALSE((*tx->accessTokens().lookup(other_at.id))->revoked_at.has_value());
  EXPECT_FALSE((*tx->refreshTokens().lookup(other_rt.id))->revoked_at.has_value());
}

TEST_P(OAuthSessionConformanceTest, FinishingAndItsRevocationsAreUndoneTogetherByRollback) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  domain::AccessToken at = addAccessToken(session, fakeHash("at"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, session.id));
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  EXPECT_TRUE((*tx->oauthSessions().lookup(session.id))->isActive());
  EXPECT_TRUE((*tx->accessTokens().lookup(at.id))->isValidAt(clock_.now()));
}

TEST_P(OAuthSessionConformanceTest, FinishingSucceedsOnlyOnceAndNotForUnknownSessions) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  auto tx = begin();
  Timestamp finished_at = clock_.now();

  auto first = tx->oauthSessions().finish(clock_, session.id);
  clock_.advance(1min);
  auto second = tx->oauthSessions().finish(clock_, session.id);
  auto unknown = tx->oauthSessions().finish(clock_, kUnknownSession);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->oauthSessions().lookup(session.id))->finished_at, finished_at);
}

TEST_P(OAuthSessionConformanceTest, ListsAUsersActiveSessionsNewestFirstPageByPage) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthClient client = addClient();
  std::vector<domain::OAuthSession> sessions;
  for (int i = 0; i < 5; ++i) {
    sessions.push_back(addSession(client, alice));
    clock_.advance(1ms);
  }
  addSession(client, bob);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, sessions[2].id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto first = tx->oauthSessions().listActiveForUser(alice.id, {std::nullopt, 2});
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_EQ(first->size(), 2u);
  auto second = tx->oauthSessions().listActiveForUser(alice.id, {(*first)[1].id.str(), 2});
  ASSERT_TRUE(second.has_value());
  ASSERT_EQ(second->size(), 2u);
  auto last = tx->oauthSessions().listActiveForUser(alice.id, {(*second)[1].id.str(), 2});
  ASSERT_TRUE(last.has_value());

  EXPECT_EQ((*first)[0], sessions[4]);
  EXPECT_EQ((*first)[1], sessions[3]);
  EXPECT_EQ((*second)[0], sessions[1]);
  EXPECT_EQ((*second)[1], sessions[0]);
  EXPECT_TRUE(last->empty());
}

TEST_P(OAuthSessionConformanceTest, FindsTheActiveSessionsOfAUserBoundToADevice) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthClient client = addClient();
  domain::OAuthSession bound = addSession(client, alice, "DEVICEAAAA");
  domain::OAuthSession finished = addSession(client, alice, "DEVICEAAAA");
  addSession(client, alice, "DEVICEBBBB");
  addSession(client, alice);
  addSession(client, bob, "DEVICEAAAA");
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, finished.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->oauthSessions().findActiveByDevice(alice.id, "DEVICEAAAA");
  auto none = tx->oauthSessions().findActiveByDevice(alice.id, "DEVICECCCC");

  ASSERT_TRUE(found.has_value()) << found.error().detail;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0], bound);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST_P(OAuthSessionConformanceTest, RecordedActivityOnlyMovesForward) {
  domain::OAuthSession session = addSession(addClient(), addUser("alice"));
  Timestamp t1 = clock_.now() + 1min;
  Timestamp t2 = clock_.now() + 2min;
  auto tx = begin();

  ASSERT_TRUE(tx->oauthSessions().recordActivity(session.id, t2, "192.0.2.2"));
  ASSERT_TRUE(tx->oauthSessions().recordActivity(session.id, t1, "192.0.2.1"));
  auto after_older = tx->oauthSessions().lookup(session.id);
  ASSERT_TRUE(tx->oauthSessions().recordActivity(session.id, t2 + 1ms, "2001:db8::3"));
  auto after_newer = tx->oauthSessions().lookup(session.id);

  ASSERT_TRUE(after_older && after_older->has_value());
  EXPECT_EQ((*after_older)->last_active_at, t2);
  EXPECT_EQ((*after_older)->last_active_ip, "192.0.2.2");
  ASSERT_TRUE(after_newer && after_newer->has_value());
  EXPECT_EQ((*after_newer)->last_active_at, t2 + 1ms);
  EXPECT_EQ((*after_newer)->last_active_ip, "2001:db8::3");
}

TEST_P(OAuthSessionConformanceTest, ActivityOfAnUnknownSessionIsIgnoredWithoutError) {
  auto tx = begin();

  auto recorded = tx->oauthSessions().recordActivity(kUnknownSession, clock_.now(), "192.0.2.1");

  EXPECT_TRUE(recorded.has_value());
  EXPECT_TRUE(tx->commit().has_value());
}

TEST_P(OAuthSessionConformanceTest, LookingUpAnUnknownSessionAnswersEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->oauthSessions().lookup(kUnknownSession);

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OAuthSessionConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, OAuthSessionConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
