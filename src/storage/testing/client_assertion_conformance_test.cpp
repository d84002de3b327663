#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// ClientAssertionRepository (storage/client_assertion_repository.h) and the
// sealed secret of client_secret_jwt clients on OAuthClientRepository.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class ClientAssertionConformanceTest : public OAuthConformanceTest {
 protected:
  // "recorded", "replay", or the storage error.
  std::string record(const domain::OAuthClient& client, std::string_view jti_hash,
                     Timestamp expires_at) {
    auto tx = begin();
    auto recorded = tx->clientAssertions().recordJti(client.id, jti_hash, expires_at, clock_.now());
    if (!recorded) return "error: " + recorded.error().detail;
    if (!*recorded) return "replay";
    EXPECT_TRUE(tx->commit());
    return "recorded";
  }
};

TEST_P(ClientAssertionConformanceTest, RecordsAJtiOnceAndRefusesItWhileItLives) {
  domain::OAuthClient client = addClient();
  Timestamp expires = clock_.now() + 5min;

  EXPECT_EQ(record(client, fakeHash("jti"), expires), "recorded");
  EXPECT_EQ(record(client, fakeHash("jti"), expires), "replay");
  clock_.advance(4min);
  EXPECT_EQ(record(client, fakeHash("jti"), expires + 5min), "replay");
}

TEST_P(ClientAssertionConformanceTest, TheSameJtiOfAnotherClientIsAnotherRecord) {
  domain::OAuthClient first = addClient(R"({"client_name":"a"})");
  domain::OAuthClient second = addClient(R"({"client_name":"b"})");

  EXPECT_EQ(record(first, fakeHash("jti"), clock_.now() + 1min), "recorded");
  EXPECT_EQ(record(second, fakeHash("jti"), clock_.now() + 1min), "recorded");
}

TEST_P(ClientAssertionConformanceTest, AnExpiredRecordIsReplacedByANewUse) {
  domain::OAuthClient client = addClient();
  EXPECT_EQ(record(client, fakeHash("jti"), clock_.now() + 1min), "recorded");
  clock_.advance(1min);  // expires_at <= now: expired

  EXPECT_EQ(record(client, fakeHash("jti"), clock_.now() + 1min), "recorded");
  EXPECT_EQ(record(client, fakeHash("jti"), clock_.now() + 1min), "replay");
}

TEST_P(ClientAssertionConformanceTest, AJtiOfAnUnknownClientIsAConstraintViolation) {
  auto tx = begin();
  auto recorded =
      tx->clientAssertions().recordJti(domain::ClientId("01ARZ3NDEKTSV4RRFFQ69G5FAV"),
                                       fakeHash("jti"), clock_.now() + 1min, clock_.now());
  ASSERT_FALSE(recorded.has_value());
  EXPECT_EQ(recorded.error().code, storage::StorageErrorCode::Constraint);
}

TEST_P(ClientAssertionConformanceTest, PurgesOnlyExpiredRecords) {
  domain::OAuthClient client = addClient();
  ASSERT_EQ(record(client, fakeHash("old"), clock_.now() + 1min), "recorded");
  ASSERT_EQ(record(client, fakeHash("new"), clock_.now() + 10min), "recorded");
  clock_.advance(2min);

  auto tx = begin();
  auto purged = tx->clientAssertions().purgeExpired(clock_.now());
  ASSERT_TRUE(purged.has_value()) << purged.error().detail;
  EXPECT_EQ(*purged, 1);
  ASSERT_TRUE(tx->commit());
  auto again = begin();
  auto purged_again = again->clientAssertions().purgeExpired(clock_.now());
  ASSERT_TRUE(purged_again.has_value()) << purged_again.error().detail;
  EXPECT_EQ(*purged_again, 0);
  again.reset();
  EXPECT_EQ(record(client, fakeHash("new"), clock_.now() + 10min), "replay");
}

TEST_P(ClientAssertionConformanceTest, PurgingUsesTheExpiryIndex) {
  std::string plan = queryPlan(GetParam(), test_database_->location(),
                               "SELECT client_id FROM client_assertion_jtis WHERE expires_at <= 0");
  EXPECT_NE(plan.find("client_assertion_jtis_expires_idx"), std::string::npos) << plan;
}

TEST_P(ClientAssertionConformanceTest, OfConcurrentUsesOfOneAssertionExactlyOneIsAccepted) {
  domain::OAuthClient client = addClient();
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  for (int round = 0; round < kRounds; ++round) {
    std::string jti_hash = fakeHash("jti" + std::to_string(round));
    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers, [&](storage::Transaction& tx, int) {
          return tx.clientAssertions().recordJti(client.id, jti_hash, clock_.now() + 1min,
                                                 clock_.now());
        });
    expectOneWinner(attempts);
  }
}

TEST_P(ClientAssertionConformanceTest, ASealedSecretRoundTripsWithTheClient) {
  auto tx = begin();
  storage::NewOAuthClient client;
  client.metadata_json = R"({"token_endpoint_auth_method":"client_secret_jwt"})";
  client.secret_hash = fakeHash("secret");
  client.encrypted_secret = "AQIDBAUGBwgJCgsMDQ4P";
  auto added = tx->oauthClients().add(rng_, clock_, client);
  ASSERT_TRUE(added.has_value()) << added.error().detail;
  ASSERT_TRUE(tx->commit());

  auto read = begin(storage::TransactionMode::ReadOnly);
  auto found = read->oauthClients().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->encrypted_secret, client.encrypted_secret);
  EXPECT_EQ(**found, *added);
  EXPECT_FALSE(addClient().encrypted_secret.has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ClientAssertionConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ClientAssertionConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
