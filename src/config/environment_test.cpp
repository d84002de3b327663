#include "config/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "config/load.h"
#include "config/test_files.h"

namespace mxauth::config {
namespace {

Environment makeEnvironment(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

Result<Config, ConfigError> loadFromEnvironment(std::map<std::string, std::string> variables) {
  return loadConfig(std::nullopt, Environment(std::move(variables)));
}

TEST(EnvironmentOverrideTest, OverridesAStringSetInTheFile) {
  testing::TempDir dir;
  auto file = dir.write("mxauth.yaml", "http:\n  listen: 127.0.0.1:8080\n");

  auto loaded = loadConfig(file, makeEnvironment({{"MXAUTH_HTTP__LISTEN", "0.0.0.0:9000"}}));

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->http.listen, "0.0.0.0:9000");
}

TEST(EnvironmentOverrideTest, ParsesIntegersAndNestedSmtpKeys) {
  auto loaded = loadFromEnvironment({{"MXAUTH_EMAIL__SMTP__PORT", "2525"},
                                     {"MXAUTH_EMAIL__SMTP__HOST", "mail.example.org"},
                                     {"MXAUTH_EMAIL__SMTP__MODE", "tls"},
                                     {"MXAUTH_EMAIL__TRANSPORT", "smtp"},
                                     {"MXAUTH_HTTP__MAX_CONNECTIONS", "42"}});

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->email.smtp.port, 2525);
  EXPECT_EQ(loaded->email.smtp.host, "mail.example.org");
  EXPECT_EQ(loaded->email.smtp.mode, SmtpMode::Tls);
  EXPECT_EQ(loaded->email.transport, EmailTransport::Smtp);
  EXPECT_EQ(loaded->http.max_connections, 42);
}

TEST(EnvironmentOverrideTest, SetsRateLimitsFourLevelsDeep) {
  auto loaded =
      loadFromEnvironment({{"MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST", "0"},
                           {"MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__REFILL_INTERVAL", "300"}});

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->rate_limits.login.per_ip.burst, 0);
  EXPECT_EQ(loaded->rate_limits.login.per_account.refill_interval, std::chrono::seconds(300));
  EXPECT_EQ(loaded->rate_limits.login.per_account.burst, 5);
}

TEST(EnvironmentOverrideTest, AcceptsEveryDocumentedBooleanSpelling) {
  for (const char* no : {"false", "0", "no", "False", "NO"}) {
    auto loaded = loadFromEnvironment({{"MXAUTH_ACCOUNT__REGISTRATION", no}});
    ASSERT_TRUE(loaded) << loaded.error().toString();
    EXPECT_FALSE(loaded->account.registration) << no;
  }
  for (const char* yes : {"true", "1", "yes", "TRUE"}) {
    auto loaded = loadFromEnvironment(
        {{"MXAUTH_ACCOUNT__REGISTRATION", yes}, {"MXAUTH_ACCOUNT__DEACTIVATION", "false"}});
    ASSERT_TRUE(loaded) << loaded.error().toString();
    EXPECT_TRUE(loaded->account.registration) << yes;
    EXPECT_FALSE(loaded->account.deactivation);
  }
}

TEST(EnvironmentOverrideTest, SplitsListsOnCommas) {
  auto loaded = loadFromEnvironment({{"MXAUTH_HTTP__TRUSTED_PROXIES", "10.0.0.0/8, ::1 ,"}});

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->http.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
}

TEST(EnvironmentOverrideTest, ClearsAnOptionalValueWithAnEmptyVariable) {
  testing::TempDir dir;
  auto file = dir.write("mxauth.yaml", "branding:\n  tos_uri: https://example.org/tos\n");

  auto loaded = loadConfig(file, makeEnvironment({{"MXAUTH_BRANDING__TOS_URI", ""}}));

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_FALSE(loaded->branding.tos_uri.has_value());
}

TEST(EnvironmentOverrideTest, ReadsConcatenatedPemBlocksAsInlineKeys) {
  auto loaded =
      loadFromEnvironment({{"MXAUTH_SECRETS__KEYS",
                            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
                            "-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----"}});

  ASSERT_TRUE(loaded) << loaded.error().toString();
  ASSERT_EQ(loaded->secrets.keys.size(), 2u);
  EXPECT_EQ(loaded->secrets.keys[1].key,
            "-----BEGIN EC PRIVATE KEY-----\nBBBB\n-----END EC PRIVATE KEY-----\n");
}

