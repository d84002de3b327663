#include "config/load.h"

#include <gtest/gtest.h>

#include <string>

#include "config/test_files.h"

namespace mxauth::config {
namespace {

class LoadConfigTest : public ::testing::Test {
 protected:
  Result<Config, ConfigError> loadText(std::string_view yaml, const Environment& env = {}) {
    file_ = dir_.write("mxauth.yaml", yaml);
    return loadConfig(file_, env);
  }
  // The error of loading `yaml`; fails the test if it loads.
  ConfigError errorOf(std::string_view yaml) {
    auto loaded = loadText(yaml);
    EXPECT_FALSE(loaded.has_value()) << "loaded without error:\n" << yaml;
    if (loaded) return {};
    return loaded.error();
  }

  testing::TempDir dir_;
  std::filesystem::path file_;
};

TEST_F(LoadConfigTest, UsesTheDocumentedDefaultsWhenThereIsNoFile) {
  auto loaded = loadConfig(std::nullopt, Environment());

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(*loaded, Config());
  EXPECT_EQ(loaded->http.listen, "127.0.0.1:8080");
  EXPECT_EQ(loaded->http.public_base, "http://127.0.0.1:8080/");
  EXPECT_EQ(loaded->database.uri, "sqlite://./data/mxauth.db");
  EXPECT_EQ(loaded->secrets.keys_dir, "./data/keys");
  EXPECT_FALSE(loaded->secrets.encryption.has_value());
  EXPECT_EQ(loaded->matrix.homeserver, "localhost");
  EXPECT_EQ(loaded->email.transport, EmailTransport::Blackhole);
  EXPECT_EQ(loaded->email.from, "mxauth <noreply@localhost>");
  EXPECT_EQ(loaded->tokens.access_token_ttl, std::chrono::seconds(300));
  EXPECT_EQ(loaded->tokens.refresh_token_ttl, std::chrono::seconds(2592000));
  EXPECT_EQ(loaded->http.max_body_bytes, 1048576);
  EXPECT_EQ(loaded->passwords.argon2_memory_kib, 19456u);
  EXPECT_EQ(loaded->rate_limits.login.per_ip, (RateLimitConfig{10, std::chrono::seconds(3)}));
  EXPECT_EQ(loaded->rate_limits.login.per_account, (RateLimitConfig{5, std::chrono::seconds(60)}));
}

TEST_F(LoadConfigTest, TreatsAnEmptyFileAsAllDefaults) {
  auto loaded = loadText("");

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(*loaded, Config());
}

TEST_F(LoadConfigTest, TreatsCommentsAndEmptySectionsAsDefaults) {
  auto loaded = loadText("# nothing set yet\nhttp:\nemail:\n  smtp:\n");

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(*loaded, Config());
}

TEST_F(LoadConfigTest, LoadsEveryKeyOfAFullFile) {
  auto loaded = loadText(R"(http:
  listen: "[::1]:9000"
  public_base: https://auth.example.org/mxauth
  io_threads: 4
  max_connections: 500
  max_body_bytes: 65536
  header_timeout: 5
  idle_timeout: 30
  trusted_proxies: [10.0.0.0/8, "::1"]
database:
  uri: postgresql://mxauth:pw@db:5432/mxauth
  max_connections: 20
  connect_timeout: 3
secrets:
  keys_dir: /var/lib/mxauth/keys
  encryption: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
  keys:
    - kid: rsa-1
      key: |
        -----BEGIN PRIVATE KEY-----
        MIIBVQ==
        -----END PRIVATE KEY-----
matrix:
  homeserver: example.org
  endpoint: http://synapse:8008
  secret: s3cret
account:
  registration: false
  password_change: no
  email_change: false
  deactivation: false
email:
  transport: smtp
  smtp: {host: mail.example.org, port: 587, mode: starttls, username: bot, password: pw}
  from: "Example <auth@example.org>"
tokens:
  access_token_ttl: 600
  refresh_token_ttl: 86400
  authorization_code_ttl: 120
passwords:
  argon2_memory_kib: 65536
  argon2_iterations: 3
  argon2_parallelism: 2
  max_concurrent_hashes: 8
rate_limits:
  login:
    per_ip: {burst: 20, refill_interval: 2}
    per_account:
      burst: 0
      refill_interval: 600
log:
  level: debug
  format: text
branding:
  service_name: Example Auth
  tos_uri: https://example.org/tos
  policy_uri: https://example.org/privacy
)");

  ASSERT_TRUE(loaded) << loaded.error().toString();
  Config expected;
  expected.http = {"[::1]:9000",
                   "https://auth.example.org/mxauth/",
                   4,
                   500,
                   65536,
                   std::chrono::seconds(5),
                   std::chrono::seconds(30),
                   {"10.0.0.0/8", "::1"}};
  expected.database = {"postgresql://mxauth:pw@db:5432/mxauth", 20, std::chrono::seconds(3)};
  expected.secrets.keys_dir = "/var/lib/mxauth/keys";
  expected.secrets.encryption = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  expected.secrets.keys = {
      {"rsa-1", "-----BEGIN PRIVATE KEY-----\nMIIBVQ==\n-----END PRIVATE KEY-----\n"}};
  expected.matrix = {"example.org", "http://synapse:8008/", "s3cret"};
  expected.account = {false, false, false, false, {}, true, std::chrono::seconds(600), false};
  expected.email = {EmailTransport::Smtp,
                    {"mail.example.org", 587, SmtpMode::StartTls, "bot", "pw"},
                    "Example <auth@example.org>"};
  expected.tokens = {std::chrono::seconds(600), std::chrono::seconds(86400),
                     std::chrono::seconds(120)};
  expected.passwords = {65536, 3, 2, 8};
  expected.rate_limits.login = {{20, std::chrono::seconds(2)}, {0, std::chrono::seconds(600)}};
  expected.log = {LogLevel::Debug, LogFormat::Text};
  expected.branding = {"Example Auth", "https://example.org/tos", "https://example.org/privacy"};
  EXPECT_EQ(*loaded, expected);
}

TEST_F(LoadConfigTest, NamesAMisspelledNestedKeyWithItsLineAndASuggestion) {
  ConfigError error = errorOf("# mxauth\nhttp:\n  listn: 127.0.0.1:9000\n");

  EXPECT_EQ(error.code, ConfigErrorCode::UnknownKey);
  EXPECT_EQ(error.key, "http.listn");
  EXPECT_EQ(error.line, 3);
  EXPECT_EQ(error.toString(),
            file_.string() + ":3: unknown key 'http.listn' (did you mean 'http.listen'?)");
}

TEST_F(LoadConfigTest, NamesAMisspelledTopLevelSection) {
  ConfigError error = errorOf("http:\n  listen: 127.0.0.1:9000\ndatabse:\n  uri: sqlite://x\n");

  EXPECT_EQ(error.code, ConfigErrorCode::UnknownKey);
  EXPECT_EQ(error.key, "databse");
  EXPECT_EQ(error.line, 3);
  EXPECT_NE(error.toString().find("did you mean 'database'?"), std::string::npos);
}

TEST_F(LoadConfigTest, NamesAnUnknownKeyThreeLevelsDeep) {
  ConfigError error = errorOf("email:\n  smtp:\n    host: mail\n    prot: 25\n");

  EXPECT_EQ(error.key, "email.smtp.prot");
  EXPECT_EQ(error.line, 4);
  EXPECT_NE(error.toString().find("'email.smtp.port'"), std::string::npos);
}

TEST_F(LoadConfigTest, GivesNoSuggestionWhenNothingIsClose) {
  ConfigError error = errorOf("frobnicate: 1\n");

  EXPECT_EQ(error.toString(), file_.string() + ":1: unknown key 'frobnicate'");
}

TEST_F(LoadConfigTest, RejectsADottedKeyInsteadOfANestedOne) {
  ConfigError error = errorOf("http.listen: 127.0.0.1:9000\n");

  EXPECT_EQ(error.code, ConfigErrorCode::UnknownKey);
  EXPECT_EQ(error.key, "http.listen");
}

TEST_F(LoadConfigTest, NamesTheKeyWhenTextIsGivenForAnInteger) {
  ConfigError error = errorOf("http:\n  max_connections: \"abc\"\n");

  EXPECT_EQ(error.code, ConfigErrorCode::WrongType);
  EXPECT_EQ(error.key, "http.max_connections");
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.toString(),
            file_.string() + ":2: http.max_connections: expected an integer, got \"abc\"");
}

TEST_F(LoadConfigTest, RejectsAnIntegerOutsideItsRange) {
  ConfigError error = errorOf("email:\n  smtp:\n    port: 70000\n");

  EXPECT_EQ(error.code, ConfigErrorCode::InvalidValue);
  EXPECT_EQ(error.key, "email.smtp.port");
  EXPECT_NE(error.message.find("between 1 and 65535"), std::string::npos);
}

TEST_F(LoadConfigTest, RejectsAnAccessTokenLifetimeOutsideOneMinuteToOneDay) {
  EXPECT_EQ(errorOf("tokens:\n  access_token_ttl: 59\n").key, "tokens.access_token_ttl");
  EXPECT_EQ(errorOf("tokens:\n  access_token_ttl: 86401\n").key, "tokens.access_token_ttl");
}

TEST_F(LoadConfigTest, RejectsRateLimitsOutsideTheirRange) {
  ConfigError negative = errorOf("rate_limits:\n  login:\n    per_ip:\n      burst: -1\n");
  ConfigError instant =
      errorOf("rate_limits:\n  login:\n    per_account:\n      refill_interval: 0\n");
  ConfigError misspelt = errorOf("rate_limits:\n  login:\n    per_ip:\n      brust: 3\n");

  EXPECT_EQ(negative.key, "rate_limits.login.per_ip.burst");
  EXPECT_EQ(negative.line, 4);
  EXPECT_EQ(instant.key, "rate_limits.login.per_account.refill_interval");
  EXPECT_NE(instant.message.find("between 1 and 86400"), std::string::npos);
  EXPECT_EQ(misspelt.code, ConfigErrorCode::UnknownKey);
  EXPECT_NE(misspelt.message.find("rate_limits.login.per_ip.burst"), std::string::npos);
}

TEST_F(LoadConfigTest, RejectsAMappingWhereAStringIsExpected) {
  ConfigError error = errorOf("matrix:\n  homeserver:\n    name: example.org\n");

  EXPECT_EQ(error.code, ConfigErrorCode::WrongType);
  EXPECT_EQ(error.key, "matrix.homeserver");
  EXPECT_NE(error.message.find("got a mapping"), std::string::npos);
}

TEST_F(LoadConfigTest, RejectsAnEmptyValueForAnInteger) {
  ConfigError error = errorOf("http:\n  io_threads:\n");

  EXPECT_EQ(error.code, ConfigErrorCode::WrongType);
  EXPECT_EQ(error.key, "http.io_threads");
  EXPECT_EQ(error.line, 2);
}

TEST_F(LoadConfigTest, RejectsASectionGivenAsAValue) {
  ConfigError error = errorOf("http: 127.0.0.1:8080\n");

  EXPECT_EQ(error.code, ConfigErrorCode::WrongType);
  EXPECT_EQ(error.key, "http");
}

TEST_F(LoadConfigTest, RejectsABooleanThatIsNotOne) {
  ConfigError error = errorOf("account:\n  registration: maybe\n");

  EXPECT_EQ(error.key, "account.registration");
  EXPECT_NE(error.message.find("expected true or false"), std::string::npos);
}

TEST_F(LoadConfigTest, RejectsMalformedListenAddresses) {
  for (const char* listen : {"localhost", "127.0.0.1:65536", "[::1]", "[zz]:80", ":8080",
                             "127.0.0.1:http", "host name:80"}) {
    ConfigError error = errorOf("http:\n  listen: \"" + std::string(listen) + "\"\n");
    EXPECT_EQ(error.key, "http.listen") << listen;
    EXPECT_EQ(error.line, 2) << listen;
  }
}

TEST_F(LoadConfigTest, AcceptsHostPortAndBracketedIpv6Listen) {
  for (const char* listen : {"0.0.0.0:80", "[::]:8080", "localhost:65535", "[::1]:1"}) {
    auto loaded = loadText("http:\n  listen: \"" + std::string(listen) + "\"\n");
    ASSERT_TRUE(loaded) << loaded.error().toString();
    EXPECT_EQ(loaded->http.listen, listen);
  }
}

TEST_F(LoadConfigTest, RejectsPublicBaseThatIsNotAnAbsoluteHttpUrl) {
  for (const char* base :
       {"ftp://example.org/", "example.org", "/relative/", "http://", "http://example.org/?x=1",
        "http://user:pw@example.org/", "http://example.org/#top", "http://exa mple.org/"}) {
    ConfigError error = errorOf("http:\n  public_base: \"" + std::string(base) + "\"\n");
    EXPECT_EQ(error.key, "http.public_base") << base;
    EXPECT_EQ(error.code, ConfigErrorCode::InvalidValue) << base;
  }
}

TEST_F(LoadConfigTest, NormalisesPublicBaseToEndWithASlash) {
  auto loaded = loadText("http:\n  public_base: HTTPS://auth.example.org:8443/mxauth\n");

  ASSERT_TRUE(loaded) << loaded.error().toString();
  EXPECT_EQ(loaded->http.public_base, "https://auth.example.org:8443/mxauth/");
}

TEST_F(LoadConfigTest, RejectsADatabaseUriWithAnUnknownSchemeWithoutEchoingIt) {
  ConfigError error = errorOf("database:\n  uri: mysql://root:hunter2@db/mxauth\n");

  EXPECT_EQ(error.key, "database.uri");
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("sqlite://"), std::string::npos);
  EXPECT_EQ(error.toString().find("hunter2"), std::string::npos);
}

