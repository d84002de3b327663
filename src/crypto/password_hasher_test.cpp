#include "crypto/password_hasher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/fakes.h"

namespace mxauth::crypto {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Cheap parameters so tests run fast; the format and the code paths are the same.
PasswordHasherOptions tinyOptions() {
  PasswordHasherOptions options;
  options.argon2 = Argon2Params{64, 1, 1};
  options.max_concurrent = 4;
  return options;
}

TEST(PasswordHasherTest, HashesToArgon2idPhcStringAtOwaspParametersByDefault) {
  PasswordHasher hasher;
  test::SeededRng rng(1);

  auto hash = hasher.hash(rng, "correct horse battery staple");

  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  // 16-byte salt and 32-byte hash in unpadded base64: 22 and 43 characters.
  EXPECT_EQ(hash->size(), std::string("$argon2id$v=19$m=19456,t=2,p=1$").size() + 22 + 1 + 43);
  auto outcome = hasher.verify("correct horse battery staple", *hash);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->matched);
  EXPECT_FALSE(outcome->needs_rehash);
}

TEST(PasswordHasherTest, RejectsWrongPassword) {
  PasswordHasher hasher(tinyOptions());
  test::SeededRng rng(2);
  auto hash = hasher.hash(rng, "right");
  ASSERT_TRUE(hash.has_value());

  auto outcome = hasher.verify("wrong", *hash);

  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->matched);
}

TEST(PasswordHasherTest, SaltsEveryHashDifferently) {
  PasswordHasher hasher(tinyOptions());
  test::SeededRng rng(3);
  EXPECT_NE(hasher.hash(rng, "same").value(), hasher.hash(rng, "same").value());
}

TEST(PasswordHasherTest, VerifiesArgon2ReferenceVectors) {
  PasswordHasher hasher(tinyOptions());
  // phc-winner-argon2 src/test.c.
  const std::string argon2id =
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
  const std::string argon2i =
      "$argon2i$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$sDV8zPvvkfOGCw26RHsjSMvv7K2vmQq/6cxAcmxSEnE";

  auto id = hasher.verify("password", argon2id);
  auto i = hasher.verify("password", argon2i);
  auto wrong = hasher.verify("passwore", argon2id);

  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->matched);
  EXPECT_FALSE(id->needs_rehash);  // stronger than the (tiny) current parameters
  ASSERT_TRUE(i.has_value());
  EXPECT_TRUE(i->matched);
  EXPECT_TRUE(i->needs_rehash);  // not argon2id
  ASSERT_TRUE(wrong.has_value());
  EXPECT_FALSE(wrong->matched);
}

TEST(PasswordHasherTest, AsksForRehashWhenParametersAreWeakerThanCurrent) {
  test::SeededRng rng(4);
  PasswordHasher old_hasher(tinyOptions());
  auto weak = old_hasher.hash(rng, "pw").value();
  PasswordHasherOptions stronger = tinyOptions();
  stronger.argon2.memory_kib = 128;
  PasswordHasher hasher(stronger);

  auto outcome = hasher.verify("pw", weak).value();
  auto current = hasher.verify("pw", hasher.hash(rng, "pw").value()).value();

  EXPECT_TRUE(outcome.matched);
  EXPECT_TRUE(outcome.needs_rehash);
  EXPECT_TRUE(current.matched);
  EXPECT_FALSE(current.needs_rehash);
}

TEST(PasswordHasherTest, VerifiesPublishedBcryptVectorsAndAsksForRehash) {
  PasswordHasher hasher(tinyOptions());
  // crypt_blowfish's published test vectors ("U*U" and "U*U*", cost 5).
  for (std::string prefix : {"$2a$", "$2b$", "$2y$"}) {
    std::string stored = prefix + "05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
    auto ok = hasher.verify("U*U", stored);
    auto wrong = hasher.verify("U*U*", stored);
    ASSERT_TRUE(ok.has_value()) << prefix;
    EXPECT_TRUE(ok->matched) << prefix;
    EXPECT_TRUE(ok->needs_rehash);
    ASSERT_TRUE(wrong.has_value());
    EXPECT_FALSE(wrong->matched);
  }
  auto second =
      hasher.verify("U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK");
  EXPECT_TRUE(second.value().matched);
}

