#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/testing/conformance.h"
#include "storage/testing/inspection.h"

// Registration races (issue 7, C.5): racers, each on its own pooled
// connection in its own transaction, register one username at once the way
// the registration page does (user, password, e-mail address, provisioning
// job in one transaction). Exactly one account results; every loser learns
// that the name is taken (Conflict, which the page shows as "This username
// is taken"), and nothing a loser wrote survives.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

constexpr int kRegistrationRounds = 3;

class UserConcurrencyConformanceTest : public MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto racing = test_database_->open({static_cast<std::size_t>(kRacers), 10s});
    ASSERT_TRUE(racing.has_value()) << racing.error().detail;
    racing_ = std::move(*racing);
    for (int racer = 0; racer < kRacers; ++racer) {
      racer_rngs_.push_back(std::make_unique<SeededRng>(1000 + racer));
    }
  }

  void TearDown() override {
    racing_.reset();
    MigratedDatabaseTest::TearDown();
  }

  std::unique_ptr<storage::Database> racing_;
  std::vector<std::unique_ptr<SeededRng>> racer_rngs_;  // one each: no shared state
};

// The same name in a different case per racer: uniqueness ignores case.
std::string spelling(const std::string& name, int racer) {
  std::string spelled = name;
  for (std::size_t i = 0; i < spelled.size(); ++i) {
    if (((static_cast<unsigned>(racer) >> (i % 4)) & 1U) != 0) {
      spelled[i] = static_cast<char>(spelled[i] - 'a' + 'A');
    }
  }
  return spelled;
}

TEST_P(UserConcurrencyConformanceTest, OfConcurrentRegistrationsOfOneUsernameExactlyOneCreatesIt) {
  for (int round = 0; round < kRegistrationRounds; ++round) {
    const std::string name = "rita" + std::string(1, static_cast<char>('a' + round));
    std::vector<std::optional<StorageErrorCode>> refusals(kRacers);
    std::vector<std::optional<domain::UserId>> created(kRacers);

    auto attempts = raceTransactions(
        *racing_, GetParam(), kRacers,
        [&](storage::Transaction& tx, int racer) -> Result<bool, storage::StorageError> {
          Rng& rng = *racer_rngs_[static_cast<std::size_t>(racer)];
          auto user = tx.users().add(rng, clock_, localpart(spelling(name, racer)), false);
          if (!user) {
            if (user.error().code != StorageErrorCode::Conflict) {
              return unexpected(user.error());
            }
            refusals[static_cast<std::size_t>(racer)] = user.error().code;
            return false;
          }
          created[static_cast<std::size_t>(racer)] = user->id;
          auto password = tx.userPasswords().add(
              rng, clock_, user->id, "$argon2id$v=19$m=8192,t=1,p=1$racer" + std::to_string(racer),
              1, std::nullopt);
          if (!password) return unexpected(password.error());
          auto email = tx.userEmails().add(rng, clock_, user->id, name + "@example.org");
          if (!email) return unexpected(email.error());
          auto job = tx.jobs().add(rng, clock_, "homeserver.provision_user",
                                   R"({"user_id":")" + user->id.str() + "\"}", clock_.now());
          if (!job) return unexpected(job.error());
          return true;
        });

    expectOneWinner(attempts);
    int winner = -1;
    for (int racer = 0; racer < kRacers; ++racer) {
      const auto index = static_cast<std::size_t>(racer);
      if (attempts[index].won) {
        winner = racer;
        continue;
      }
      EXPECT_EQ(refusals[index], StorageErrorCode::Conflict)
          << "racer " << racer << " is told the name is taken";
    }
    ASSERT_GE(winner, 0);

    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto found = tx->users().findByLocalpart(name);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->id, created[static_cast<std::size_t>(winner)]);
    auto users = tx->users().list({.after = std::nullopt, .limit = 100});
    ASSERT_TRUE(users.has_value());
    EXPECT_EQ(users->size(), static_cast<std::size_t>(round + 1)) << "one account per round";
    // The winner's account is whole: its password and its address.
    auto history = tx->userPasswords().history((*found)->id);
    ASSERT_TRUE(history.has_value());
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ(history->front().hash,
              "$argon2id$v=19$m=8192,t=1,p=1$racer" + std::to_string(winner));
    auto emails = tx->userEmails().listForUser((*found)->id);
    ASSERT_TRUE(emails.has_value());
    EXPECT_EQ(emails->size(), 1u);
    // A loser that got as far as a row left nothing behind.
    for (int racer = 0; racer < kRacers; ++racer) {
      const auto& id = created[static_cast<std::size_t>(racer)];
      if (racer == winner || !id) continue;
      auto ghost = tx->users().lookup(*id);
      ASSERT_TRUE(ghost.has_value());
      EXPECT_FALSE(ghost->has_value()) << "racer " << racer;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UserConcurrencyConformanceTest,
                         ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserConcurrencyConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