TEST_F(LoadConfigTest, AcceptsBothPostgresSchemes) {
  for (const char* uri : {"postgres://u@h/db", "postgresql:///db?host=/run/postgresql"}) {
    auto loaded = loadText("database:\n  uri: \"" + std::string(uri) + "\"\n");
    ASSERT_TRUE(loaded) << loaded.error().toString();
    EXPECT_EQ(loaded->database.uri, uri);
  }
}

TEST_F(LoadConfigTest, RejectsAnEncryptionKeyThatIsNotSixtyFourHexCharacters) {
  std::string short_key(63, 'a');
  std::string not_hex = std::string(63, 'a') + "g";
  for (const std::string& key : {short_key, not_hex}) {
    ConfigError error = errorOf("secrets:\n  encryption: " + key + "\n");
    EXPECT_EQ(error.key, "secrets.encryption");
    EXPECT_NE(error.message.find("64 hexadecimal"), std::string::npos);
    EXPECT_EQ(error.toString().find(key), std::string::npos) << "the secret was echoed";
  }
}

TEST_F(LoadConfigTest, RejectsInvalidEnumeratedAndStructuredValues) {
  struct Case {
    std::string yaml;
    std::string key;
  };
  for (const Case& c : std::vector<Case>{
           {"email:\n  transport: sendmail\n", "email.transport"},
           {"email:\n  smtp:\n    mode: ssl\n", "email.smtp.mode"},
           {"email:\n  from: \"not a mailbox\"\n", "email.from"},
           {"email:\n  from: \"a@b.c\\r\\nBcc: x@y.z\"\n", "email.from"},
           {"matrix:\n  homeserver: \"exa mple.org\"\n", "matrix.homeserver"},
           {"matrix:\n  homeserver: \"example.org:0\"\n", "matrix.homeserver"},
           {"matrix:\n  endpoint: synapse:8008\n  secret: x\n", "matrix.endpoint"},
           {"log:\n  level: verbose\n", "log.level"},
           {"log:\n  format: xml\n", "log.format"},
           {"branding:\n  tos_uri: \"javascript:alert(1)\"\n", "branding.tos_uri"},
           {"branding:\n  service_name: \"\"\n", "branding.service_name"},
       }) {
    EXPECT_EQ(errorOf(c.yaml).key, c.key) << c.yaml;
  }
}

