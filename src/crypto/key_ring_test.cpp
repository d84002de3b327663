#include "crypto/key_ring.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/testing/fakes.h"

namespace mxauth::crypto {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::seconds;

constexpr Duration kGrace = hours(24 * 7);

SigningKey newKey(SigningAlgorithm algorithm) {
  auto key = SigningKey::generate(algorithm);
  EXPECT_TRUE(key.has_value());
  return *key;
}

std::vector<std::string> kidsOf(const KeySet& keys) {
  std::vector<std::string> kids;
  for (const SigningKey& key : keys.keys()) kids.push_back(key.kid());
  return kids;
}

// The state machine alone: instants in, states out, no files.
class KeyRingStateTest : public ::testing::Test {
 protected:
  test::FakeClock clock_{test::at("2026-03-01T12:00:00Z")};
  SigningKey old_key_ = newKey(SigningAlgorithm::EdDsa);
  SigningKey new_key_ = newKey(SigningAlgorithm::EdDsa);
};

TEST_F(KeyRingStateTest, ARotationSignsWithTheNewKeyAndKeepsTheOldOneForTheGracePeriod) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  clock_.advance(hours(1));
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());

  ASSERT_TRUE(ring.activate(new_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());

  const Timestamp rotated = clock_.now();
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, rotated)->kid, new_key_.kid());
  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(rotated), KeyState::Retiring);
  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(rotated + kGrace - seconds(1)), KeyState::Retiring);
  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(rotated + kGrace), KeyState::Retired);
  EXPECT_EQ(ring.nextChangeAfter(rotated), rotated + kGrace);
  EXPECT_EQ(ring.nextChangeAfter(rotated + kGrace), std::nullopt);
}

TEST_F(KeyRingStateTest, APlannedActivationKeepsTheOldKeySigningUntilItsInstant) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  const Timestamp activation = clock_.now() + seconds(60);

  ASSERT_TRUE(ring.activate(new_key_.kid(), clock_.now(), activation, kGrace).has_value());

  EXPECT_EQ(ring.find(new_key_.kid())->stateAt(clock_.now()), KeyState::Published);
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, clock_.now())->kid, old_key_.kid());
  EXPECT_EQ(ring.nextChangeAfter(clock_.now()), activation);
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, activation)->kid, new_key_.kid());
  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(activation), KeyState::Retiring);
  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(activation + kGrace), KeyState::Retired);
}

TEST_F(KeyRingStateTest, APublishedKeyNeverSignsUntilActivated) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);

  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  clock_.advance(hours(24 * 365));

  EXPECT_EQ(ring.find(new_key_.kid())->stateAt(clock_.now()), KeyState::Published);
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, clock_.now())->kid, old_key_.kid());
  EXPECT_EQ(ring.nextChangeAfter(clock_.now()), std::nullopt);
}

TEST_F(KeyRingStateTest, ANewerActivationCallsOffAPendingOne) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  ASSERT_TRUE(
      ring.activate(new_key_.kid(), clock_.now(), clock_.now() + hours(1), kGrace).has_value());
  const SigningKey third = newKey(SigningAlgorithm::EdDsa);
  ring.publish(third, "eddsa-third.pem", clock_.now());

  ASSERT_TRUE(ring.activate(third.kid(), clock_.now(), clock_.now(), kGrace).has_value());

  const Timestamp later = clock_.now() + hours(2);
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, later)->kid, third.kid());
  EXPECT_EQ(ring.find(new_key_.kid())->stateAt(later), KeyState::Published);
  EXPECT_EQ(ring.find(old_key_.kid())->retiring_at, clock_.now());
}

