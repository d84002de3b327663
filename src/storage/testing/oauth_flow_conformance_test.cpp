#include <gtest/gtest.h>

#include <chrono>

#include "storage/testing/oauth_conformance.h"

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class OAuthFlowConformanceTest : public OAuthConformanceTest {};

TEST_P(OAuthFlowConformanceTest, AWholeCodeFlowIsStoredAndEndsWithEveryTokenRevoked) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant grant = addFulfilledGrant(client, alice, fakeHash("code"));
  ASSERT_TRUE(grant.session_id.has_value());
  domain::OAuthSessionId session_id = *grant.session_id;

  auto tx = begin();
  auto exchanged = tx->authorizationGrants().exchange(clock_, fakeHash("code"));
  ASSERT_TRUE(exchanged && exchanged->has_value());
  auto access =
      tx->accessTokens().add(rng_, clock_, session_id, fakeHash("at"), clock_.now() + 5min);
  ASSERT_TRUE(access.has_value()) << access.error().detail;
  auto refresh =
      tx->refreshTokens().add(rng_, clock_, session_id, fakeHash("rt"), access->id, std::nullopt);
  ASSERT_TRUE(refresh.has_value()) << refresh.error().detail;
  ASSERT_TRUE(tx->commit());

  auto check = begin();
  auto by_hash = check->accessTokens().findByHash(fakeHash("at"));
  ASSERT_TRUE(by_hash && by_hash->has_value());
  EXPECT_EQ(**by_hash, *access);
  auto finished = check->oauthSessions().finish(clock_, session_id);
  ASSERT_TRUE(finished.has_value()) << finished.error().detail;
  EXPECT_TRUE(*finished);
  ASSERT_TRUE(check->commit());

  auto after = begin(storage::TransactionMode::ReadOnly);
  EXPECT_EQ((*after->accessTokens().lookup(access->id))->revoked_at, clock_.now());
  EXPECT_EQ((*after->refreshTokens().lookup(refresh->id))->revoked_at, clock_.now());
  EXPECT_FALSE((*after->oauthSessions().lookup(session_id))->isActive());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OAuthFlowConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, OAuthFlowConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
