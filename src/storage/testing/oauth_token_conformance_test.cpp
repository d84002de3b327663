#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/ulid.h"
#include "storage/testing/inspection.h"
#include "storage/testing/oauth_conformance.h"

// AccessTokenRepository and RefreshTokenRepository
// (storage/oauth_repositories.h): hash-only storage (checklist H.51),
// rotation (D.26, D.27), and introspection's one indexed lookup (design §8).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::AccessTokenId kUnknownAccessToken("01ARZ3NDEKTSV4RRFFQ69G5FAV");
const domain::RefreshTokenId kUnknownRefreshToken("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class TokenConformanceTest : public OAuthConformanceTest {
 protected:
  void SetUp() override {
    OAuthConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    session_ = addSession(addClient(), addUser("alice"));
  }

  std::string queryPlan(const std::string& select) const {
    return test::queryPlan(GetParam(), test_database_->location(), select);
  }

  domain::OAuthSession session_;
};

// The error an add() meets: its own, or, when the backend sent the INSERT
// with the commit (PostgreSQL pipelining), the commit's. Nothing at all
// when both succeed.
template <class T>
std::optional<StorageErrorCode> failureOfAddOrCommit(
    storage::Transaction& tx, const Result<T, storage::StorageError>& added) {
  if (!added) return added.error().code;
  auto committed = tx.commit();
  if (!committed) return committed.error().code;
  return std::nullopt;
}

class AccessTokenConformanceTest : public TokenConformanceTest {};

TEST_P(AccessTokenConformanceTest, AddsATokenByItsHashWithIdAndTimeFromRngAndClock) {
  auto tx = begin();

  auto added =
      tx->accessTokens().add(rng_, clock_, session_.id, fakeHash("at"), clock_.now() + 300s);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->session_id, session_.id);
  EXPECT_EQ(added->token_hash, fakeHash("at"));
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_EQ(added->expires_at, clock_.now() + 300s);
  EXPECT_FALSE(added->first_used_at || added->revoked_at);
  auto by_id = tx->accessTokens().lookup(added->id);
  auto by_hash = tx->accessTokens().findByHash(fakeHash("at"));
  ASSERT_TRUE(by_id && by_id->has_value());
  EXPECT_EQ(**by_id, *added);
  ASSERT_TRUE(by_hash && by_hash->has_value());
  EXPECT_EQ(**by_hash, *added);
}

TEST_P(AccessTokenConformanceTest, UnknownIdsAndHashesAnswerEmpty) {
  addAccessToken(session_, fakeHash("at"));
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto by_id = tx->accessTokens().lookup(kUnknownAccessToken);
  auto by_hash = tx->accessTokens().findByHash(fakeHash("other"));

  ASSERT_TRUE(by_id && by_hash);
  EXPECT_FALSE(by_id->has_value());
  EXPECT_FALSE(by_hash->has_value());
}

TEST_P(AccessTokenConformanceTest, ATakenHashIsAConflict) {
  addAccessToken(session_, fakeHash("at"));
  auto tx = begin();

  auto again =
      tx->accessTokens().add(rng_, clock_, session_.id, fakeHash("at"), clock_.now() + 300s);

  EXPECT_EQ(failureOfAddOrCommit(*tx, again), StorageErrorCode::Conflict);
  tx.reset();
  auto check = begin(storage::TransactionMode::ReadOnly);
  auto kept = check->accessTokens().findByHash(fakeHash("at"));
  ASSERT_TRUE(kept && kept->has_value());
  if (again) {
    EXPECT_NE((*kept)->id, again->id);
  }
}

TEST_P(AccessTokenConformanceTest, AConflictReportedLaterStillWritesNothing) {
  addAccessToken(session_, fakeHash("at"));
  auto tx = begin();

  auto fresh =
      tx->accessTokens().add(rng_, clock_, session_.id, fakeHash("fresh"), clock_.now() + 300s);
  auto again =
      tx->accessTokens().add(rng_, clock_, session_.id, fakeHash("at"), clock_.now() + 300s);
  ASSERT_TRUE(fresh.has_value());
  // A later statement of the transaction, or its commit, meets the failure.
  auto later = tx->accessTokens().findByHash(fakeHash("fresh"));
  std::optional<StorageErrorCode> failure =
      !again ? again.error().code
             : (!later ? later.error().code : failureOfAddOrCommit(*tx, again));
  EXPECT_EQ(failure, StorageErrorCode::Conflict);
  EXPECT_FALSE(tx->commit().has_value()) << "a transaction that met a failure cannot commit";
  tx.reset();

  auto check = begin(storage::TransactionMode::ReadOnly);
  auto lost = check->accessTokens().findByHash(fakeHash("fresh"));
  ASSERT_TRUE(lost.has_value());
  EXPECT_FALSE(lost->has_value()) << "the token added before the conflict was written";
}

