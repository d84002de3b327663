#include "config/generate.h"

#include <gtest/gtest.h>

#include <sstream>

#include "config/load.h"
#include "config/test_files.h"
#include "config/validate.h"
#include "core/testing/fakes.h"

namespace mxauth::config {
namespace {

// Every key changed from its default, with text that needs quoting.
Config everyKeyChanged() {
  Config c;
  c.http = {"[::1]:9443",
            "https://auth.example.org/sub/",
            3,
            77,
            4096,
            std::chrono::seconds(7),
            std::chrono::seconds(70),
            {"10.0.0.0/8", "fd00::/8", "192.0.2.1"}};
  c.database = {"postgresql://u:p%40ss@db:5432/mxauth?sslmode=require", 12,
                std::chrono::seconds(9)};
  c.secrets.keys_dir = "/var/lib/mxauth keys/";
  c.secrets.encryption = std::string(64, 'f');
  c.secrets.keys = {
      {"rsa-2026", "-----BEGIN PRIVATE KEY-----\nMIIE\n\nvAIB\n-----END PRIVATE KEY-----\n"},
      {std::nullopt, "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----"}};
  c.matrix = {"example.org:8448", "http://synapse:8008/", "se\"cr\\et#1"};
  c.account = {false,
               false,
               true,
               false,
               {std::chrono::seconds(120), {"password"}},
               false,
               std::chrono::seconds(900),
               true};
  c.email = {EmailTransport::Smtp,
             {"::1", 465, SmtpMode::Tls, "user: name", "pa'ss \"word\""},
             "\"Example, Inc.\" <no-reply@example.org>"};
  c.tokens = {std::chrono::seconds(3600), std::chrono::seconds(60), std::chrono::seconds(30)};
  c.passwords = {32768, 4, 2, 3};
  c.rate_limits.login = {{0, std::chrono::seconds(1)}, {1000000, std::chrono::seconds(86400)}};
  c.log = {LogLevel::Warn, LogFormat::Text};
  c.branding = {"Zürich Auth: #1", "https://example.org/tos?lang=de", std::nullopt};
  return c;
}

Result<Config, ConfigError> roundTrip(const Config& config, bool comments) {
  testing::TempDir dir;
  auto file = dir.write("mxauth.yaml", renderConfig(config, comments));
  return loadConfig(file, Environment());
}

TEST(GenerateConfigTest, MakesFreshSecretsAndKeepsEveryOtherDefault) {
  test::SeededRng rng(7);

  Config generated = generateConfig(rng);

  ASSERT_TRUE(generated.secrets.encryption.has_value());
  EXPECT_EQ(generated.secrets.encryption->size(), 64u);
  EXPECT_EQ(generated.matrix.secret.size(), 64u);
  EXPECT_NE(*generated.secrets.encryption, generated.matrix.secret);
  EXPECT_TRUE(validateConfig(generated));
  Config rest = generated;
  rest.secrets.encryption.reset();
  rest.matrix.secret.clear();
  EXPECT_EQ(rest, Config());
}

TEST(GenerateConfigTest, DiffersBetweenGenerators) {
  test::SeededRng first(1);
  test::SeededRng second(2);

  EXPECT_NE(generateConfig(first).secrets.encryption, generateConfig(second).secrets.encryption);
}

TEST(RenderConfigTest, GeneratedConfigRoundTripsThroughLoadConfig) {
  test::SeededRng rng(42);
  Config generated = generateConfig(rng);

  auto loaded = roundTrip(generated, true);

  ASSERT_TRUE(loaded) << loaded.error().toString() << "\n" << renderConfig(generated);
  EXPECT_EQ(*loaded, generated);
}

TEST(RenderConfigTest, EveryKeyChangedRoundTripsWithAndWithoutComments) {
  Config config = everyKeyChanged();
  ASSERT_TRUE(validateConfig(config)) << validateConfig(config).error().toString();

  for (bool comments : {true, false}) {
    auto loaded = roundTrip(config, comments);
    ASSERT_TRUE(loaded) << loaded.error().toString() << "\n" << renderConfig(config, comments);
    EXPECT_EQ(*loaded, config) << renderConfig(config, comments);
  }
}

TEST(RenderConfigTest, DefaultsRoundTrip) {
  auto loaded = roundTrip(Config(), true);

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(*loaded, Config());
}

TEST(RenderConfigTest, PutsACommentWithTheDefaultAboveEveryKey) {
  std::istringstream text(renderConfig(everyKeyChanged()));
  std::string previous;
  std::string line;
  int keys = 0;
  bool in_block = false;
  while (std::getline(text, line)) {
    std::size_t indent = line.find_first_not_of(' ');
    bool is_key = indent != std::string::npos && line[indent] != '#' && line[indent] != '-' &&
                  line.find(':') != std::string::npos;
    // Lines inside a PEM block scalar or an inline key entry are not keys.
    if (in_block && (line.empty() || indent > 6)) continue;
    in_block = line.ends_with(": |") || line.ends_with(": |-") || line.ends_with(": |+");
    if (!is_key || indent >= 6) {
      previous = line;
      continue;
    }
    ++keys;
    EXPECT_NE(previous.find('#'), std::string::npos) << "no comment above: " << line;
    if (line.back() != ':') {
      EXPECT_NE(previous.find("(default: "), std::string::npos) << previous;
    }
    previous = line;
  }
  EXPECT_GT(keys, 40);
}

TEST(RenderConfigTest, StatesDefaultsInTheComments) {
  std::string text = renderConfig(Config());

  EXPECT_NE(text.find("(default: 300)"), std::string::npos);
  EXPECT_NE(text.find("(default: \"127.0.0.1:8080\")"), std::string::npos);
  EXPECT_NE(text.find("MXAUTH_HTTP__LISTEN"), std::string::npos);
}

TEST(RenderConfigTest, WritesInlineKeysAsLiteralBlocks) {
  std::string text = renderConfig(everyKeyChanged(), false);

  EXPECT_NE(text.find("      key: |\n        -----BEGIN PRIVATE KEY-----\n        MIIE\n\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    - key: |-\n"), std::string::npos) << text;
}

TEST(RenderConfigTest, WithoutCommentsHasNoCommentLines) {
  std::string text = renderConfig(Config(), false);

  EXPECT_EQ(text.find('#'), std::string::npos);
}

}  // namespace
}  // namespace mxauth::config