TEST_F(LoadConfigTest, NamesTheListItemThatIsNotACidr) {
  ConfigError error = errorOf("http:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n");

  EXPECT_EQ(error.key, "http.trusted_proxies[1]");
  EXPECT_NE(error.message.find("10.0.0.0/33"), std::string::npos);
}

TEST_F(LoadConfigTest, LoadsInlineKeysWithAndWithoutKid) {
  auto loaded = loadText(R"(secrets:
  keys:
    - key: |
        -----BEGIN EC PRIVATE KEY-----
        AAAA
        -----END EC PRIVATE KEY-----
    - kid: second
      key: "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n"
)");

  ASSERT_TRUE(loaded) << loaded.error().toString();
  ASSERT_EQ(loaded->secrets.keys.size(), 2u);
  EXPECT_FALSE(loaded->secrets.keys[0].kid.has_value());
  EXPECT_EQ(loaded->secrets.keys[0].key,
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
  EXPECT_EQ(loaded->secrets.keys[1].kid, "second");
}

TEST_F(LoadConfigTest, NamesAnUnknownKeyInsideAnInlineKeyEntry) {
  ConfigError error = errorOf(
      "secrets:\n  keys:\n    - kid: a\n      kye: \"-----BEGIN X-----\\n-----END X-----\"\n");

  EXPECT_EQ(error.code, ConfigErrorCode::UnknownKey);
  EXPECT_EQ(error.key, "secrets.keys[0].kye");
  EXPECT_EQ(error.line, 4);
  EXPECT_NE(error.toString().find("unknown key 'secrets.keys[0].kye'"), std::string::npos);
}

TEST_F(LoadConfigTest, RejectsAnInlineKeyThatIsNotPem) {
  ConfigError error = errorOf("secrets:\n  keys:\n    - key: notapem\n");

  EXPECT_EQ(error.key, "secrets.keys");
  EXPECT_NE(error.message.find("PEM"), std::string::npos);
}

TEST_F(LoadConfigTest, ReportsTheLineOfAYamlSyntaxError) {
  ConfigError error = errorOf("http:\n  listen: 127.0.0.1:8080\n  public_base: [unclosed\n");

  EXPECT_EQ(error.code, ConfigErrorCode::Syntax);
  ASSERT_TRUE(error.line.has_value());
  EXPECT_GE(*error.line, 3);
  EXPECT_EQ(error.toString().rfind(file_.string() + ":", 0), 0u) << error.toString();
}

TEST_F(LoadConfigTest, ReportsBadIndentationAsASyntaxErrorWithALine) {
  ConfigError error = errorOf("http:\n  listen: a:1\n    public_base: x\n");

  EXPECT_EQ(error.code, ConfigErrorCode::Syntax);
  EXPECT_EQ(error.line, 3);
}

TEST_F(LoadConfigTest, RejectsAFileThatIsNotAMapping) {
  EXPECT_EQ(errorOf("- http\n- database\n").code, ConfigErrorCode::Syntax);
  EXPECT_EQ(errorOf("just text\n").code, ConfigErrorCode::Syntax);
}

TEST_F(LoadConfigTest, RejectsSeveralDocuments) {
  EXPECT_EQ(errorOf("http: {}\n---\nhttp: {}\n").code, ConfigErrorCode::Syntax);
}

TEST_F(LoadConfigTest, RejectsAKeySetTwice) {
  ConfigError error = errorOf("http:\n  listen: a:1\n  listen: b:2\n");

  EXPECT_EQ(error.key, "http.listen");
  EXPECT_EQ(error.line, 3);
}

TEST_F(LoadConfigTest, ReportsAMissingFileByName) {
  auto loaded = loadConfig(dir_.path() / "missing.yaml", Environment());

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ConfigErrorCode::Unreadable);
  EXPECT_EQ(loaded.error().file, (dir_.path() / "missing.yaml").string());
  EXPECT_NE(loaded.error().toString().find("cannot be read"), std::string::npos);
}

