#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "storage/recovery_ticket_repository.h"
#include "storage/testing/conformance.h"
#include "storage/user_email_code_repository.h"

// The primary address (UserEmailRepository::setPrimary), the e-mail
// verification codes (storage/user_email_code_repository.h) and the
// recovery tickets (storage/recovery_ticket_repository.h): single use by
// conditional writes, expiry from the clock, attempt limits, cascades.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class EmailCodeConformanceTest : public MigratedDatabaseTest {
 protected:
  domain::UserEmail addEmail(const domain::User& user, std::string address, bool confirmed) {
    auto tx = begin();
    auto email = tx->userEmails().add(rng_, clock_, user.id, address);
    EXPECT_TRUE(email.has_value()) << email.error().detail;
    if (!email) return {};
    domain::UserEmail added = *email;
    if (confirmed) {
      auto done = tx->userEmails().confirm(clock_, added.id);
      EXPECT_TRUE(done.has_value() && done->has_value());
      if (done && *done) added = **done;
    }
    EXPECT_TRUE(tx->commit().has_value());
    return added;
  }

  bool setPrimary(const domain::User& user, const domain::UserEmail& email) {
    auto tx = begin();
    auto set = tx->userEmails().setPrimary(user.id, email.id);
    EXPECT_TRUE(set.has_value()) << set.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return set.value_or(false);
  }

  std::vector<domain::UserEmail> emailsOf(const domain::User& user) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto emails = tx->userEmails().listForUser(user.id);
    EXPECT_TRUE(emails.has_value());
    return emails.value_or(std::vector<domain::UserEmail>{});
  }

  storage::UserEmailCode addCode(const domain::UserEmail& email, std::string hash,
                                 Duration ttl = 10min) {
    auto tx = begin();
    auto code = tx->userEmailCodes().add(rng_, clock_, email.id, hash, clock_.now() + ttl);
    EXPECT_TRUE(code.has_value()) << code.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return code.value_or(storage::UserEmailCode{});
  }

  template <class F>
  auto inTx(F f) {
    auto tx = begin();
    auto result = f(*tx);
    EXPECT_TRUE(result.has_value()) << result.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return *result;
  }
};

TEST_P(EmailCodeConformanceTest, OnlyAConfirmedAddressOfTheUserBecomesPrimaryAndOnlyOne) {
  const domain::User alice = addUser("alice");
  const domain::User bob = addUser("bob");
  const domain::UserEmail first = addEmail(alice, "a1@example.org", true);
  const domain::UserEmail second = addEmail(alice, "a2@example.org", true);
  const domain::UserEmail pending = addEmail(alice, "a3@example.org", false);
  const domain::UserEmail bobs = addEmail(bob, "b@example.org", true);

  EXPECT_TRUE(setPrimary(alice, first));
  EXPECT_FALSE(setPrimary(alice, pending));
  EXPECT_FALSE(setPrimary(alice, bobs));
  EXPECT_FALSE(setPrimary(bob, first));
  auto primaries = [&](const domain::User& user) {
    std::vector<std::string> found;
    for (const auto& email : emailsOf(user)) {
      if (email.is_primary) found.push_back(email.address);
    }
    return found;
  };
  EXPECT_EQ(primaries(alice), (std::vector<std::string>{"a1@example.org"}));
  EXPECT_TRUE(setPrimary(alice, second));
  EXPECT_EQ(primaries(alice), (std::vector<std::string>{"a2@example.org"}));
  EXPECT_TRUE(primaries(bob).empty());
}

TEST_P(EmailCodeConformanceTest, LatestPendingSkipsConsumedAndExpiredCodes) {
  const domain::User alice = addUser("alice");
  const domain::UserEmail email = addEmail(alice, "a@example.org", false);
  const storage::UserEmailCode old = addCode(email, "hash-old", 1min);
  clock_.advance(1s);
  const storage::UserEmailCode fresh = addCode(email, "hash-new");

  auto latest = inTx([&](storage::Transaction& tx) {
    return tx.userEmailCodes().latestPending(clock_, email.id);
  });
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(*latest, fresh);
  EXPECT_TRUE(inTx([&](auto& tx) { return tx.userEmailCodes().consume(clock_, fresh.id); }));
  latest = inTx([&](storage::Transaction& tx) {
    return tx.userEmailCodes().latestPending(clock_, email.id);
  });
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->id, old.id);
  clock_.advance(2min);
  latest = inTx([&](storage::Transaction& tx) {
    return tx.userEmailCodes().latestPending(clock_, email.id);
  });
  EXPECT_FALSE(latest.has_value());
}

TEST_P(EmailCodeConformanceTest, ACodeIsConsumedOnceAndNeverAfterItExpired) {
  const domain::User alice = addUser("alice");
  const domain::UserEmail email = addEmail(alice, "a@example.org", false);
  const storage::UserEmailCode code = addCode(email, "h");
  const storage::UserEmailCode expiring = addCode(email, "h2", 1min);

  EXPECT_TRUE(inTx([&](auto& tx) { return tx.userEmailCodes().consume(clock_, code.id); }));
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.userEmailCodes().consume(clock_, code.id); }));
  clock_.advance(1min);
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.userEmailCodes().consume(clock_, expiring.id); }));
}

