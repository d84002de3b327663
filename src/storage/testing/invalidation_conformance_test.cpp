#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/testing/oauth_conformance.h"

// Database::subscribeToInvalidations (storage/database.h): every committed
// session end, lock and deactivation reaches a subscriber, also when
// another Database on the same data (another process) made it, and nothing
// is delivered for a transaction that rolled back. PostgreSQL also delivers
// token revocations (LISTEN/NOTIFY); SQLite, whose revocations only the
// serving process makes, does not (storage/sqlite/invalidation_poller.h).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::Invalidation;
using Kind = storage::Invalidation::Kind;

// Collects deliveries from the listener's thread.
class Inbox {
 public:
  void add(const Invalidation& change) {
    std::lock_guard lock(mutex_);
    received_.push_back(change);
    arrived_.notify_all();
  }

  // True once `wanted` arrived (within 5 s).
  bool waitFor(const Invalidation& wanted) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, 5s, [&] {
      return std::find(received_.begin(), received_.end(), wanted) != received_.end();
    });
  }

  bool contains(const Invalidation& wanted) { return count(wanted) > 0; }

  std::size_t count(const Invalidation& wanted) {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(std::count(received_.begin(), received_.end(), wanted));
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Invalidation> received_;
};

class InvalidationConformanceTest : public OAuthConformanceTest {
 protected:
  // A subscription that is listening: its first delivery (Everything, once
  // LISTEN took effect) has arrived.
  std::unique_ptr<storage::Subscription> subscribe() {
    auto subscription =
        database_->subscribeToInvalidations([this](const Invalidation& c) { inbox_.add(c); });
    if (subscription) {
      EXPECT_TRUE(inbox_.waitFor({Kind::Everything, ""}));
    }
    return subscription;
  }

  Inbox inbox_;
};

TEST_P(InvalidationConformanceTest, BothBackendsOfferASubscription) {
  auto subscription = database_->subscribeToInvalidations([](const Invalidation&) {});
  EXPECT_NE(subscription, nullptr);
}

TEST_P(InvalidationConformanceTest, RevocationsSessionEndsAndLocksAreDeliveredWhenCommitted) {
  auto subscription = subscribe();
  ASSERT_TRUE(subscription);
  domain::OAuthClient client = addClient();
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthSession revoked_in = addSession(client, alice, "DEVICEONE1");
  domain::OAuthSession ended = addSession(client, alice, "DEVICETWO2");
  domain::AccessToken token = addAccessToken(revoked_in, fakeHash("access"));

  {
    auto tx = begin();
    ASSERT_TRUE(tx->accessTokens().revoke(clock_, token.id).value_or(false));
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, ended.id).value_or(false));
    ASSERT_TRUE(tx->users().lock(clock_, bob.id).has_value());
    // Not delivered before the commit.
    EXPECT_FALSE(inbox_.contains({Kind::Session, ended.id.str()}));
    ASSERT_TRUE(tx->commit().has_value());
  }

  EXPECT_TRUE(inbox_.waitFor({Kind::Session, ended.id.str()}));
  EXPECT_TRUE(inbox_.waitFor({Kind::User, bob.id.str()}));
  if (GetParam() == Backend::Postgres) {
    EXPECT_TRUE(inbox_.waitFor({Kind::Token, fakeHash("access")}));
  } else {
    EXPECT_FALSE(inbox_.contains({Kind::Token, fakeHash("access")}));
  }
}

TEST_P(InvalidationConformanceTest, ARetirementIsNotDeliveredButARevocationAfterItIs) {
  auto subscription = subscribe();
  ASSERT_TRUE(subscription);
  domain::OAuthClient client = addClient();
  domain::User alice = addUser("alice");
  domain::OAuthSession session = addSession(client, alice, "DEVICEONE1");
  domain::OAuthSession marker = addSession(client, alice, "DEVICETWO2");
  domain::AccessToken retired = addAccessToken(session, fakeHash("retired"));
  domain::AccessToken revoked = addAccessToken(session, fakeHash("revoked"));

  {
    auto tx = begin();
    ASSERT_TRUE(tx->accessTokens().retire(clock_, retired.id).has_value());
    ASSERT_TRUE(tx->accessTokens().revoke(clock_, revoked.id).value_or(false));
    ASSERT_TRUE(tx->commit().has_value());
  }
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, marker.id).value_or(false));
    ASSERT_TRUE(tx->commit().has_value());
  }

  // Deliveries come in commit order: once the marker is here, the first
  // transaction's would have been.
  ASSERT_TRUE(inbox_.waitFor({Kind::Session, marker.id.str()}));
  EXPECT_FALSE(inbox_.contains({Kind::Token, fakeHash("retired")}));
  EXPECT_EQ(inbox_.contains({Kind::Token, fakeHash("revoked")}), GetParam() == Backend::Postgres);
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->accessTokens().lookup(retired.id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->revoked_at, clock_.now()) << "retired, though quietly";
}