TEST(PasswordHasherTest, BcryptNeverMatchesAPasswordWithANulByte) {
  PasswordHasher hasher(tinyOptions());
  auto outcome = hasher.verify(std::string("U*U\0extra", 9),
                               "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->matched);
}

TEST(PasswordHasherTest, VerifiesPbkdf2Rfc7914VectorAndAsksForRehash) {
  PasswordHasher hasher(tinyOptions());
  // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", c=1, dkLen=64).
  const std::string stored =
      "$pbkdf2-sha256$i=1$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+"
      "8xfHG4RbHjC9UJESBB06GXgw";

  auto ok = hasher.verify("passwd", stored);
  auto wrong = hasher.verify("passwc", stored);

  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->matched);
  EXPECT_TRUE(ok->needs_rehash);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_FALSE(wrong->matched);
}

TEST(PasswordHasherTest, VerifiesPbkdf2WithManyIterationsAndSha512) {
  PasswordHasher hasher(tinyOptions());
  // RFC 7914 §11 second vector (c=80000).
  EXPECT_TRUE(hasher
                  .verify("Password",
                          "$pbkdf2-sha256$i=80000$TmFDbA$TdzY9guYviGDDO5e8icB+"
                          "WQaRBjQTAQUrv8Ih2s0q1ah1CWhIlgzVJrbhBtRybMXaicr3ruh0HhHj2Kzl/M8jQ")
                  .value()
                  .matched);
  // PBKDF2-HMAC-SHA512("password", "salt", 1, 64) = 867f70cf1ade02cf...
  EXPECT_TRUE(hasher
                  .verify("password",
                          "$pbkdf2-sha512$i=1$c2FsdA$hn9wzxreAs/"
                          "zdSWZo6U9xK80x6ZpgVrl1RNVThyM8lLALUcKKFoFAbrZmb/"
                          "pQ8CPBQI119aLHaVeY/c7YKV/zg")
                  .value()
                  .matched);
}

TEST(PasswordHasherTest, AcceptsPasslibStylePbkdf2) {
  PasswordHasher hasher(tinyOptions());
  // Bare rounds and '.' for '+', as passlib writes them.
  const std::string stored =
      "$pbkdf2-sha256$1$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd."
      "8xfHG4RbHjC9UJESBB06GXgw";
  EXPECT_TRUE(hasher.verify("passwd", stored).value().matched);
}

TEST(PasswordHasherTest, MalformedStoredHashesAreErrorsNotCrashes) {
  PasswordHasher hasher(tinyOptions());
  const std::string malformed[] = {
      "",
      "$",
      "plaintext",
      "$argon2id$",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ",
      "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$!!!!",
      "$argon2id$v=18$m=64,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=64,t=1000000,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$t=1,m=64,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$argon2id$v=19$m=64,t=1,p=1$c2E$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$2b$05$short",
      "$2b$99$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$2b$05$CCCCCCCCCCCCCCCCCCCCC!E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
      "$pbkdf2-sha256$i=0$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd",
      "$pbkdf2-sha256$i=abc$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd",
      "$pbkdf2-sha256$i=99999999999$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2",
      "$pbkdf2-sha256$i=1$c2FsdA$AAAA",
  };
  for (const std::string& stored : malformed) {
    auto outcome = hasher.verify("password", stored);
    ASSERT_FALSE(outcome.has_value()) << stored;
    EXPECT_EQ(outcome.error(), PasswordError::MalformedHash) << stored;
  }
}