TEST_P(AccessTokenConformanceTest, RetiringRevokesOnceAndLeavesRevokedTokensAlone) {
  domain::AccessToken live = addAccessToken(session_, fakeHash("live"));
  domain::AccessToken old = addAccessToken(session_, fakeHash("old"));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->accessTokens().revoke(clock_, old.id).value_or(false));
    ASSERT_TRUE(tx->commit().has_value());
  }
  Timestamp revoked_first = clock_.now();
  clock_.advance(10s);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->accessTokens().retire(clock_, live.id).has_value());
    ASSERT_TRUE(tx->accessTokens().retire(clock_, old.id).has_value());
    ASSERT_TRUE(tx->commit().has_value());
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto retired = tx->accessTokens().lookup(live.id);
  auto kept = tx->accessTokens().lookup(old.id);
  ASSERT_TRUE(retired && retired->has_value() && kept && kept->has_value());
  EXPECT_EQ((*retired)->revoked_at, clock_.now());
  EXPECT_EQ((*kept)->revoked_at, revoked_first) << "a second revocation moved the time";
}

TEST_P(AccessTokenConformanceTest, ARetiredTokenIsNotRevokedWhenTheTransactionRollsBack) {
  domain::AccessToken live = addAccessToken(session_, fakeHash("live"));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->accessTokens().retire(clock_, live.id).has_value());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto found = tx->accessTokens().lookup(live.id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE((*found)->revoked_at.has_value());
}

TEST_P(AccessTokenConformanceTest, ATokenOfAnUnknownSessionIsAConstraintViolation) {
  auto tx = begin();

  auto added =
      tx->accessTokens().add(rng_, clock_, domain::OAuthSessionId(kUnknownAccessToken.str()),
                             fakeHash("at"), clock_.now() + 300s);

  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, StorageErrorCode::Constraint);
}

TEST_P(AccessTokenConformanceTest, RevokedAndExpiredTokensAreStillFoundByHash) {
  domain::AccessToken revoked = addAccessToken(session_, fakeHash("revoked"));
  domain::AccessToken expired = addAccessToken(session_, fakeHash("expired"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->accessTokens().revoke(clock_, revoked.id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(1h);
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found_revoked = tx->accessTokens().findByHash(fakeHash("revoked"));
  auto found_expired = tx->accessTokens().findByHash(fakeHash("expired"));

  ASSERT_TRUE(found_revoked && found_revoked->has_value());
  EXPECT_TRUE((*found_revoked)->revoked_at.has_value());
  EXPECT_FALSE((*found_revoked)->isValidAt(clock_.now()));
  ASSERT_TRUE(found_expired && found_expired->has_value());
  EXPECT_EQ((*found_expired)->id, expired.id);
  EXPECT_FALSE((*found_expired)->isValidAt(clock_.now()));
}

TEST_P(AccessTokenConformanceTest, MarkingUsedKeepsTheFirstUse) {
  domain::AccessToken token = addAccessToken(session_, fakeHash("at"));
  Timestamp first = clock_.now() + 1s;
  auto tx = begin();

  ASSERT_TRUE(tx->accessTokens().markUsed(token.id, first));
  ASSERT_TRUE(tx->accessTokens().markUsed(token.id, first + 1min));
  ASSERT_TRUE(tx->accessTokens().markUsed(kUnknownAccessToken, first));

  EXPECT_EQ((*tx->accessTokens().lookup(token.id))->first_used_at, first);
}

TEST_P(AccessTokenConformanceTest, RevocationSucceedsOnceAndKeepsTheFirstTime) {
  domain::AccessToken token = addAccessToken(session_, fakeHash("at"));
  Timestamp revoked_at = clock_.now();
  auto tx = begin();

  auto first = tx->accessTokens().revoke(clock_, token.id);
  clock_.advance(1min);
  auto second = tx->accessTokens().revoke(clock_, token.id);
  auto unknown = tx->accessTokens().revoke(clock_, kUnknownAccessToken);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->accessTokens().lookup(token.id))->revoked_at, revoked_at);
}

TEST_P(AccessTokenConformanceTest, FindingByHashIsOneLookupOnTheUniqueHashIndex) {
  addAccessToken(session_, fakeHash("at"));

  std::string plan =
      queryPlan("SELECT id FROM oauth_access_tokens WHERE token_hash = '" + fakeHash("at") + "'");

  EXPECT_NE(plan.find("oauth_access_tokens_token_hash_key"), std::string::npos) << plan;
}

class RefreshTokenConformanceTest : public TokenConformanceTest {
 protected:
  void SetUp() override {
    TokenConformanceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    at1_ = addAccessToken(session_, fakeHash("at1"));
    rt1_ = addRefreshToken(session_, fakeHash("rt1"), at1_);
    at2_ = addAccessToken(session_, fakeHash("at2"));
    rt2_ = addRefreshToken(session_, fakeHash("rt2"), at2_);
  }

  domain::AccessToken at1_, at2_;
  domain::RefreshToken rt1_, rt2_;
};

TEST_P(RefreshTokenConformanceTest, AddsATokenBoundToItsAccessToken) {
  auto tx = begin();
  Timestamp expires_at = clock_.now() + 24h * 30;

  auto added =
      tx->refreshTokens().add(rng_, clock_, session_.id, fakeHash("rt"), at1_.id, expires_at);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->access_token_id, at1_.id);
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_EQ(added->expires_at, expires_at);
  EXPECT_TRUE(added->isUsableAt(clock_.now()));
  EXPECT_FALSE(added->isUsableAt(expires_at));
  auto by_id = tx->refreshTokens().lookup(added->id);
  auto by_hash = tx->refreshTokens().findByHash(fakeHash("rt"));
  ASSERT_TRUE(by_id && by_id->has_value());
  EXPECT_EQ(**by_id, *added);
  ASSERT_TRUE(by_hash && by_hash->has_value());
  EXPECT_EQ(**by_hash, *added);
  EXPECT_EQ(**tx->refreshTokens().lookup(rt1_.id), rt1_);
  EXPECT_FALSE(rt1_.expires_at.has_value());
}

