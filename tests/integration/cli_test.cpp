// The management commands of interface.md §2, run as an operator would.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "storage/testing/test_database.h"
#include "tests/integration/process.h"

namespace mxauth::test {
namespace {

class Cli : public ::testing::Test {
 protected:
  CommandResult mxauth(const std::vector<std::string>& args, const std::string& in = {}) {
    return runMxauth(args, env_, dir_.path(), in);
  }
  TempDir dir_;
  EnvVars env_;
};

TEST_F(Cli, ConfigCheckOnAMisspelledKeyExitsOneNamingTheKeyAndLine) {
  std::ofstream(dir_.path() / "mxauth.yaml")
      << "http:\n  listen: 127.0.0.1:8080\n  listn: 127.0.0.1:9\n";

  auto result = mxauth({"config", "check"});

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("http.listn"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(":3"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("http.listen"), std::string::npos) << "no suggestion: " << result.err;
}

TEST_F(Cli, ConfigCheckAcceptsTheDefaultsAndAnExplicitFile) {
  EXPECT_EQ(mxauth({"config", "check"}).exit_code, 0);
  std::ofstream(dir_.path() / "other.yaml") << "tokens:\n  access_token_ttl: 120\n";
  EXPECT_EQ(mxauth({"--config", "other.yaml", "config", "check"}).exit_code, 0);
}

TEST_F(Cli, ConfigCheckNamesTheEnvironmentVariableThatIsWrong) {
  env_["MXAUTH_HTTP__MAX_CONNECTIONS"] = "lots";
  auto result = mxauth({"config", "check"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("MXAUTH_HTTP__MAX_CONNECTIONS"), std::string::npos) << result.err;
}

TEST_F(Cli, ConfigGenerateWritesAConfigWithFreshSecretsThatPassesCheck) {
  auto first = mxauth({"config", "generate"});
  auto second = mxauth({"config", "generate"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out, second.out) << "secrets must be fresh each time";
  EXPECT_NE(first.out.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(first.out.find("encryption:"), std::string::npos);
  std::ofstream(dir_.path() / "generated.yaml") << first.out;

  auto check = mxauth({"--config", "generated.yaml", "config", "check"});

  EXPECT_EQ(check.exit_code, 0) << check.err;
}

TEST_F(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(mxauth({}).exit_code, 2);
  EXPECT_EQ(mxauth({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(mxauth({"user", "add"}).exit_code, 2);
  EXPECT_EQ(mxauth({"serve", "--no-such-flag"}).exit_code, 2);
}

TEST_F(Cli, DbMigrateAppliesOnceThenReportsUpToDate) {
  auto first = mxauth({"db", "migrate"});
  auto second = mxauth({"db", "migrate"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("applied"), std::string::npos) << first.out;
  EXPECT_EQ(second.exit_code, 0);
  EXPECT_NE(second.out.find("up to date"), std::string::npos) << second.out;
}

TEST_F(Cli, DbCleanupPrintsWhatItDeletedPerTable) {
  auto cleaned = mxauth({"db", "cleanup"});
  EXPECT_EQ(cleaned.exit_code, 0) << cleaned.err;
  EXPECT_NE(cleaned.out.find(R"("oauth_access_tokens":0,)"), std::string::npos) << cleaned.out;
  EXPECT_NE(cleaned.out.find(R"("total":0})"), std::string::npos) << cleaned.out;
}

TEST_F(Cli, UserLifecycleAddLockUnlockDeactivateReactivateSetPassword) {
  auto added = mxauth(
      {"user", "add", "Alice", "--password-stdin", "--email", "alice@example.org", "--admin"},
      "correct horse battery staple\n");
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find(R"("user_id":"@alice:localhost")"), std::string::npos) << added.out;
  EXPECT_NE(added.out.find(R"("admin":true)"), std::string::npos);

  auto again = mxauth({"user", "add", "ALICE"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;

  auto locked = mxauth({"user", "lock", "alice"});
  EXPECT_EQ(locked.exit_code, 0);
  EXPECT_NE(locked.out.find(R"("locked":true)"), std::string::npos);
  EXPECT_NE(mxauth({"user", "unlock", "alice"}).out.find(R"("locked":false)"), std::string::npos);
  EXPECT_NE(mxauth({"user", "deactivate", "alice"}).out.find(R"("deactivated":true)"),
            std::string::npos);
  EXPECT_NE(mxauth({"user", "reactivate", "alice"}).out.find(R"("deactivated":false)"),
            std::string::npos);
  EXPECT_EQ(
      mxauth({"user", "set-password", "alice", "--password-stdin"}, "another one\n").exit_code, 0);
}

TEST_F(Cli, UserCommandsRefuseBadNamesUnknownUsersAndEmptyPasswords) {
  auto bad_name = mxauth({"user", "add", "al ice"});
  EXPECT_EQ(bad_name.exit_code, 1);
  EXPECT_NE(bad_name.err.find("invalid user name"), std::string::npos) << bad_name.err;

  auto unknown = mxauth({"user", "lock", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no user 'nobody'"), std::string::npos) << unknown.err;

  auto empty = mxauth({"user", "add", "bob", "--password-stdin"}, "\n");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("password"), std::string::npos) << empty.err;

  auto bad_email = mxauth({"user", "add", "carol", "--email", "not-an-address"});
  EXPECT_EQ(bad_email.exit_code, 1);
  EXPECT_NE(bad_email.err.find("e-mail"), std::string::npos) << bad_email.err;
}

TEST_F(Cli, StoresPasswordsOnlyAsArgon2idHashes) {
  ASSERT_EQ(mxauth({"user", "add", "dave", "--password-stdin"}, "plain-text-secret-42\n").exit_code,
            0);

  std::ifstream db(dir_.path() / "data/mxauth.db", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  std::ifstream wal(dir_.path() / "data/mxauth.db-wal", std::ios::binary);
  bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());

  EXPECT_EQ(bytes.find("plain-text-secret-42"), std::string::npos);
  EXPECT_NE(bytes.find("$argon2id$v=19$m=19456,t=2,p=1$"), std::string::npos);
}

TEST_F(Cli, RegistrationTokensAreShownOnceListedByIdAndRevokedByTokenOrId) {
  auto added = mxauth({"registration-token", "add", "--uses", "3", "--expires-in", "3600"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto field = [](const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    const std::size_t at = json.find(key);
    if (at == std::string::npos) return std::string();
    const std::size_t start = at + key.size();
    return json.substr(start, json.find('"', start) - start);
  };
  const std::string token = field(added.out, "token");
  const std::string id = field(added.out, "id");
  ASSERT_EQ(token.size(), 24u) << added.out;
  EXPECT_NE(added.out.find(R"("uses_allowed":3)"), std::string::npos) << added.out;
  auto unlimited = mxauth({"registration-token", "add"});
  ASSERT_EQ(unlimited.exit_code, 0) << unlimited.err;
  EXPECT_NE(unlimited.out.find(R"("uses_allowed":null)"), std::string::npos);

  auto listed = mxauth({"registration-token", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(id), std::string::npos);
  EXPECT_EQ(listed.out.find(token), std::string::npos) << "the token itself is never shown again";
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 2);

  auto revoked = mxauth({"registration-token", "revoke", token});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_NE(revoked.out.find(R"("valid":false)"), std::string::npos) << revoked.out;
  const std::string other_id = field(unlimited.out, "id");
  EXPECT_EQ(mxauth({"registration-token", "revoke", other_id}).exit_code, 0);
  auto unknown = mxauth({"registration-token", "revoke", "no-such-token"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no such registration token"), std::string::npos);
  EXPECT_EQ(mxauth({"registration-token", "add", "--uses", "0"}).exit_code, 2);
}

TEST(CliPostgres, MigratesAndManagesUsersOnPostgresql) {
  auto database = TestDatabase::create(Backend::Postgres);
  if (!database) {
    if (postgresRequired()) FAIL() << database.error();
    GTEST_SKIP() << database.error();
  }
  TempDir dir;
  EnvVars env{{"MXAUTH_DATABASE__URI", (*database)->location()}};

  auto migrate = runMxauth({"db", "migrate"}, env, dir.path());
  auto add = runMxauth({"user", "add", "erin", "--password-stdin"}, env, dir.path(), "pw-erin\n");
  auto duplicate = runMxauth({"user", "add", "Erin"}, env, dir.path());

  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(duplicate.exit_code, 1);
}

}  // namespace
}  // namespace mxauth::test