TEST_P(InvalidationConformanceTest, ChangesMadeThroughAnotherDatabaseAreDelivered) {
  auto subscription = subscribe();
  ASSERT_TRUE(subscription);
  domain::OAuthClient client = addClient();
  domain::User carol = addUser("carol");
  domain::User dave = addUser("dave");
  domain::OAuthSession session = addSession(client, carol, "DEVICEONE1");

  // What `mxauth user deactivate` does beside a running server.
  auto other = open();
  ASSERT_TRUE(other);
  {
    auto tx = other->begin();
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE((*tx)->users().deactivate(clock_, dave.id).has_value());
    ASSERT_TRUE((*tx)->oauthSessions().finish(clock_, session.id).value_or(false));
    ASSERT_TRUE((*tx)->commit().has_value());
  }

  EXPECT_TRUE(inbox_.waitFor({Kind::User, dave.id.str()}));
  EXPECT_TRUE(inbox_.waitFor({Kind::Session, session.id.str()}));
}

TEST_P(InvalidationConformanceTest, AnUnlockOrAReopenedSessionIsNoInvalidation) {
  auto subscription = subscribe();
  ASSERT_TRUE(subscription);
  domain::User erin = addUser("erin");
  domain::User frank = addUser("frank");
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, erin.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  ASSERT_TRUE(inbox_.waitFor({Kind::User, erin.id.str()}));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().unlock(erin.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  {
    auto tx = begin();
    ASSERT_TRUE(tx->users().lock(clock_, frank.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }
  // Deliveries come in commit order: once frank's lock is here, an
  // invalidation for erin's unlock would have been too.
  ASSERT_TRUE(inbox_.waitFor({Kind::User, frank.id.str()}));
  EXPECT_EQ(inbox_.count({Kind::User, erin.id.str()}), 1U);
}

TEST_P(InvalidationConformanceTest, NothingIsDeliveredForARolledBackChange) {
  auto subscription = subscribe();
  ASSERT_TRUE(subscription);
  domain::OAuthClient client = addClient();
  domain::User alice = addUser("alice");
  domain::OAuthSession rolled_back = addSession(client, alice, "DEVICEONE1");
  domain::OAuthSession committed = addSession(client, alice, "DEVICETWO2");

  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, rolled_back.id).value_or(false));
  }  // rolled back
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthSessions().finish(clock_, committed.id).value_or(false));
    ASSERT_TRUE(tx->commit().has_value());
  }

  // Notifications arrive in commit order: once the later one is here, the
  // earlier would have been.
  ASSERT_TRUE(inbox_.waitFor({Kind::Session, committed.id.str()}));
  EXPECT_FALSE(inbox_.contains({Kind::Session, rolled_back.id.str()}));
}

TEST(InvalidationPayloadTest, ParsesTheTriggersPayloadsAndNothingElse) {
  using storage::parseInvalidation;
  EXPECT_EQ(parseInvalidation("token:abc"), (Invalidation{Kind::Token, "abc"}));
  EXPECT_EQ(parseInvalidation("session:01ARZ"), (Invalidation{Kind::Session, "01ARZ"}));
  EXPECT_EQ(parseInvalidation("user:01ARZ"), (Invalidation{Kind::User, "01ARZ"}));
  for (const std::string_view junk : {"", "token", "token:", ":x", "other:x", "Token:x"}) {
    EXPECT_EQ(parseInvalidation(junk), std::nullopt) << junk;
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, InvalidationConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, InvalidationConformanceTest,
                         ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