TEST(PasswordHasherTest, UnknownSchemesAreUnsupported) {
  PasswordHasher hasher(tinyOptions());
  EXPECT_EQ(hasher.verify("pw", "$1$saltsalt$hashhashhashhashhash").error(),
            PasswordError::UnsupportedScheme);
  EXPECT_EQ(
      hasher.verify("pw", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVK").error(),
      PasswordError::UnsupportedScheme);
}

TEST(PasswordHasherTest, EveryTruncationOfAValidHashIsHandled) {
  PasswordHasher hasher(tinyOptions());
  test::SeededRng rng(5);
  std::string hash = hasher.hash(rng, "pw").value();
  for (std::size_t n = 0; n < hash.size(); ++n) {
    auto outcome = hasher.verify("pw", hash.substr(0, n));
    EXPECT_TRUE(!outcome.has_value() || !outcome->matched) << hash.substr(0, n);
  }
}

TEST(PasswordHasherTest, RefusesOverlongPasswordsBeforeHashing) {
  PasswordHasher hasher(tinyOptions());
  test::SeededRng rng(6);
  std::string huge(1'000'000, 'a');
  EXPECT_EQ(hasher.hash(rng, huge).error(), PasswordError::PasswordTooLong);
  EXPECT_EQ(
      hasher.verify(huge, "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW").error(),
      PasswordError::PasswordTooLong);
}

TEST(PasswordHasherTest, DummyVerificationSucceedsWithoutAHash) {
  PasswordHasher hasher(tinyOptions());
  EXPECT_TRUE(hasher.verifyDummy("anything").has_value());
}

TEST(PasswordHasherTest, CountsTheComputationsItStartedAndNothingItRefused) {
  PasswordHasher hasher(tinyOptions());
  test::SeededRng rng(8);
  ASSERT_EQ(hasher.started(), 0u);

  const auto hash = hasher.hash(rng, "pw");
  ASSERT_TRUE(hash.has_value());
  EXPECT_TRUE(hasher.verify("pw", *hash).has_value());
  EXPECT_TRUE(hasher.verifyDummy("pw").has_value());
  EXPECT_FALSE(hasher.verify("pw", "garbage").has_value());
  EXPECT_FALSE(hasher.verifyDummy(std::string(1'000'000, 'a')).has_value());

  EXPECT_EQ(hasher.started(), 3u);
}

// An Rng whose fill() blocks until released: a hash() call using it holds
// its admission slot (the salt is drawn inside the admitted section) for as
// long as the test wants.
class BlockingRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    for (auto& b : out) b = 0x42;
  }
  void waitUntilEntered(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return entered_ >= n; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool released_ = false;
};

// Polls `condition` until it holds or five seconds pass.
template <class F>
bool eventually(F condition) {
  auto deadline = steady_clock::now() + std::chrono::seconds(5);
  while (steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::yield();
  }
  return condition();
}

TEST(PasswordHasherTest, ShedsLoadAtOnceWhenSlotsAndWaitingRoomAreFull) {
  PasswordHasherOptions options = tinyOptions();
  options.max_concurrent = 2;
  options.max_waiting = 1;
  options.max_wait = std::chrono::seconds(30);
  PasswordHasher hasher(options);
  BlockingRng blocking;
  test::SeededRng rng(7);
  const std::string stored = hasher.hash(rng, "pw").value();

  auto first = std::async(std::launch::async, [&] { return hasher.hash(blocking, "a"); });
  auto second = std::async(std::launch::async, [&] { return hasher.hash(blocking, "b"); });
  blocking.waitUntilEntered(2);
  ASSERT_EQ(hasher.inFlight(), 2u);
  auto waiter = std::async(std::launch::async, [&] { return hasher.verify("pw", stored); });
  ASSERT_TRUE(eventually([&] { return hasher.waiting() == 1; }));

  auto started = steady_clock::now();
  auto shed = hasher.verify("pw", stored);
  auto elapsed = steady_clock::now() - started;

  ASSERT_FALSE(shed.has_value());
  EXPECT_EQ(shed.error(), PasswordError::Overloaded);
  EXPECT_LT(elapsed, milliseconds(1000));
  blocking.release();
  EXPECT_TRUE(first.get().has_value());
  EXPECT_TRUE(second.get().has_value());
  auto waited = waiter.get();
  ASSERT_TRUE(waited.has_value());
  EXPECT_TRUE(waited->matched);
  EXPECT_EQ(hasher.inFlight(), 0u);
  EXPECT_EQ(hasher.waiting(), 0u);
}

// VmRSS of this process in KiB.
long residentKib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