TEST_P(RefreshTokenConformanceTest, UnknownIdsAndHashesAnswerEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto by_id = tx->refreshTokens().lookup(kUnknownRefreshToken);
  auto by_hash = tx->refreshTokens().findByHash(fakeHash("other"));

  ASSERT_TRUE(by_id && by_hash);
  EXPECT_FALSE(by_id->has_value());
  EXPECT_FALSE(by_hash->has_value());
}

TEST_P(RefreshTokenConformanceTest, ATakenHashIsAConflictAndAnUnknownAccessTokenAConstraint) {
  {
    auto tx = begin();
    auto taken =
        tx->refreshTokens().add(rng_, clock_, session_.id, fakeHash("rt1"), at1_.id, std::nullopt);
    EXPECT_EQ(failureOfAddOrCommit(*tx, taken), StorageErrorCode::Conflict);
  }
  {
    auto tx = begin();
    auto dangling = tx->refreshTokens().add(rng_, clock_, session_.id, fakeHash("rt9"),
                                            kUnknownAccessToken, std::nullopt);
    EXPECT_EQ(failureOfAddOrCommit(*tx, dangling), StorageErrorCode::Constraint);
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto dangling = tx->refreshTokens().findByHash(fakeHash("rt9"));
  ASSERT_TRUE(dangling.has_value());
  EXPECT_FALSE(dangling->has_value());
}

TEST_P(RefreshTokenConformanceTest, ConsumingRotatesOnceAndPointsAtTheSuccessor) {
  clock_.advance(10s);
  auto tx = begin();

  auto first = tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id);
  auto again = tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id);
  auto unknown = tx->refreshTokens().consume(clock_, kUnknownRefreshToken, rt2_.id);

  ASSERT_TRUE(first && again && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  EXPECT_FALSE(*unknown);
  auto consumed = tx->refreshTokens().lookup(rt1_.id);
  EXPECT_EQ((*consumed)->consumed_at, clock_.now());
  EXPECT_EQ((*consumed)->next_refresh_token_id, rt2_.id);
  EXPECT_FALSE((*consumed)->isUsableAt(clock_.now()));
  EXPECT_FALSE((*consumed)->revoked_at.has_value());
}

TEST_P(RefreshTokenConformanceTest, ARevokedTokenCannotBeConsumed) {
  auto tx = begin();
  ASSERT_TRUE(*tx->refreshTokens().revoke(clock_, rt1_.id));

  auto consumed = tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id);

  ASSERT_TRUE(consumed.has_value());
  EXPECT_FALSE(*consumed);
  EXPECT_FALSE((*tx->refreshTokens().lookup(rt1_.id))->consumed_at.has_value());
}

