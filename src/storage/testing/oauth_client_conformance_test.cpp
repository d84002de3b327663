#include <gtest/gtest.h>

#include <chrono>

#include "core/ulid.h"
#include "storage/testing/oauth_conformance.h"

// OAuthClientRepository and BrowserSessionRepository (storage/oauth_repositories.h).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::ClientId kUnknownClient("01ARZ3NDEKTSV4RRFFQ69G5FAV");
const domain::BrowserSessionId kUnknownBrowserSession("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class OAuthClientConformanceTest : public OAuthConformanceTest {};

TEST_P(OAuthClientConformanceTest, AddsAClientWithIdAndTimeFromTheInjectedRngAndClock) {
  auto tx = begin();
  storage::NewOAuthClient client;
  client.metadata_json = R"({"client_name":"Élément","redirect_uris":["https://a.example/cb"]})";
  client.secret_hash = fakeHash("secret");
  client.metadata_digest = fakeHash("digest");
  client.is_static = true;

  auto added = tx->oauthClients().add(rng_, clock_, client);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_EQ(added->metadata_json, client.metadata_json);
  EXPECT_EQ(added->secret_hash, client.secret_hash);
  EXPECT_EQ(added->metadata_digest, client.metadata_digest);
  EXPECT_TRUE(added->is_static);
  ASSERT_TRUE(tx->commit());
  auto read = begin(storage::TransactionMode::ReadOnly);
  auto found = read->oauthClients().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
}

TEST_P(OAuthClientConformanceTest, APublicClientWithoutDigestOrSecretRoundTrips) {
  domain::OAuthClient client = addClient(R"({"client_name":"plain"})");
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->oauthClients().lookup(client.id);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, client);
  EXPECT_FALSE((*found)->secret_hash.has_value());
  EXPECT_FALSE((*found)->metadata_digest.has_value());
  EXPECT_FALSE((*found)->is_static);
}

TEST_P(OAuthClientConformanceTest, UnknownIdsAndDigestsAnswerEmpty) {
  addClient();
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto by_id = tx->oauthClients().lookup(kUnknownClient);
  auto by_digest = tx->oauthClients().findByDigest(fakeHash("nothing"));

  ASSERT_TRUE(by_id.has_value());
  EXPECT_FALSE(by_id->has_value());
  ASSERT_TRUE(by_digest.has_value());
  EXPECT_FALSE(by_digest->has_value());
}

// Client records never change once written, so the database keeps what a
// read-only transaction read (storage/sql/client_cache.h): a later lookup
// does not go to the tables. Shown by removing the row behind its back.
TEST_P(OAuthClientConformanceTest, AClientReadOnceIsServedFromMemoryAfterwards) {
  domain::OAuthClient client = addClient(R"({"client_name":"kept"})");
  {
    auto read = begin(storage::TransactionMode::ReadOnly);
    ASSERT_TRUE(read->oauthClients().lookup(client.id).value().has_value());
  }
  ASSERT_TRUE(
      test_database_->executeRaw("DELETE FROM oauth_clients WHERE id = '" + client.id.str() + "'"));

  auto again = begin(storage::TransactionMode::ReadOnly);
  auto found = again->oauthClients().lookup(client.id);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, client);
}

// Only committed records are kept: a read-write transaction may read a
// client it added and then roll back.
TEST_P(OAuthClientConformanceTest, AClientReadInAReadWriteTransactionIsNotKept) {
  domain::ClientId id = kUnknownClient;
  {
    auto tx = begin();
    auto added = tx->oauthClients().add(
        rng_, clock_,
        storage::NewOAuthClient{"{}", std::nullopt, std::nullopt, false, std::nullopt});
    ASSERT_TRUE(added.has_value());
    id = added->id;
    ASSERT_TRUE(tx->oauthClients().lookup(id).value().has_value());
    // rolled back here
  }
  auto read = begin(storage::TransactionMode::ReadOnly);
  auto found = read->oauthClients().lookup(id);

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

// An unknown id is asked of the database every time: the client may be
// registered a moment later (on another instance too).
TEST_P(OAuthClientConformanceTest, AnUnknownClientIsNotRememberedAsUnknown) {
  domain::OAuthClient other = addClient();
  std::string id;
  {
    auto read = begin(storage::TransactionMode::ReadOnly);
    auto missing = read->oauthClients().lookup(kUnknownClient);
    ASSERT_TRUE(missing.has_value());
    ASSERT_FALSE(missing->has_value());
  }
  // The row of another client, copied under the id that was unknown.
  ASSERT_TRUE(test_database_->executeRaw(
      "INSERT INTO oauth_clients (id, metadata_json, is_static, created_at) SELECT '" +
      kUnknownClient.str() +
      "', metadata_json, is_static, created_at FROM oauth_clients WHERE id = '" + other.id.str() +
      "'"));

  auto read = begin(storage::TransactionMode::ReadOnly);
  auto found = read->oauthClients().lookup(kUnknownClient);

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->metadata_json, other.metadata_json);
}