TEST_F(KeyRingStateTest, AdoptionSignsWithTheFirstKeyOfEachAlgorithmAndRetiresTheOthers) {
  const SigningKey es = newKey(SigningAlgorithm::Es256);

  KeyRing ring =
      KeyRing::adopt({{"eddsa-a.pem", old_key_}, {"eddsa-b.pem", new_key_}, {"es256-c.pem", es}},
                     clock_.now(), kGrace);

  EXPECT_EQ(ring.signerAt(SigningAlgorithm::EdDsa, clock_.now())->kid, old_key_.kid());
  EXPECT_EQ(ring.signerAt(SigningAlgorithm::Es256, clock_.now())->kid, es.kid());
  EXPECT_EQ(ring.find(new_key_.kid())->stateAt(clock_.now()), KeyState::Retiring);
  EXPECT_EQ(ring.find(new_key_.kid())->stateAt(clock_.now() + kGrace), KeyState::Retired);
  EXPECT_EQ(ring.algorithmsInUse(clock_.now()),
            (std::vector{SigningAlgorithm::Es256, SigningAlgorithm::EdDsa}));
}

TEST_F(KeyRingStateTest, RetiringTheSigningKeyIsRefusedButARetiringKeyGoesAtOnce) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());

  EXPECT_FALSE(ring.retire(old_key_.kid(), clock_.now()).has_value());
  ASSERT_TRUE(ring.activate(new_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());
  ASSERT_TRUE(ring.retire(old_key_.kid(), clock_.now()).has_value());

  EXPECT_EQ(ring.find(old_key_.kid())->stateAt(clock_.now()), KeyState::Retired);
  EXPECT_FALSE(ring.retire(old_key_.kid(), clock_.now()).has_value());
  EXPECT_FALSE(ring.retire("no-such-kid", clock_.now()).has_value());
}

TEST_F(KeyRingStateTest, ARetiringOrActiveKeyCannotBeActivatedAgain) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  ASSERT_TRUE(ring.activate(new_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());

  EXPECT_FALSE(ring.activate(old_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());
  EXPECT_FALSE(ring.activate(new_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());
}

TEST_F(KeyRingStateTest, PruningRemovesOnlyRetiredEntries) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  ASSERT_TRUE(ring.activate(new_key_.kid(), clock_.now(), clock_.now(), kGrace).has_value());

  EXPECT_TRUE(ring.pruneRetired(clock_.now()).empty());
  auto pruned = ring.pruneRetired(clock_.now() + kGrace);

  ASSERT_EQ(pruned.size(), 1u);
  EXPECT_EQ(pruned[0].kid, old_key_.kid());
  ASSERT_EQ(ring.entries().size(), 1u);
  EXPECT_EQ(ring.entries()[0].kid, new_key_.kid());
}

TEST_F(KeyRingStateTest, SerialisationRoundTrips) {
  KeyRing ring = KeyRing::adopt({{"eddsa-old.pem", old_key_}}, clock_.now(), kGrace);
  ring.publish(new_key_, "eddsa-new.pem", clock_.now());
  ASSERT_TRUE(
      ring.activate(new_key_.kid(), clock_.now(), clock_.now() + seconds(30), kGrace).has_value());

  auto parsed = KeyRing::parse(ring.serialize());

  ASSERT_TRUE(parsed.has_value()) << parsed.error().detail;
  EXPECT_EQ(parsed->entries(), ring.entries());
}

TEST_F(KeyRingStateTest, ParsingRefusesWhatCouldMisleadTheLoader) {
  const auto fails = [](std::string_view json) { return !KeyRing::parse(json).has_value(); };
  EXPECT_TRUE(fails("[]"));
  EXPECT_TRUE(fails(R"({"version":2,"keys":[]})"));
  EXPECT_TRUE(
      fails(R"({"version":1,"keys":[{"kid":"a","alg":"none","file":"a.pem","created_at":1}]})"));
  EXPECT_TRUE(fails(
      R"({"version":1,"keys":[{"kid":"a","alg":"RS256","file":"../a.pem","created_at":1}]})"));
  EXPECT_TRUE(
      fails(R"({"version":1,"keys":[{"kid":"a","alg":"RS256","file":"a.pem","created_at":1},)"
            R"({"kid":"a","alg":"RS256","file":"b.pem","created_at":1}]})"));
  EXPECT_TRUE(fails(
      R"({"version":1,"keys":[{"kid":"a","alg":"RS256","file":"a.pem","created_at":"soon"}]})"));
  EXPECT_FALSE(fails(R"({"version":1,"keys":[]})"));
}

TEST(KeySetUse, AVerifyOnlyKeyIsPublishedButNeverSigns) {
  KeySet keys;
  const SigningKey announced = newKey(SigningAlgorithm::EdDsa);

  keys.add(announced, KeyUse::VerifyOnly);

  EXPECT_EQ(keys.signingKey(SigningAlgorithm::EdDsa), nullptr);
  EXPECT_TRUE(keys.algorithms().empty());
  EXPECT_NE(keys.jwks().find(announced.kid()), std::string::npos);
}

// A key directory on disk, and the watcher that follows it.
class KeyRingDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "mxauth-ring-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(writeKeyFile(dir_, old_key_).has_value());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // What `mxauth keys rotate` does: a new key file, then the ring.
  void rotate(const SigningKey& key, Duration delay) {
    auto loaded = readKeyRing(dir_, clock_.now(), kGrace);
    ASSERT_TRUE(loaded.has_value());
    ASSERT_TRUE(writeKeyFile(dir_, key).has_value());
    loaded->ring.publish(key, keyFileName(key), clock_.now());
    ASSERT_TRUE(
        loaded->ring.activate(key.kid(), clock_.now(), clock_.now() + delay, kGrace).has_value());
    ASSERT_TRUE(writeKeyRing(dir_, loaded->ring).has_value());
  }

  fs::path dir_;
  test::FakeClock clock_{test::at("2026-03-01T12:00:00Z")};
  SigningKey old_key_ = newKey(SigningAlgorithm::EdDsa);
  SigningKey new_key_ = newKey(SigningAlgorithm::EdDsa);
};

