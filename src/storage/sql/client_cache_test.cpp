#include "storage/sql/client_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace mxauth::storage::sql {
namespace {

using namespace std::chrono_literals;

domain::OAuthClient client(const std::string& id) {
  domain::OAuthClient record;
  record.id = domain::ClientId(id);
  record.metadata_json = R"({"client_name":")" + id + R"("})";
  return record;
}

const ClientCache::SteadyClock::time_point kStart{std::chrono::hours(1)};

TEST(ClientCacheTest, ServesARecordUntilItsTimeIsUp) {
  ClientCache cache(16, 10s);
  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAA"), kStart);

  auto fresh = cache.find("01ARZ3NDEKTSV4RRFFQ69G5FAA", kStart + 9s);
  auto stale = cache.find("01ARZ3NDEKTSV4RRFFQ69G5FAA", kStart + 10s);

  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(*fresh, client("01ARZ3NDEKTSV4RRFFQ69G5FAA"));
  EXPECT_FALSE(stale.has_value());
  EXPECT_EQ(cache.size(), 0u);  // a stale record is dropped
}

TEST(ClientCacheTest, AnUnknownIdIsNotFound) {
  ClientCache cache(16, 10s);
  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAA"), kStart);

  EXPECT_FALSE(cache.find("01ARZ3NDEKTSV4RRFFQ69G5FAB", kStart).has_value());
}

TEST(ClientCacheTest, StaysWithinItsCapacity) {
  ClientCache cache(2, 10s);
  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAA"), kStart);
  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAB"), kStart);
  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAB"), kStart + 1s);  // already there: kept
  EXPECT_EQ(cache.size(), 2u);

  cache.insert(client("01ARZ3NDEKTSV4RRFFQ69G5FAC"), kStart);

  EXPECT_LE(cache.size(), 2u);
  EXPECT_TRUE(cache.find("01ARZ3NDEKTSV4RRFFQ69G5FAC", kStart).has_value());
}

}  // namespace
}  // namespace mxauth::storage::sql