TEST(EnvironmentOverrideTest, NamesTheVariableInATypeError) {
  auto loaded = loadFromEnvironment({{"MXAUTH_HTTP__MAX_CONNECTIONS", "abc"}});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ConfigErrorCode::WrongType);
  EXPECT_EQ(loaded.error().key, "http.max_connections");
  EXPECT_EQ(loaded.error().variable, "MXAUTH_HTTP__MAX_CONNECTIONS");
  EXPECT_EQ(loaded.error().toString(),
            "MXAUTH_HTTP__MAX_CONNECTIONS: expected an integer, got \"abc\"");
}

TEST(EnvironmentOverrideTest, NamesTheVariableOfAnInvalidValue) {
  auto loaded = loadFromEnvironment({{"MXAUTH_HTTP__PUBLIC_BASE", "auth.example.org"}});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().toString().rfind("MXAUTH_HTTP__PUBLIC_BASE: ", 0), 0u);
}

TEST(EnvironmentOverrideTest, RejectsAnUnknownMxauthVariableWithASuggestion) {
  auto loaded = loadFromEnvironment({{"MXAUTH_HTTP__LISTN", "127.0.0.1:9000"}});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ConfigErrorCode::UnknownKey);
  EXPECT_EQ(loaded.error().key, "http.listn");
  EXPECT_EQ(loaded.error().toString(),
            "MXAUTH_HTTP__LISTN: is not a configuration setting (did you mean "
            "MXAUTH_HTTP__LISTEN?)");
}

TEST(EnvironmentOverrideTest, RejectsAVariableWithSingleUnderscoreBetweenSections) {
  auto loaded = loadFromEnvironment({{"MXAUTH_HTTP_LISTEN", "127.0.0.1:9000"}});

  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().toString().find("MXAUTH_HTTP__LISTEN"), std::string::npos);
}

TEST(EnvironmentOverrideTest, RejectsAVariableNamingAWholeSection) {
  auto loaded = loadFromEnvironment({{"MXAUTH_EMAIL__SMTP", "mail:25"}});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().variable, "MXAUTH_EMAIL__SMTP");
  EXPECT_EQ(loaded.error().key, "email.smtp");
}

TEST(EnvironmentOverrideTest, IgnoresAllowListedAndUnrelatedVariables) {
  auto loaded = loadFromEnvironment({{"MXAUTH_TEST_POSTGRES_URI", "postgresql://x"},
                                     {"MXAUTH_REQUIRE_POSTGRES", "1"},
                                     {"MXAUTH_DEPS", "skip"},
                                     {"MXAUTH_BENCH_SECONDS", "2"},
                                     {"MXAUTH_BUILD", "build/release"},
                                     {"PATH", "/usr/bin"},
                                     {"MXAUTHX", "1"}});

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(*loaded, Config());
}

TEST(EnvironmentOverrideTest, NamesTheMissingKeyWhenAVariableLeavesTwoKeysInconsistent) {
  auto loaded = loadFromEnvironment({{"MXAUTH_EMAIL__SMTP__USERNAME", "bot"}});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().key, "email.smtp.password");
  EXPECT_EQ(loaded.error().variable, "");
  EXPECT_EQ(loaded.error().code, ConfigErrorCode::Inconsistent);
}

TEST(EnvironmentOverrideTest, BuildsVariableNamesFromKeyPaths) {
  EXPECT_EQ(environmentVariableFor("email.smtp.port"), "MXAUTH_EMAIL__SMTP__PORT");
  EXPECT_EQ(environmentVariableFor("http.max_body_bytes"), "MXAUTH_HTTP__MAX_BODY_BYTES");
}

TEST(EnvironmentTest, LooksUpInjectedVariables) {
  Environment env = makeEnvironment({{"A", "1"}});
  env.set("B", "2");

  EXPECT_EQ(env.get("A"), "1");
  EXPECT_EQ(env.get("B"), "2");
  EXPECT_EQ(env.get("C"), std::nullopt);
}

TEST(EnvironmentTest, SnapshotsTheProcessEnvironment) {
  const char* path = std::getenv("PATH");
  Environment env = Environment::fromProcess();

  if (path == nullptr) {
    EXPECT_EQ(env.get("PATH"), std::nullopt);
  } else {
    EXPECT_EQ(env.get("PATH"), std::string(path));
  }
}

}  // namespace
}  // namespace mxauth::config