TEST_F(KeyRingDirectoryTest, AnUnmanagedDirectoryLoadsEveryKey) {
  auto snapshot = loadKeySnapshot(dir_, clock_.now());

  ASSERT_TRUE(snapshot.has_value()) << snapshot.error().detail;
  EXPECT_EQ(kidsOf(snapshot->keys), std::vector{old_key_.kid()});
  EXPECT_EQ(snapshot->keys.signingKey(SigningAlgorithm::EdDsa)->kid(), old_key_.kid());
  EXPECT_EQ(snapshot->next_change, std::nullopt);
}

TEST_F(KeyRingDirectoryTest, TheSnapshotFollowsTheRingThroughActivationAndRetirement) {
  rotate(new_key_, seconds(60));

  auto before = loadKeySnapshot(dir_, clock_.now());
  auto during = loadKeySnapshot(dir_, clock_.now() + seconds(60));
  auto after = loadKeySnapshot(dir_, clock_.now() + seconds(60) + kGrace);

  ASSERT_TRUE(before && during && after);
  EXPECT_EQ(before->keys.signingKey(SigningAlgorithm::EdDsa)->kid(), old_key_.kid());
  EXPECT_EQ(kidsOf(before->keys), (std::vector{old_key_.kid(), new_key_.kid()}));
  EXPECT_EQ(before->next_change, clock_.now() + seconds(60));
  EXPECT_EQ(during->keys.signingKey(SigningAlgorithm::EdDsa)->kid(), new_key_.kid());
  EXPECT_EQ(kidsOf(during->keys), (std::vector{new_key_.kid(), old_key_.kid()}));
  EXPECT_EQ(kidsOf(after->keys), std::vector{new_key_.kid()});
}