TEST_F(LoadConfigTest, ReportsADirectoryGivenAsTheFile) {
  auto loaded = loadConfig(dir_.path(), Environment());

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ConfigErrorCode::Unreadable);
}

TEST_F(LoadConfigTest, PointsACrossKeyErrorAtTheFile) {
  ConfigError error = errorOf("matrix:\n  endpoint: http://synapse:8008/\n");

  EXPECT_EQ(error.code, ConfigErrorCode::Inconsistent);
  EXPECT_EQ(error.key, "matrix.secret");
  EXPECT_EQ(error.toString(),
            file_.string() + ": matrix.secret: must be set when matrix.endpoint is set");
}

TEST_F(LoadConfigTest, SurvivesBinaryGarbage) {
  std::string garbage = "\xff\xfe\x00\x01{[:\t\x7f";
  garbage.push_back('\0');
  auto loaded = loadText(garbage);

  EXPECT_FALSE(loaded.has_value());
}

TEST_F(LoadConfigTest, RejectsAFileThatIsNotUtf8AndGivesTheLine) {
  ConfigError error = errorOf("http:\n  listen: \"\xff\xfe\"\n");

  EXPECT_EQ(error.code, ConfigErrorCode::Syntax);
  EXPECT_EQ(error.line, 2);
  EXPECT_NE(error.message.find("UTF-8"), std::string::npos);
}