// Many threads taking turns at two hash slots must not leave a block of
// argon2 memory behind per thread (malloc's per-thread arenas did: RSS grew
// by a block for every thread that ever hashed), and an idle hasher holds
// none.
TEST(PasswordHasherTest, MemoryStaysBoundedByTheSlotsNotByTheThreads) {
  PasswordHasherOptions options;
  options.argon2 = Argon2Params{8192, 1, 1};  // 8 MiB per hash
  options.max_concurrent = 2;
  options.max_waiting = 64;
  options.max_wait = std::chrono::seconds(60);
  PasswordHasher hasher(options);
  test::SeededRng rng(11);
  const std::string stored = hasher.hash(rng, "pw").value();
  const long before = residentKib();
  ASSERT_GT(before, 0);

  std::vector<std::thread> threads;
  std::atomic<int> matched{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      for (int round = 0; round < 2; ++round) {
        auto outcome = hasher.verify("pw", stored);
        if (outcome && outcome->matched) ++matched;
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(matched.load(), 32);
  // Idle again: no block stays mapped; 16 threads × 8 MiB would be 128 MiB.
  EXPECT_EQ(argon2BlocksKeptForTesting(), 0u);
  EXPECT_LT(residentKib() - before, 16 * 1024);
}

// The mapping of /proc/self/smaps that holds `address`: its size in KiB and
// its VmFlags line.
struct Mapping {
  long size_kib = -1;
  std::string flags;
};
Mapping mappingOf(const void* address) {
  const auto wanted = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  Mapping found;
  while (std::getline(smaps, line)) {
    std::uintptr_t low = 0;
    std::uintptr_t high = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> low >> dash >> high && dash == '-') {
      if (inside) break;
      inside = low <= wanted && wanted < high;
      continue;
    }
    if (!inside) continue;
    if (line.rfind("Size:", 0) == 0) found.size_kib = std::stol(line.substr(5));
    if (line.rfind("VmFlags:", 0) == 0) found.flags = line.substr(8);
  }
  return found;
}

// argon2 reads its memory at data-dependent places: a block of the default
// 19 MiB is mapped on 2 MiB boundaries, in whole 2 MiB pages, and marked
// for huge pages ("hg" in VmFlags), so it is not a TLB miss per block read.
// A block too small for one huge page is mapped as it is (not marked).
TEST(PasswordHasherTest, Argon2MemoryIsAlignedAndMarkedForHugePages) {
  constexpr std::size_t kDefault = std::size_t{19456} * 1024;
  constexpr std::uintptr_t kTwoMiB = std::uintptr_t{2} << 20;
  std::uint8_t* block = takeArgon2BlockForTesting(kDefault);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kTwoMiB, 0u);
  std::fill(block, block + kDefault, std::uint8_t{0xa5});  // all of it is writable
  const Mapping big = mappingOf(block);
  ASSERT_GT(big.size_kib, 0) << "no mapping holds the block";
  EXPECT_EQ(big.size_kib % 2048, 0) << big.size_kib;
  EXPECT_GE(big.size_kib, 20480);
  const bool thp = std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
  if (thp) {
    EXPECT_NE(big.flags.find(" hg"), std::string::npos) << big.flags;
  }

  std::uint8_t* small = takeArgon2BlockForTesting(64 * 1024);
  ASSERT_NE(small, nullptr);
  std::fill(small, small + 64 * 1024, std::uint8_t{0x5a});
  // Its mapping may have merged with a neighbour of the same flags, so only
  // the flags say anything.
  const Mapping little = mappingOf(small);
  ASSERT_GT(little.size_kib, 0) << "no mapping holds the small block";
  EXPECT_EQ(little.flags.find(" hg"), std::string::npos) << little.flags;

  giveArgon2BlockForTesting(small, 64 * 1024);
  giveArgon2BlockForTesting(block, kDefault);
  EXPECT_EQ(argon2BlocksKeptForTesting(), 0u);
}

TEST(PasswordHasherTest, WaiterGivesUpWithOverloadedAfterTheDeadline) {
  PasswordHasherOptions options = tinyOptions();
  options.max_concurrent = 1;
  options.max_waiting = 8;
  options.max_wait = milliseconds(50);
  PasswordHasher hasher(options);
  BlockingRng blocking;

  auto holder = std::async(std::launch::async, [&] { return hasher.hash(blocking, "a"); });
  blocking.waitUntilEntered(1);
  auto started = steady_clock::now();
  auto timed_out = hasher.verifyDummy("pw");
  auto elapsed = steady_clock::now() - started;

  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error(), PasswordError::Overloaded);
  EXPECT_GE(elapsed, milliseconds(50));
  blocking.release();
  EXPECT_TRUE(holder.get().has_value());
  EXPECT_TRUE(hasher.verifyDummy("pw").has_value());  // the slot came back
}

TEST(PasswordHasherTest, MalformedHashDoesNotNeedASlot) {
  PasswordHasherOptions options = tinyOptions();
  options.max_concurrent = 1;
  options.max_waiting = 0;
  PasswordHasher hasher(options);
  BlockingRng blocking;
  auto holder = std::async(std::launch::async, [&] { return hasher.hash(blocking, "a"); });
  blocking.waitUntilEntered(1);

  EXPECT_EQ(hasher.verify("pw", "garbage").error(), PasswordError::MalformedHash);
  EXPECT_EQ(hasher.verifyDummy("pw").error(), PasswordError::Overloaded);

  blocking.release();
  EXPECT_TRUE(holder.get().has_value());
}

}  // namespace
}  // namespace mxauth::crypto