TEST_F(KeyRingDirectoryTest, AKeyFileThatIsNotTheOneTheRingNamesIsAnError) {
  rotate(new_key_, seconds(0));
  const SigningKey impostor = newKey(SigningAlgorithm::EdDsa);
  auto pem = impostor.privateKeyPem();
  ASSERT_TRUE(pem.has_value());
  ASSERT_TRUE(writeKeyDirectoryFile(dir_, keyFileName(new_key_), *pem).has_value());

  auto snapshot = loadKeySnapshot(dir_, clock_.now());

  ASSERT_FALSE(snapshot.has_value());
  EXPECT_NE(snapshot.error().detail.find(new_key_.kid()), std::string::npos);
}

TEST_F(KeyRingDirectoryTest, AFileTheRingDoesNotNameIsIgnoredAndReported) {
  rotate(new_key_, seconds(0));
  const SigningKey stray = newKey(SigningAlgorithm::EdDsa);
  ASSERT_TRUE(writeKeyFile(dir_, stray).has_value());

  auto snapshot = loadKeySnapshot(dir_, clock_.now());
  auto ring = readKeyRing(dir_, clock_.now(), kGrace);
  ASSERT_TRUE(snapshot && ring);
  auto unlisted = unlistedKeyFiles(dir_, ring->ring);

  EXPECT_EQ(snapshot->keys.findByKid(stray.kid()), nullptr);
  ASSERT_TRUE(unlisted.has_value());
  EXPECT_EQ(*unlisted, std::vector{keyFileName(stray)});
}

TEST_F(KeyRingDirectoryTest, TheWatcherSwapsInARotationAndPlannedChangesWithoutBeingTold) {
  KeySource source;
  std::vector<std::string> warnings;
  KeyRingWatcher watcher(dir_, source, clock_, {.info = {}, .warn = [&](std::string_view text) {
                                                  warnings.emplace_back(text);
                                                }});
  ASSERT_TRUE(watcher.load().has_value());
  const std::shared_ptr<const KeySet> first = source.current();

  auto unchanged = watcher.refresh();
  rotate(new_key_, seconds(60));
  auto published = watcher.refresh();
  const std::shared_ptr<const KeySet> second = source.current();
  clock_.advance(seconds(60));
  auto activated = watcher.refresh();
  const std::shared_ptr<const KeySet> third = source.current();
  clock_.advance(kGrace);
  auto retired = watcher.refresh();

  ASSERT_TRUE(unchanged && published && activated && retired);
  EXPECT_FALSE(*unchanged);
  EXPECT_TRUE(*published);
  EXPECT_TRUE(*activated);
  EXPECT_TRUE(*retired);
  EXPECT_EQ(kidsOf(*first), std::vector{old_key_.kid()});
  EXPECT_EQ(second->signingKey(SigningAlgorithm::EdDsa)->kid(), old_key_.kid());
  EXPECT_NE(second->findByKid(new_key_.kid()), nullptr);
  EXPECT_EQ(third->signingKey(SigningAlgorithm::EdDsa)->kid(), new_key_.kid());
  EXPECT_NE(third->findByKid(old_key_.kid()), nullptr);
  EXPECT_EQ(kidsOf(*source.current()), std::vector{new_key_.kid()});
  EXPECT_TRUE(warnings.empty());
}

TEST_F(KeyRingDirectoryTest, AFailedReloadKeepsTheKeysInUseAndWarnsOnce) {
  KeySource source;
  int warnings = 0;
  KeyRingWatcher watcher(dir_, source, clock_,
                         {.info = {}, .warn = [&](std::string_view) { ++warnings; }});
  ASSERT_TRUE(watcher.load().has_value());
  ASSERT_TRUE(writeKeyDirectoryFile(dir_, std::string(kKeyRingFileName), "{not json").has_value());

  auto first = watcher.refresh();
  auto second = watcher.refresh();

  EXPECT_FALSE(first.has_value());
  EXPECT_FALSE(second.has_value());
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(kidsOf(*source.current()), std::vector{old_key_.kid()});
}

}  // namespace
}  // namespace mxauth::crypto