TEST(ResolveConfigPathTest, PrefersTheFlag) {
  testing::TempDir dir;
  dir.write("mxauth.yaml", "");

  EXPECT_EQ(resolveConfigPath(std::filesystem::path("/etc/mxauth.yaml"), dir.path()),
            std::filesystem::path("/etc/mxauth.yaml"));
}

TEST(ResolveConfigPathTest, FallsBackToMxauthYamlInTheWorkingDirectory) {
  testing::TempDir dir;
  dir.write("mxauth.yaml", "");

  EXPECT_EQ(resolveConfigPath(std::nullopt, dir.path()), dir.path() / "mxauth.yaml");
}

TEST(ResolveConfigPathTest, GivesNoneWhenThereIsNoFile) {
  testing::TempDir dir;

  EXPECT_EQ(resolveConfigPath(std::nullopt, dir.path()), std::nullopt);
}

TEST_F(LoadConfigTest, RefusesMalformedYamlThatMakesYamlCppLoadAllLoopForEver) {
  // yaml-cpp 0.7's LoadAll never returns on these (found by
  // tests/fuzz/config.cpp; the crasher is in tests/fuzz/crashers/config).
  for (const std::string_view yaml : {"!a,b", ",", "!!NUbhttp,listen"}) {
    const ConfigError error = errorOf(yaml);
    EXPECT_EQ(error.code, ConfigErrorCode::Syntax) << yaml;
  }
}

TEST_F(LoadConfigTest, NamesTheLineWhereASecondDocumentStarts) {
  const ConfigError error = errorOf("http:\n  listen: \"127.0.0.1:1\"\n---\nb: 2\n");
  EXPECT_EQ(error.code, ConfigErrorCode::Syntax);
  EXPECT_EQ(error.line, 4);
  EXPECT_NE(error.message.find("one YAML document"), std::string::npos);
}

TEST_F(LoadConfigTest, LoadsTextAlreadyReadExactlyAsTheSameFile) {
  const std::string yaml = "http:\n  listen: \"127.0.0.1:9090\"\n";
  auto from_file = loadText(yaml);
  auto from_text = loadConfigText(yaml, "given.yaml", Environment());
  ASSERT_TRUE(from_file.has_value());
  ASSERT_TRUE(from_text.has_value());
  EXPECT_EQ(*from_text, *from_file);

  auto error = loadConfigText("http:\n  listn: 1\n", "given.yaml", Environment());
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().key, "http.listn");
  EXPECT_EQ(error.error().file, "given.yaml");
  EXPECT_EQ(error.error().line, 2);
}

}  // namespace
}  // namespace mxauth::config