TEST_P(OAuthClientConformanceTest, FindsTheClientRegisteredWithAMetadataDigest) {
  auto tx = begin();
  storage::NewOAuthClient client{"{}", std::nullopt, fakeHash("digest"), false, std::nullopt};
  auto added = tx->oauthClients().add(rng_, clock_, client);
  ASSERT_TRUE(added.has_value());

  auto found = tx->oauthClients().findByDigest(fakeHash("digest"));

  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
}

TEST_P(OAuthClientConformanceTest, ATakenMetadataDigestIsAConflict) {
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthClients().add(rng_, clock_,
                                       {"{}", std::nullopt, fakeHash("d"), false, std::nullopt}));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin();

  auto again = tx->oauthClients().add(rng_, clock_,
                                      {"{}", std::nullopt, fakeHash("d"), false, std::nullopt});

  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, StorageErrorCode::Conflict);
}

TEST_P(OAuthClientConformanceTest, ManyClientsMayHaveNoDigest) {
  auto tx = begin();

  auto first =
      tx->oauthClients().add(rng_, clock_, {"{}", std::nullopt, std::nullopt, false, std::nullopt});
  auto second =
      tx->oauthClients().add(rng_, clock_, {"{}", std::nullopt, std::nullopt, false, std::nullopt});

  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_TRUE(second.has_value()) << second.error().detail;
  EXPECT_NE(first->id, second->id);
}

class BrowserSessionConformanceTest : public OAuthConformanceTest {};

TEST_P(BrowserSessionConformanceTest, AddsAnActiveSessionAuthenticatedNow) {
  domain::User alice = addUser("alice");
  auto tx = begin();

  auto added = tx->browserSessions().add(rng_, clock_, {alice.id, "Firefox/140", "2001:db8::1"});

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->user_id, alice.id);
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_EQ(added->authenticated_at, clock_.now());
  EXPECT_TRUE(added->isActive());
  auto found = tx->browserSessions().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
  EXPECT_EQ((*found)->user_agent, "Firefox/140");
  EXPECT_EQ((*found)->ip_address, "2001:db8::1");
}

