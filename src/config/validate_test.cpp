#include "config/validate.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/schema.h"

namespace mxauth::config {
namespace {

ConfigError errorOf(const Config& config) {
  auto valid = validateConfig(config);
  EXPECT_FALSE(valid.has_value());
  if (valid) return {};
  return valid.error();
}

TEST(ValidateConfigTest, AcceptsTheDefaults) { EXPECT_TRUE(validateConfig(Config())); }

TEST(ValidateConfigTest, RequiresTheMatrixSecretWhenAnEndpointIsSet) {
  Config config;
  config.matrix.endpoint = "http://synapse:8008/";

  ConfigError error = errorOf(config);

  EXPECT_EQ(error.code, ConfigErrorCode::Inconsistent);
  EXPECT_EQ(error.key, "matrix.secret");
  EXPECT_EQ(error.toString(), "matrix.secret: must be set when matrix.endpoint is set");
}

TEST(ValidateConfigTest, StepUpNeedsAtLeastOneStageAndEachStageOnce) {
  Config none;
  none.account.step_up.stages.clear();
  Config twice;
  twice.account.step_up.stages = {"password", "password"};
  Config unknown;
  unknown.account.step_up.stages = {"password", "sms"};

  EXPECT_EQ(errorOf(none).toString(), "account.step_up.stages: must name at least one stage");
  EXPECT_EQ(errorOf(twice).toString(), "account.step_up.stages: names password more than once");
  EXPECT_EQ(errorOf(unknown).key, "account.step_up.stages");
  EXPECT_TRUE(validateConfig(Config()));
  EXPECT_EQ(Config().account.step_up.stages, std::vector<std::string>{"password"});
  EXPECT_EQ(Config().account.step_up.max_age, std::chrono::seconds(300));
}

TEST(ValidateConfigTest, RequiresAnSmtpHostForTheSmtpTransport) {
  Config config;
  config.email.transport = EmailTransport::Smtp;
  config.email.smtp.host = "";

  EXPECT_EQ(errorOf(config).key, "email.smtp.host");
}

TEST(ValidateConfigTest, MandatoryEmailVerificationNeedsATransportThatDelivers) {
  Config config;
  config.account.email_verification_required = true;
  EXPECT_EQ(errorOf(config).key, "account.email_verification_required");
  config.account.registration = false;
  EXPECT_TRUE(validateConfig(config));
  config.account.registration = true;
  config.email.transport = EmailTransport::Smtp;
  EXPECT_TRUE(validateConfig(config));
}

TEST(ValidateConfigTest, RequiresSmtpUserNameAndPasswordTogether) {
  Config config;
  config.email.smtp.password = "pw";

  EXPECT_EQ(errorOf(config).key, "email.smtp.username");
}

TEST(ValidateConfigTest, RejectsAnAccessTokenLifetimeOutsideOneMinuteToOneDay) {
  Config config;
  config.tokens.access_token_ttl = std::chrono::seconds(59);
  EXPECT_EQ(errorOf(config).key, "tokens.access_token_ttl");

  config.tokens.access_token_ttl = std::chrono::seconds(86401);
  EXPECT_EQ(errorOf(config).key, "tokens.access_token_ttl");
}

TEST(ValidateConfigTest, ChecksSingleValuesOfAConfigBuiltInCode) {
  Config config;
  config.http.listen = "nonsense";
  EXPECT_EQ(errorOf(config).key, "http.listen");

  config = Config();
  config.http.public_base = "http://example.org";  // loadConfig would add the slash
  EXPECT_TRUE(validateConfig(config));

  config.secrets.encryption = "short";
  EXPECT_EQ(errorOf(config).key, "secrets.encryption");
}

TEST(ValidateConfigTest, RejectsTwoInlineKeysWithTheSameKid) {
  Config config;
  std::string pem = "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n";
  config.secrets.keys = {{"a", pem}, {"a", pem}};

  ConfigError error = errorOf(config);

  EXPECT_EQ(error.key, "secrets.keys");
  EXPECT_NE(error.message.find("[1].kid"), std::string::npos);
}

TEST(ValidateConfigTest, RequiresEightKibOfArgon2MemoryPerLane) {
  Config config;
  config.passwords.argon2_parallelism = 4;
  config.passwords.argon2_memory_kib = 31;

  EXPECT_EQ(errorOf(config).key, "passwords.argon2_memory_kib");
}

// docs/configuration.md is the operator reference: it must describe every
// key and give its environment variable.
TEST(ConfigurationDocsTest, DescribesEveryKeyAndItsVariable) {
  std::ifstream in(std::string(MXAUTH_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  std::string docs = text.str();

  for (const schema::Field& field : schema::fields()) {
    EXPECT_NE(docs.find("`" + std::string(field.path) + "`"), std::string::npos) << field.path;
    EXPECT_NE(docs.find(schema::environmentName(field.path)), std::string::npos) << field.path;
  }
}

}  // namespace
}  // namespace mxauth::config
