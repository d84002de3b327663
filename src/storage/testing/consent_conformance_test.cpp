#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "storage/consent_repository.h"
#include "storage/testing/oauth_conformance.h"

// OAuthConsentRepository (storage/consent_repository.h): one consent per
// user and client, replaced by record(), forgotten on request or once the
// user's last active session with the client has ended, and gone with the
// user or the client.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class ConsentConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = addUser("alice");
    client_ = addClient();
  }

  storage::OAuthConsent recordConsent(const domain::User& user, const domain::OAuthClient& client,
                                      std::string_view scope) {
    auto tx = begin();
    auto recorded = tx->oauthConsents().record(clock_, user.id, client.id, scope);
    EXPECT_TRUE(recorded.has_value()) << recorded.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    return recorded.value_or(storage::OAuthConsent{});
  }

  std::optional<storage::OAuthConsent> consentOf(const domain::User& user,
                                                 const domain::OAuthClient& client) {
    auto tx = begin();
    auto found = tx->oauthConsents().lookup(user.id, client.id);
    EXPECT_TRUE(found.has_value());
    return found ? *found : std::nullopt;
  }

  domain::User alice_;
  domain::OAuthClient client_;
};

TEST_P(ConsentConformanceTest, AMissingConsentIsAnEmptyAnswer) {
  EXPECT_EQ(consentOf(alice_, client_), std::nullopt);
}

TEST_P(ConsentConformanceTest, RecordingAgainReplacesTheScopeAndKeepsTheFirstInstant) {
  const Timestamp first = clock_.now();
  recordConsent(alice_, client_, "openid");
  clock_.advance(1h);

  const storage::OAuthConsent again = recordConsent(alice_, client_, "email openid");

  EXPECT_EQ(again.scope, "email openid");
  EXPECT_EQ(again.created_at, first);
  EXPECT_EQ(again.updated_at, clock_.now());
  auto stored = consentOf(alice_, client_);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->scope, "email openid");
  EXPECT_EQ(stored->created_at, first);
}

TEST_P(ConsentConformanceTest, ConsentsAreKeptPerUserAndClient) {
  const domain::User bob = addUser("bob");
  const domain::OAuthClient other = addClient(R"({"client_name":"other"})");
  recordConsent(alice_, client_, "openid");
  clock_.advance(1s);
  recordConsent(alice_, other, "email");

  EXPECT_EQ(consentOf(bob, client_), std::nullopt);
  auto tx = begin();
  auto listed = tx->oauthConsents().listForUser(alice_.id);

  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].client_id, other.id);
  EXPECT_EQ((*listed)[1].client_id, client_.id);
}

TEST_P(ConsentConformanceTest, ForgettingAConsentRemovesItOnce) {
  recordConsent(alice_, client_, "openid");

  auto tx = begin();
  auto first = tx->oauthConsents().forget(alice_.id, client_.id);
  auto second = tx->oauthConsents().forget(alice_.id, client_.id);
  ASSERT_TRUE(tx->commit().has_value());

  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(consentOf(alice_, client_), std::nullopt);
}

TEST_P(ConsentConformanceTest, AConsentInUseIsKeptUntilTheLastSessionEnds) {
  recordConsent(alice_, client_, "openid");
  const domain::OAuthSession first = addSession(client_, alice_);
  const domain::OAuthSession second = addSession(client_, alice_);
  const auto finishAndForget = [&](const domain::OAuthSession& session) {
    auto tx = begin();
    EXPECT_TRUE(tx->oauthSessions().finish(clock_, session.id).has_value());
    auto forgotten = tx->oauthConsents().forgetUnlessInUse(alice_.id, client_.id);
    EXPECT_TRUE(tx->commit().has_value());
    return forgotten.value_or(false);
  };

  EXPECT_FALSE(finishAndForget(first));
  EXPECT_TRUE(consentOf(alice_, client_).has_value());
  EXPECT_TRUE(finishAndForget(second));
  EXPECT_EQ(consentOf(alice_, client_), std::nullopt);
}

TEST_P(ConsentConformanceTest, ASessionWithAnotherClientDoesNotKeepTheConsent) {
  recordConsent(alice_, client_, "openid");
  addSession(addClient(R"({"client_name":"other"})"), alice_);

  auto tx = begin();
  auto forgotten = tx->oauthConsents().forgetUnlessInUse(alice_.id, client_.id);
  ASSERT_TRUE(tx->commit().has_value());

  ASSERT_TRUE(forgotten.has_value());
  EXPECT_TRUE(*forgotten);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ConsentConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ConsentConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
