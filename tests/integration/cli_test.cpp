// The management commands of interface.md §2, run as an operator would.

#include <gtest/gtest.h>

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
