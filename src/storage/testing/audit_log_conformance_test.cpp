#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/ulid.h"
#include "storage/audit_log_repository.h"
#include "storage/testing/conformance.h"

// AuditLogRepository (storage/audit_log_repository.h): events are added
// with ids and times from the Rng and Clock, read back newest first, per
// user, page by page, and tied to an existing user.
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

class AuditLogConformanceTest : public MigratedDatabaseTest {
 protected:
  storage::AuditEvent recordEvent(const domain::User& user, std::string action) {
    auto tx = begin();
    storage::NewAuditEvent event;
    event.user_id = user.id;
    event.action = std::move(action);
    event.ip_address = "192.0.2.7";
    event.user_agent = "Firefox/140";
    event.details_json = R"({"erase":true})";
    auto recorded = tx->auditLog().record(rng_, clock_, event);
    EXPECT_TRUE(recorded.has_value()) << recorded.error().detail;
    EXPECT_TRUE(tx->commit().has_value());
    clock_.advance(1s);
    return recorded.value_or(storage::AuditEvent{});
  }

  std::vector<storage::AuditEvent> listEvents(const storage::AuditQuery& query) {
    auto tx = begin(storage::TransactionMode::ReadOnly);
    auto events = tx->auditLog().list(query);
    EXPECT_TRUE(events.has_value()) << events.error().detail;
    return events.value_or(std::vector<storage::AuditEvent>{});
  }

  static std::vector<std::string> actionsOf(const std::vector<storage::AuditEvent>& events) {
    std::vector<std::string> actions;
    for (const storage::AuditEvent& event : events) actions.push_back(event.action);
    return actions;
  }
};

TEST_P(AuditLogConformanceTest, RecordsEveryFieldAndReadsItBack) {
  const domain::User alice = addUser("alice");
  const Timestamp now = clock_.now();

  const storage::AuditEvent recorded = recordEvent(alice, "account.password_change");

  EXPECT_TRUE(core::isUlid(recorded.id.str()));
  EXPECT_EQ(recorded.user_id, alice.id);
  EXPECT_EQ(recorded.created_at, now);
  const std::vector<storage::AuditEvent> events = listEvents({});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.front(), recorded);
  EXPECT_EQ(events.front().ip_address, "192.0.2.7");
  EXPECT_EQ(events.front().user_agent, "Firefox/140");
  EXPECT_EQ(events.front().details_json, R"({"erase":true})");
}

TEST_P(AuditLogConformanceTest, ListsNewestFirstAndOnlyTheUserAskedFor) {
  const domain::User alice = addUser("alice");
  const domain::User bob = addUser("bob");
  recordEvent(alice, "first");
  recordEvent(bob, "bobs");
  recordEvent(alice, "second");
  recordEvent(alice, "third");

  EXPECT_EQ(actionsOf(listEvents({})),
            (std::vector<std::string>{"third", "second", "bobs", "first"}));
  storage::AuditQuery alices;
  alices.user_id = alice.id;
  EXPECT_EQ(actionsOf(listEvents(alices)), (std::vector<std::string>{"third", "second", "first"}));
  storage::AuditQuery bobs;
  bobs.user_id = bob.id;
  EXPECT_EQ(actionsOf(listEvents(bobs)), std::vector<std::string>{"bobs"});
}

TEST_P(AuditLogConformanceTest, PagesByLimitAndByTheLastIdSeen) {
  const domain::User alice = addUser("alice");
  for (const char* action : {"a", "b", "c", "d", "e"}) recordEvent(alice, action);
  storage::AuditQuery query;
  query.limit = 2;

  const std::vector<storage::AuditEvent> first = listEvents(query);
  query.before = first.back().id;
  const std::vector<storage::AuditEvent> second = listEvents(query);
  query.before = second.back().id;
  const std::vector<storage::AuditEvent> third = listEvents(query);

  EXPECT_EQ(actionsOf(first), (std::vector<std::string>{"e", "d"}));
  EXPECT_EQ(actionsOf(second), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(actionsOf(third), std::vector<std::string>{"a"});
}

TEST_P(AuditLogConformanceTest, AnEventOfAnUnknownUserIsAConstraintViolation) {
  auto tx = begin();
  storage::NewAuditEvent event;
  event.user_id = domain::UserId("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  event.action = "account.deactivate";

  auto recorded = tx->auditLog().record(rng_, clock_, event);

  ASSERT_FALSE(recorded.has_value());
  EXPECT_EQ(recorded.error().code, storage::StorageErrorCode::Constraint);
}

TEST_P(AuditLogConformanceTest, AnEventIsUndoneWithItsTransaction) {
  const domain::User alice = addUser("alice");
  {
    auto tx = begin();
    storage::NewAuditEvent event;
    event.user_id = alice.id;
    event.action = "account.deactivate";
    ASSERT_TRUE(tx->auditLog().record(rng_, clock_, event).has_value());
  }  // rolled back

  EXPECT_TRUE(listEvents({}).empty());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuditLogConformanceTest, ::testing::Values(Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AuditLogConformanceTest, ::testing::Values(Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