TEST_P(EmailCodeConformanceTest, AttemptsStopAtTheLimitAndAfterConsumption) {
  const domain::User alice = addUser("alice");
  const domain::UserEmail email = addEmail(alice, "a@example.org", false);
  const storage::UserEmailCode code = addCode(email, "h");
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(inTx([&](auto& tx) { return tx.userEmailCodes().recordAttempt(code.id, 3); }));
  }
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.userEmailCodes().recordAttempt(code.id, 3); }));
  auto latest = inTx([&](storage::Transaction& tx) {
    return tx.userEmailCodes().latestPending(clock_, email.id);
  });
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->attempts, 3);

  const storage::UserEmailCode other = addCode(email, "h3");
  EXPECT_TRUE(inTx([&](auto& tx) { return tx.userEmailCodes().consume(clock_, other.id); }));
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.userEmailCodes().recordAttempt(other.id, 3); }));
}

TEST_P(EmailCodeConformanceTest, CountsTheUsersCodesSinceATimeAndCascadesWithTheAddress) {
  const domain::User alice = addUser("alice");
  const domain::User bob = addUser("bob");
  const domain::UserEmail one = addEmail(alice, "a1@example.org", false);
  const domain::UserEmail two = addEmail(alice, "a2@example.org", false);
  const domain::UserEmail bobs = addEmail(bob, "b@example.org", false);
  addCode(one, "x");
  clock_.advance(10min);
  const Timestamp since = clock_.now();
  addCode(one, "y");
  addCode(two, "z");
  addCode(bobs, "w");
  EXPECT_EQ(inTx([&](auto& tx) { return tx.userEmailCodes().countForUserSince(alice.id, since); }),
            2);
  EXPECT_EQ(inTx([&](auto& tx) {
              return tx.userEmailCodes().countForUserSince(alice.id, since - 20min);
            }),
            3);
  EXPECT_TRUE(inTx([&](auto& tx) { return tx.userEmails().remove(two.id); }));
  EXPECT_EQ(inTx([&](auto& tx) { return tx.userEmailCodes().countForUserSince(alice.id, since); }),
            1);

  auto tx = begin();
  auto unknown = tx->userEmailCodes().add(
      rng_, clock_, domain::UserEmailId("01J00000000000000000000000"), "h", clock_.now() + 1min);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, storage::StorageErrorCode::Constraint);
}

TEST_P(EmailCodeConformanceTest, ARecoveryTicketIsFoundByHashAndConsumedOnceBeforeItExpires) {
  const domain::User alice = addUser("alice");
  const domain::UserEmail email = addEmail(alice, "a@example.org", true);
  const storage::RecoveryTicket ticket = inTx([&](storage::Transaction& tx) {
    return tx.recoveryTickets().add(rng_, clock_, alice.id, email.id, "token-hash",
                                    clock_.now() + 10min);
  });
  auto found = inTx(
      [&](storage::Transaction& tx) { return tx.recoveryTickets().findByTokenHash("token-hash"); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, ticket);
  EXPECT_FALSE(inTx([&](storage::Transaction& tx) {
                 return tx.recoveryTickets().findByTokenHash("other");
               }).has_value());

  EXPECT_TRUE(inTx([&](auto& tx) { return tx.recoveryTickets().consume(clock_, ticket.id); }));
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.recoveryTickets().consume(clock_, ticket.id); }));
  found = inTx(
      [&](storage::Transaction& tx) { return tx.recoveryTickets().findByTokenHash("token-hash"); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->consumed_at, clock_.now());

  const storage::RecoveryTicket later = inTx([&](storage::Transaction& tx) {
    return tx.recoveryTickets().add(rng_, clock_, alice.id, email.id, "later",
                                    clock_.now() + 10min);
  });
  clock_.advance(10min);
  EXPECT_FALSE(inTx([&](auto& tx) { return tx.recoveryTickets().consume(clock_, later.id); }));

  auto tx = begin();
  auto duplicate =
      tx->recoveryTickets().add(rng_, clock_, alice.id, email.id, "later", clock_.now() + 10min);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, storage::StorageErrorCode::Conflict);
}

TEST_P(EmailCodeConformanceTest, ConsumingAllOfAUsersTicketsLeavesOthersAlone) {
  const domain::User alice = addUser("alice");
  const domain::User bob = addUser("bob");
  const domain::UserEmail a = addEmail(alice, "a@example.org", true);
  const domain::UserEmail b = addEmail(bob, "b@example.org", true);
  for (const char* hash : {"t1", "t2"}) {
    inTx([&](storage::Transaction& tx) {
      return tx.recoveryTickets().add(rng_, clock_, alice.id, a.id, hash, clock_.now() + 10min);
    });
  }
  const storage::RecoveryTicket bobs = inTx([&](storage::Transaction& tx) {
    return tx.recoveryTickets().add(rng_, clock_, bob.id, b.id, "t3", clock_.now() + 10min);
  });
  EXPECT_EQ(
      inTx([&](auto& tx) { return tx.recoveryTickets().consumeAllForUser(clock_, alice.id); }), 2);
  EXPECT_EQ(
      inTx([&](auto& tx) { return tx.recoveryTickets().consumeAllForUser(clock_, alice.id); }), 0);
  EXPECT_TRUE(inTx([&](auto& tx) { return tx.recoveryTickets().consume(clock_, bobs.id); }));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, EmailCodeConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, EmailCodeConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
