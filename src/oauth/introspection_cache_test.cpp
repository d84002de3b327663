#include "oauth/introspection_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "core/testing/fakes.h"

namespace mxauth::oauth {
namespace {

IntrospectionRecord record(std::string session, Timestamp expires_at) {
  IntrospectionRecord out;
  out.session_id = std::move(session);
  out.expires_at = expires_at;
  return out;
}

class IntrospectionCacheTest : public ::testing::Test {
 protected:
  Timestamp now_ = test::at("2026-01-01T00:00:00Z");
  IntrospectionCache cache_{3, std::chrono::seconds(10)};

  void insert(std::string hash, std::string session, Duration ttl = std::chrono::minutes(5)) {
    cache_.insert(std::move(hash), record(std::move(session), now_ + ttl), now_,
                  cache_.invalidations());
  }
};

TEST_F(IntrospectionCacheTest, ServesAnEntryUntilItsStalenessBound) {
  insert("h1", "s1");

  EXPECT_NE(cache_.find("h1", now_ + std::chrono::milliseconds(9999)), nullptr);
  EXPECT_EQ(cache_.find("h1", now_ + std::chrono::seconds(10)), nullptr);
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(IntrospectionCacheTest, NeverServesAnEntryAtOrAfterTheTokensExpiry) {
  insert("h1", "s1", std::chrono::seconds(4));

  EXPECT_NE(cache_.find("h1", now_ + std::chrono::milliseconds(3999)), nullptr);
  EXPECT_EQ(cache_.find("h1", now_ + std::chrono::seconds(4)), nullptr);
}

TEST_F(IntrospectionCacheTest, EvictsTheLeastRecentlyUsedEntryWhenFull) {
  insert("h1", "s1");
  insert("h2", "s2");
  insert("h3", "s3");
  ASSERT_NE(cache_.find("h1", now_), nullptr);

  insert("h4", "s4");

  EXPECT_EQ(cache_.size(), 3u);
  EXPECT_NE(cache_.find("h1", now_), nullptr);
  EXPECT_EQ(cache_.find("h2", now_), nullptr);
  EXPECT_NE(cache_.find("h4", now_), nullptr);
}

TEST_F(IntrospectionCacheTest, InvalidatingASessionDropsAllItsEntries) {
  insert("h1", "s1");
  insert("h2", "s1");
  insert("h3", "s2");

  cache_.invalidateSession("s1");

  EXPECT_EQ(cache_.find("h1", now_), nullptr);
  EXPECT_EQ(cache_.find("h2", now_), nullptr);
  EXPECT_NE(cache_.find("h3", now_), nullptr);
}

TEST_F(IntrospectionCacheTest, InvalidationsFromTheDatabaseDropWhatTheyName) {
  using Kind = storage::Invalidation::Kind;
  insert("h1", "s1");
  insert("h2", "s2");
  insert("h3", "s3");

  applyInvalidation(cache_, {Kind::Token, "h1"});
  applyInvalidation(cache_, {Kind::Session, "s2"});
  EXPECT_EQ(cache_.find("h1", now_), nullptr);
  EXPECT_EQ(cache_.find("h2", now_), nullptr);
  EXPECT_NE(cache_.find("h3", now_), nullptr);

  applyInvalidation(cache_, {Kind::User, "01ARZ3NDEKTSV4RRFFQ69G5FAV"});
  EXPECT_EQ(cache_.size(), 0u);
  insert("h4", "s4");
  applyInvalidation(cache_, {Kind::Everything, ""});
  EXPECT_EQ(cache_.size(), 0u);
}

TEST_F(IntrospectionCacheTest, AnAnswerReadBeforeAnInvalidationIsNotCachedAfterIt) {
  std::uint64_t seen = cache_.invalidations();
  cache_.invalidateSession("s1");

  cache_.insert("h1", record("s1", now_ + std::chrono::minutes(5)), now_, seen);

  EXPECT_EQ(cache_.find("h1", now_), nullptr);
}

TEST_F(IntrospectionCacheTest, EvictedEntriesLeaveNoSessionIndexBehind) {
  for (int i = 0; i < 100; ++i) insert("h" + std::to_string(i), "s" + std::to_string(i % 7));

  cache_.invalidateSession("s0");
  cache_.clear();

  EXPECT_EQ(cache_.size(), 0u);
}

}  // namespace
}  // namespace mxauth::oauth