TEST_P(BrowserSessionConformanceTest, LooksASessionUpWithItsUserInOneRead) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::BrowserSession session = addBrowserSession(bob);
  addBrowserSession(alice);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, bob.id)->has_value());
    ASSERT_TRUE(*tx->browserSessions().finish(clock_, session.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->browserSessions().lookupWithUser(session.id);
  auto unknown =
      tx->browserSessions().lookupWithUser(domain::BrowserSessionId("01ARZ3NDEKTSV4RRFFQ69G5FAV"));

  ASSERT_TRUE(found && found->has_value()) << (found ? "" : found.error().detail);
  EXPECT_EQ((*found)->session, **tx->browserSessions().lookup(session.id));
  EXPECT_EQ((*found)->user, **tx->users().lookup(bob.id));
  EXPECT_FALSE((*found)->session.isActive());
  EXPECT_TRUE((*found)->user.locked_at.has_value());
  EXPECT_EQ((*found)->user.localpart, "bob");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(BrowserSessionConformanceTest, ASessionOfAnUnknownUserIsAConstraintViolation) {
  auto tx = begin();

  auto added = tx->browserSessions().add(
      rng_, clock_, {domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV"), "agent", "192.0.2.1"});
  // Refused at once (SQLite) or at the commit (PostgreSQL sends the insert
  // with it).
  auto committed =
      added ? tx->commit() : Result<void, storage::StorageError>(unexpected(added.error()));

  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, StorageErrorCode::Constraint);
}

TEST_P(BrowserSessionConformanceTest, ReauthenticationMovesOnlyTheAuthenticationTime) {
  domain::BrowserSession session = addBrowserSession(addUser("alice"));
  clock_.advance(1h);
  auto tx = begin();

  auto again = tx->browserSessions().reauthenticate(clock_, session.id);

  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->authenticated_at, clock_.now());
  EXPECT_EQ((*again)->created_at, session.created_at);
  EXPECT_EQ(**tx->browserSessions().lookup(session.id), **again);
}

TEST_P(BrowserSessionConformanceTest, FinishedOrUnknownSessionsCannotReauthenticate) {
  domain::BrowserSession session = addBrowserSession(addUser("alice"));
  auto tx = begin();
  ASSERT_TRUE(*tx->browserSessions().finish(clock_, session.id));

  auto finished = tx->browserSessions().reauthenticate(clock_, session.id);
  auto unknown = tx->browserSessions().reauthenticate(clock_, kUnknownBrowserSession);

  ASSERT_TRUE(finished.has_value());
  EXPECT_FALSE(finished->has_value());
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(BrowserSessionConformanceTest, FinishingAllOfAUsersSessionsKeepsTheOneAskedForOnly) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::BrowserSession kept = addBrowserSession(alice);
  domain::BrowserSession other = addBrowserSession(alice);
  domain::BrowserSession already = addBrowserSession(alice);
  domain::BrowserSession bobs = addBrowserSession(bob);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->browserSessions().finish(clock_, already.id));
    ASSERT_TRUE(tx->commit().has_value());
  }
  const Timestamp already_finished_at = clock_.now();
  clock_.advance(1min);
  auto tx = begin();

  auto finished = tx->browserSessions().finishAllForUser(clock_, alice.id, kept.id);

  ASSERT_TRUE(finished.has_value()) << finished.error().detail;
  EXPECT_EQ(*finished, 1);
  EXPECT_TRUE((*tx->browserSessions().lookup(kept.id))->isActive());
  EXPECT_EQ((*tx->browserSessions().lookup(other.id))->finished_at, clock_.now());
  EXPECT_EQ((*tx->browserSessions().lookup(already.id))->finished_at, already_finished_at);
  EXPECT_TRUE((*tx->browserSessions().lookup(bobs.id))->isActive());

  auto all = tx->browserSessions().finishAllForUser(clock_, alice.id, std::nullopt);

  ASSERT_TRUE(all.has_value()) << all.error().detail;
  EXPECT_EQ(*all, 1);
  EXPECT_FALSE((*tx->browserSessions().lookup(kept.id))->isActive());
  EXPECT_TRUE((*tx->browserSessions().lookup(bobs.id))->isActive());
}

TEST_P(BrowserSessionConformanceTest, ListsAUsersUnfinishedSessionsNewestFirstPageByPage) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::BrowserSession oldest = addBrowserSession(alice);
  clock_.advance(1s);
  domain::BrowserSession ended = addBrowserSession(alice);
  clock_.advance(1s);
  domain::BrowserSession middle = addBrowserSession(alice);
  clock_.advance(1s);
  domain::BrowserSession newest = addBrowserSession(alice);
  addBrowserSession(bob);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->browserSessions().finish(clock_, ended.id));
    ASSERT_TRUE(tx->commit().has_value());
  }
  auto tx = begin();
  storage::Page first_page;
  first_page.limit = 2;

  auto first = tx->browserSessions().listActiveForUser(alice.id, first_page);

  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ(first->at(0), newest);
  EXPECT_EQ(first->at(1), middle);

  storage::Page second_page;
  second_page.after = first->back().id.str();
  auto second = tx->browserSessions().listActiveForUser(alice.id, second_page);

  ASSERT_TRUE(second.has_value()) << second.error().detail;
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->at(0), oldest);
}

TEST_P(BrowserSessionConformanceTest, FinishingSucceedsOnceAndKeepsTheFirstTime) {
  domain::BrowserSession session = addBrowserSession(addUser("alice"));
  auto tx = begin();
  Timestamp finished_at = clock_.now();

  auto first = tx->browserSessions().finish(clock_, session.id);
  clock_.advance(1min);
  auto second = tx->browserSessions().finish(clock_, session.id);
  auto unknown = tx->browserSessions().finish(clock_, kUnknownBrowserSession);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  auto found = tx->browserSessions().lookup(session.id);
  EXPECT_EQ((*found)->finished_at, finished_at);
  EXPECT_FALSE((*found)->isActive());
}

TEST_P(BrowserSessionConformanceTest, LookingUpAnUnknownSessionAnswersEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->browserSessions().lookup(kUnknownBrowserSession);

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OAuthClientConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, OAuthClientConformanceTest,
                         ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, BrowserSessionConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, BrowserSessionConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
