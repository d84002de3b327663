#include "http/connection_slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <set>
#include <thread>
#include <vector>

namespace mxauth::http {
namespace {

TEST(ConnectionSlotsTest, AdmitsUpToTheLimitWithoutSheddingAnyone) {
  ConnectionSlots slots(3);
  std::set<std::size_t> taken;
  for (ConnectionSlots::Ticks t = 0; t < 3; ++t) {
    const auto admission = slots.admit(t);
    ASSERT_TRUE(admission.slot);
    EXPECT_FALSE(admission.shed);
    taken.insert(*admission.slot);
  }
  EXPECT_EQ(taken.size(), 3u);
  EXPECT_EQ(slots.live(), 3u);
}

TEST(ConnectionSlotsTest, AtTheLimitShedsTheConnectionThatHasWaitedTheLongest) {
  ConnectionSlots slots(3);
  const std::size_t a = *slots.admit(10).slot;  // a new connection, no head yet
  const std::size_t b = *slots.admit(20).slot;
  const std::size_t c = *slots.admit(30).slot;
  // `a` sends its head and is served; `b` keeps trickling its head.
  ASSERT_TRUE(slots.markBusy(a));
  (void)c;

  const auto admission = slots.admit(40);

  ASSERT_TRUE(admission.slot);
  ASSERT_TRUE(admission.shed);
  EXPECT_EQ(*admission.shed, b);
  EXPECT_EQ(slots.live(), 3u);
  EXPECT_FALSE(slots.markBusy(b)) << "a shed connection's late head is dropped";
}

TEST(ConnectionSlotsTest, AnIdleKeepAliveConnectionWaitsFromTheEndOfItsLastResponse) {
  ConnectionSlots slots(2);
  const std::size_t old_client = *slots.admit(10).slot;
  const std::size_t slow = *slots.admit(20).slot;
  ASSERT_TRUE(slots.markBusy(old_client));
  ASSERT_TRUE(slots.markWaiting(old_client, 50));  // answered at 50, kept alive

  const auto admission = slots.admit(60);

  ASSERT_TRUE(admission.shed);
  EXPECT_EQ(*admission.shed, slow) << "the head pending since 20 is older than the idle since 50";
  const auto next = slots.admit(70);
  ASSERT_TRUE(next.shed);
  EXPECT_EQ(*next.shed, old_client);
}

TEST(ConnectionSlotsTest, RefusesTheNewcomerWhenEveryConnectionIsBusy) {
  ConnectionSlots slots(2);
  ASSERT_TRUE(slots.markBusy(*slots.admit(1).slot));
  ASSERT_TRUE(slots.markBusy(*slots.admit(2).slot));

  const auto admission = slots.admit(3);

  EXPECT_FALSE(admission.slot);
  EXPECT_FALSE(admission.shed);
  EXPECT_EQ(slots.live(), 2u);
}

TEST(ConnectionSlotsTest, ReleasingAShedSlotDoesNotCountItTwice) {
  ConnectionSlots slots(1);
  const std::size_t first = *slots.admit(1).slot;
  const auto second = slots.admit(2);
  ASSERT_EQ(second.shed, first);
  EXPECT_EQ(slots.live(), 1u);

  slots.release(first);  // the shed connection has closed

  EXPECT_EQ(slots.live(), 1u);
  slots.release(*second.slot);
  EXPECT_EQ(slots.live(), 0u);
  EXPECT_TRUE(slots.admit(3).slot);
  EXPECT_EQ(slots.live(), 1u);
}

TEST(ConnectionSlotsTest, ShedConnectionsThatHaveNotClosedAreBoundedByTheHeadroom) {
  ConnectionSlots slots(1);
  std::size_t admitted = 1;
  ASSERT_TRUE(slots.admit(0).slot);
  // Every newcomer sheds the previous one, which never gets to close.
  for (ConnectionSlots::Ticks t = 1; t < 1000; ++t) {
    const auto admission = slots.admit(t);
    if (!admission.slot) break;
    ++admitted;
  }
  EXPECT_EQ(admitted, 1 + ConnectionSlots::kShedHeadroom);
}

TEST(ConnectionSlotsTest, ShedOneGivesBackTheLongestWaitingConnection) {
  ConnectionSlots slots(5);
  const std::size_t busy = *slots.admit(1).slot;
  const std::size_t waiting = *slots.admit(2).slot;
  ASSERT_TRUE(slots.markBusy(busy));

  EXPECT_EQ(slots.shedOne(), waiting);
  EXPECT_FALSE(slots.shedOne());
  EXPECT_EQ(slots.live(), 1u);
  EXPECT_FALSE(slots.markWaiting(waiting, 3));
}

TEST(ConnectionSlotsTest, AConnectionTurningBusyDuringSheddingIsNeverBothServedAndShed) {
  constexpr std::size_t kLimit = 64;
  ConnectionSlots slots(kLimit);
  std::vector<std::size_t> held;
  for (std::size_t i = 0; i < kLimit; ++i) held.push_back(*slots.admit(0).slot);
  std::vector<int> served(kLimit + ConnectionSlots::kShedHeadroom, 0);
  std::atomic<bool> go{false};
  std::thread clients([&] {
    while (!go) std::this_thread::yield();
    for (const std::size_t slot : held) {
      if (slots.markBusy(slot)) served[slot] = 1;
    }
  });

  go = true;
  std::set<std::size_t> shed;
  for (std::size_t i = 0; i < kLimit; ++i) {
    const auto admission = slots.admit(1);
    if (admission.shed) shed.insert(*admission.shed);
  }
  clients.join();

  for (const std::size_t slot : held) {
    EXPECT_NE(served[slot] == 1, shed.contains(slot)) << "slot " << slot;
  }
}

TEST(ConnectionCapacityTest, KeepsTheRequestedCountWhenDescriptorsSuffice) {
  EXPECT_EQ(connectionCapacity(10000, 20000, 100), 10000u);
}

TEST(ConnectionCapacityTest, CapsTheCountSoThatConnectionsHeadroomAndReserveFit) {
  const std::size_t capacity = connectionCapacity(10000, 1024, 100);
  EXPECT_EQ(capacity, 1024u - 100u - ConnectionSlots::kShedHeadroom);
  EXPECT_EQ(connectionCapacity(10000, 50, 100), 1u);
}

}  // namespace
}  // namespace mxauth::http