TEST_P(RefreshTokenConformanceTest, TheSuccessorMustBeAStoredRefreshToken) {
  auto tx = begin();

  auto consumed = tx->refreshTokens().consume(clock_, rt1_.id, kUnknownRefreshToken);

  ASSERT_FALSE(consumed.has_value());
  EXPECT_EQ(consumed.error().code, StorageErrorCode::Constraint);
}

TEST_P(RefreshTokenConformanceTest, ConsumedAndRevokedTokensAreStillFoundByHash) {
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id));
    ASSERT_TRUE(*tx->refreshTokens().revoke(clock_, rt2_.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto consumed = tx->refreshTokens().findByHash(fakeHash("rt1"));
  auto revoked = tx->refreshTokens().findByHash(fakeHash("rt2"));

  ASSERT_TRUE(consumed && consumed->has_value());
  EXPECT_EQ((*consumed)->next_refresh_token_id, rt2_.id);
  ASSERT_TRUE(revoked && revoked->has_value());
  EXPECT_TRUE((*revoked)->revoked_at.has_value());
}

TEST_P(RefreshTokenConformanceTest, ALostResponseRetryReplacesTheExpectedSuccessorOnly) {
  domain::AccessToken at3 = addAccessToken(session_, fakeHash("at3"));
  domain::RefreshToken rt3 = addRefreshToken(session_, fakeHash("rt3"), at3);
  domain::AccessToken at4 = addAccessToken(session_, fakeHash("at4"));
  domain::RefreshToken rt4 = addRefreshToken(session_, fakeHash("rt4"), at4);
  auto tx = begin();
  ASSERT_TRUE(*tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id));

  auto replaced = tx->refreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);
  auto stale = tx->refreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt4.id);

  ASSERT_TRUE(replaced && stale);
  EXPECT_TRUE(*replaced);
  EXPECT_FALSE(*stale);
  auto token = tx->refreshTokens().lookup(rt1_.id);
  EXPECT_EQ((*token)->next_refresh_token_id, rt3.id);
  EXPECT_TRUE((*token)->consumed_at.has_value());
}

TEST_P(RefreshTokenConformanceTest, AnUnconsumedOrRevokedTokenGetsNoReplacementSuccessor) {
  domain::AccessToken at3 = addAccessToken(session_, fakeHash("at3"));
  domain::RefreshToken rt3 = addRefreshToken(session_, fakeHash("rt3"), at3);
  auto tx = begin();

  auto unconsumed = tx->refreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);
  ASSERT_TRUE(*tx->refreshTokens().consume(clock_, rt1_.id, rt2_.id));
  ASSERT_TRUE(*tx->refreshTokens().revoke(clock_, rt1_.id));
  auto revoked = tx->refreshTokens().replaceSuccessor(rt1_.id, rt2_.id, rt3.id);
  auto unknown = tx->refreshTokens().replaceSuccessor(kUnknownRefreshToken, rt2_.id, rt3.id);

  ASSERT_TRUE(unconsumed && revoked && unknown);
  EXPECT_FALSE(*unconsumed);
  EXPECT_FALSE(*revoked);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->refreshTokens().lookup(rt1_.id))->next_refresh_token_id, rt2_.id);
}

TEST_P(RefreshTokenConformanceTest, RevocationSucceedsOnceAndKeepsTheFirstTime) {
  Timestamp revoked_at = clock_.now();
  auto tx = begin();

  auto first = tx->refreshTokens().revoke(clock_, rt1_.id);
  clock_.advance(1min);
  auto second = tx->refreshTokens().revoke(clock_, rt1_.id);
  auto unknown = tx->refreshTokens().revoke(clock_, kUnknownRefreshToken);

  ASSERT_TRUE(first && second && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*tx->refreshTokens().lookup(rt1_.id))->revoked_at, revoked_at);
}

TEST_P(RefreshTokenConformanceTest, FindingByHashUsesTheUniqueHashIndex) {
  std::string plan =
      queryPlan("SELECT id FROM oauth_refresh_tokens WHERE token_hash = '" + fakeHash("rt1") + "'");

  EXPECT_NE(plan.find("oauth_refresh_tokens_token_hash_key"), std::string::npos) << plan;
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AccessTokenConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AccessTokenConformanceTest,
                         ::testing::Values(test::Backend::Postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, RefreshTokenConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RefreshTokenConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
