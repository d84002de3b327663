#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/registration_token_repository.h"
#include "storage/testing/conformance.h"
#include "storage/testing/inspection.h"

// RegistrationTokenRepository (storage/registration_token_repository.h):
// uses counted by one conditional write (never more than the limit, even
// when registrations race), expiry and revocation, and the terms of
// service a user accepted.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class RegistrationTokenConformanceTest : public MigratedDatabaseTest {
 protected:
  storage::RegistrationToken addToken(const std::string& hash, std::optional<std::int64_t> limit,
                                      std::optional<Timestamp> expires = std::nullopt) {
    auto tx = begin();
    auto token = tx->registrationTokens().add(rng_, clock_, hash, limit, expires);
    EXPECT_TRUE(token.has_value()) << token.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return token.value_or(storage::RegistrationToken{});
  }

  std::optional<storage::RegistrationToken> use(const std::string& hash) {
    auto tx = begin();
    auto used = tx->registrationTokens().use(clock_, hash);
    EXPECT_TRUE(used.has_value()) << used.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return used.value_or(std::nullopt);
  }
};

TEST_P(RegistrationTokenConformanceTest, ALimitedTokenIsSpentExactlyItsUses) {
  const storage::RegistrationToken token = addToken("h1", 2);
  EXPECT_EQ(token.times_used, 0);
  auto first = use("h1");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->times_used, 1);
  EXPECT_EQ(first->last_used_at, clock_.now());
  ASSERT_TRUE(use("h1").has_value());
  EXPECT_FALSE(use("h1").has_value());
  EXPECT_FALSE(use("unknown").has_value());

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->registrationTokens().findByHash("h1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->times_used, 2);
}

TEST_P(RegistrationTokenConformanceTest, UnlimitedTokensExpireAndRevokedOnesAreRefused) {
  addToken("forever", std::nullopt);
  addToken("brief", std::nullopt, clock_.now() + 1h);
  const storage::RegistrationToken revoked = addToken("revoked", 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(use("forever").has_value());
  EXPECT_TRUE(use("brief").has_value());
  {
    auto tx = begin();
    EXPECT_TRUE(tx->registrationTokens().revoke(clock_, revoked.id).value_or(false));
    EXPECT_FALSE(tx->registrationTokens()
                     .revoke(clock_, domain::RegistrationTokenId("01J00000000000000000000000"))
                     .value_or(true));
    EXPECT_TRUE(tx->commit().has_value());
  }
  EXPECT_FALSE(use("revoked").has_value());
  clock_.advance(1h);
  EXPECT_FALSE(use("brief").has_value());
  EXPECT_TRUE(use("forever").has_value());

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto all = tx->registrationTokens().list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].token_hash, "forever");
  EXPECT_EQ((*all)[0].times_used, 6);
  EXPECT_TRUE((*all)[2].revoked_at.has_value());
}

TEST_P(RegistrationTokenConformanceTest, AHashIsStoredOnce) {
  addToken("same", 1);
  auto tx = begin();
  auto again = tx->registrationTokens().add(rng_, clock_, "same", 1, std::nullopt);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, storage::StorageErrorCode::Conflict);
}

TEST_P(RegistrationTokenConformanceTest, RacingRegistrationsNeverSpendMoreThanTheLimit) {
  auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
  ASSERT_TRUE(racing.has_value()) << racing.error().detail;
  for (int round = 0; round < kRounds; ++round) {
    const std::string hash = "race" + std::to_string(round);
    addToken(hash, 1);
    auto attempts =
        raceTransactions(**racing, GetParam(), kRacers,
                         [&](storage::Transaction& tx, int) -> Result<bool, storage::StorageError> {
                           auto used = tx.registrationTokens().use(clock_, hash);
                           if (!used) return unexpected(used.error());
                           return used->has_value();
                         });
    expectOneWinner(attempts);
  }
}

TEST_P(RegistrationTokenConformanceTest, TermsAcceptanceKeepsTheFirstTime) {
  const domain::User alice = addUser("alice");
  const Timestamp first = clock_.now();
  for (int i = 0; i < 2; ++i) {
    auto tx = begin();
    EXPECT_TRUE(tx->registrationTokens()
                    .acceptTerms(clock_, alice.id, "https://example.org/tos")
                    .has_value());
    EXPECT_TRUE(tx->commit().has_value());
    clock_.advance(1min);
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto terms = tx->registrationTokens().termsOf(alice.id);
  ASSERT_TRUE(terms.has_value());
  EXPECT_EQ(*terms,
            (std::vector<storage::UserTermsAcceptance>{{"https://example.org/tos", first}}));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RegistrationTokenConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RegistrationTokenConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
