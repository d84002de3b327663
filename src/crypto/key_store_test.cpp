#include "crypto/key_store.h"

#include <sys/stat.h>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <string>

#include "core/testing/fakes.h"

namespace mxauth::crypto {
namespace {

namespace fs = std::filesystem;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "mxauth-keys-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  static unsigned modeOf(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 0777;
  }
  static std::set<std::string> pemFiles(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".pem") names.insert(entry.path().filename().string());
    }
    return names;
  }

  fs::path root_;
};

TEST_F(KeyStoreTest, FirstStartGeneratesThreeKeysWithPrivateModes) {
  fs::path dir = root_ / "data" / "keys";

  auto keys = ensureKeys(dir);

  ASSERT_TRUE(keys.has_value()) << keys.error().detail;
  EXPECT_EQ(keys->keys().size(), 3u);
  EXPECT_NE(keys->signingKey(SigningAlgorithm::Rs256), nullptr);
  EXPECT_NE(keys->signingKey(SigningAlgorithm::Es256), nullptr);
  EXPECT_NE(keys->signingKey(SigningAlgorithm::EdDsa), nullptr);
  EXPECT_EQ(modeOf(dir), 0700u);
  auto files = pemFiles(dir);
  ASSERT_EQ(files.size(), 3u);
  for (const std::string& name : files) EXPECT_EQ(modeOf(dir / name), 0600u) << name;
  const SigningKey* rsa = keys->signingKey(SigningAlgorithm::Rs256);
  EXPECT_EQ(files.count("rs256-" + rsa->kid() + ".pem"), 1u);
}

TEST_F(KeyStoreTest, SecondStartLoadsTheSameKeys) {
  auto first = ensureKeys(root_ / "keys").value();
  auto second = ensureKeys(root_ / "keys").value();

  ASSERT_EQ(second.keys().size(), 3u);
  for (const SigningKey& key : first.keys()) EXPECT_NE(second.findByKid(key.kid()), nullptr);
  EXPECT_EQ(pemFiles(root_ / "keys").size(), 3u);
}

TEST_F(KeyStoreTest, ConcurrentFirstStartsGenerateOneSetOfKeys) {
  fs::path dir = root_ / "keys";
  auto a = std::async(std::launch::async, [&] { return ensureKeys(dir); });
  auto b = std::async(std::launch::async, [&] { return ensureKeys(dir); });

  auto ka = a.get();
  auto kb = b.get();

  ASSERT_TRUE(ka.has_value());
  ASSERT_TRUE(kb.has_value());
  EXPECT_EQ(pemFiles(dir).size(), 3u);
  EXPECT_EQ(ka->jwks(), kb->jwks());
}

TEST_F(KeyStoreTest, JwksListsPublicKeysOnly) {
  auto keys = ensureKeys(root_ / "keys").value();

  boost::json::value jwks = boost::json::parse(keys.jwks());

  const auto& array = jwks.at("keys").as_array();
  ASSERT_EQ(array.size(), 3u);
  std::set<std::string> algs;
  for (const auto& jwk : array) {
    algs.insert(std::string(jwk.at("alg").as_string()));
    EXPECT_EQ(jwk.at("use").as_string(), "sig");
    EXPECT_FALSE(jwk.as_object().contains("d"));
    EXPECT_NE(keys.findByKid(jwk.at("kid").as_string()), nullptr);
  }
  EXPECT_EQ(algs, (std::set<std::string>{"RS256", "ES256", "EdDSA"}));
  EXPECT_EQ(keys.algorithms().size(), 3u);
}

TEST_F(KeyStoreTest, KeepsExistingKeysAndGeneratesNothingWhenOneIsPresent) {
  fs::path dir = root_ / "keys";
  fs::create_directories(dir);
  auto key = SigningKey::generate(SigningAlgorithm::Es256).value();
  ASSERT_TRUE(writeKeyFile(dir, key).has_value());

  auto keys = ensureKeys(dir).value();

  ASSERT_EQ(keys.keys().size(), 1u);
  EXPECT_EQ(keys.keys()[0].kid(), key.kid());
}

TEST_F(KeyStoreTest, UnparseableKeyFileIsAnErrorThatNamesIt) {
  fs::path dir = root_ / "keys";
  fs::create_directories(dir);
  std::ofstream(dir / "broken.pem") << "not a key";
  std::ofstream(dir / "notes.txt") << "ignored";

  auto keys = loadKeyDirectory(dir);

  ASSERT_FALSE(keys.has_value());
  EXPECT_EQ(keys.error().code, KeyErrorCode::InvalidKey);
  EXPECT_NE(keys.error().detail.find("broken.pem"), std::string::npos) << keys.error().detail;
}

TEST_F(KeyStoreTest, MissingDirectoryIsAnIoError) {
  auto keys = loadKeyDirectory(root_ / "absent");
  ASSERT_FALSE(keys.has_value());
  EXPECT_EQ(keys.error().code, KeyErrorCode::Io);
}

TEST_F(KeyStoreTest, InlinePemKeysLoadInOrderAndDuplicatesCollapse) {
  auto ed = SigningKey::generate(SigningAlgorithm::EdDsa).value();
  auto rsa = SigningKey::generate(SigningAlgorithm::Rs256).value();
  std::vector<std::string> pems = {ed.privateKeyPem().value(), rsa.privateKeyPem().value(),
                                   ed.privateKeyPem().value()};

  auto keys = keySetFromPems(pems).value();

  ASSERT_EQ(keys.keys().size(), 2u);
  EXPECT_EQ(keys.keys()[0].kid(), ed.kid());
  EXPECT_EQ(keys.keys()[1].kid(), rsa.kid());
  EXPECT_EQ(keys.signingKey(SigningAlgorithm::Es256), nullptr);
  std::vector<std::string> bad = {"garbage"};
  EXPECT_NE(keySetFromPems(bad).error().detail.find("#1"), std::string::npos);
}

TEST_F(KeyStoreTest, EncryptionSecretIsCreatedOnceWithPrivateMode) {
  test::SeededRng rng(9);
  fs::path dir = root_ / "keys";

  auto first = ensureEncryptionSecret(dir, rng);
  auto second = ensureEncryptionSecret(dir, rng);

  ASSERT_TRUE(first.has_value()) << first.error().detail;
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(first->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(second.value(), *first);
  EXPECT_EQ(modeOf(dir / "encryption.secret"), 0600u);
  // The secret file is not mistaken for a key.
  EXPECT_TRUE(loadKeyDirectory(dir).value().empty());
}

TEST_F(KeyStoreTest, CorruptEncryptionSecretIsAnError) {
  fs::path dir = root_ / "keys";
  fs::create_directories(dir);
  std::ofstream(dir / "encryption.secret") << "abc\n";
  test::SeededRng rng(10);

  auto secret = ensureEncryptionSecret(dir, rng);

  ASSERT_FALSE(secret.has_value());
  EXPECT_EQ(secret.error().code, KeyErrorCode::InvalidKey);
}

}  // namespace
}  // namespace mxauth::crypto
