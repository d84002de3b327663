// `mxauth doctor` against a running mxauth and the Synapse double; and
// `mxauth user issue-compat-token` in the same deployment.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include "http/testing/test_client.h"
#include "tests/integration/process.h"
#include "tests/synapse_double/synapse_double.h"

namespace mxauth::test {
namespace {

constexpr const char* kSecret = "doctor-shared-secret";

// A port that was free a moment ago, so that public_base can name it before
// mxauth starts.
int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class DoctorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SynapseDoubleOptions options;
    options.server_name = "example.test";
    options.secret = kSecret;
    synapse_ = std::make_unique<SynapseDouble>(options);
    const int port = freePort();
    base_ = "http://127.0.0.1:" + std::to_string(port) + "/";
    env_ = {{"MXAUTH_HTTP__LISTEN", "127.0.0.1:" + std::to_string(port)},
            {"MXAUTH_HTTP__PUBLIC_BASE", base_},
            {"MXAUTH_MATRIX__HOMESERVER", "example.test"},
            {"MXAUTH_MATRIX__ENDPOINT", synapse_->baseUrl()},
            {"MXAUTH_MATRIX__SECRET", kSecret}};
    server_ = std::make_unique<ServeProcess>(dir_.path(), env_);
    ASSERT_TRUE(server_->waitUntilListening()) << server_->out() << server_->err();
    synapse_->setMxauthBase(base_);
  }
  void TearDown() override {
    if (server_) {
      server_->signal(SIGTERM);
      server_->wait();
    }
  }

  CommandResult doctor(EnvVars env, std::vector<std::string> args = {}) {
    args.insert(args.begin(), "doctor");
    return runMxauth(args, env, dir_.path());
  }

  TempDir dir_;
  std::unique_ptr<SynapseDouble> synapse_;
  std::string base_;
  EnvVars env_;
  std::unique_ptr<ServeProcess> server_;
};

TEST_F(DoctorTest, AHealthyDeploymentPassesEveryCheck) {
  CommandResult result = doctor(env_, {"--client-url", synapse_->baseUrl()});

  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out.find("FAIL"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("skip"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ok   the homeserver accepts matrix.secret"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("ok   the legacy login paths reach mxauth"), std::string::npos)
      << result.out;
}

TEST_F(DoctorTest, AWrongSecretFailsAndSaysWhichKeyToFix) {
  EnvVars wrong = env_;
  wrong["MXAUTH_MATRIX__SECRET"] = "not-the-shared-secret";

  CommandResult result = doctor(wrong);

  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("FAIL the homeserver accepts matrix.secret"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("skip the legacy login paths reach mxauth"), std::string::npos);
}

TEST_F(DoctorTest, AProxyThatDoesNotRouteLegacyLoginFails) {
  // The double itself answers /login only by proxying to mxauth; mxauth's
  // own base is not a homeserver, so point the check somewhere that does
  // not route: the double's base with the proxy target unset.
  synapse_->setMxauthBase("http://127.0.0.1:1/");

  CommandResult result = doctor(env_, {"--client-url", synapse_->baseUrl()});

  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.out.find("FAIL the legacy login paths reach mxauth"), std::string::npos)
      << result.out;
}

TEST_F(DoctorTest, APublicBaseThatIsNotServedFails) {
  EnvVars elsewhere = env_;
  elsewhere["MXAUTH_HTTP__PUBLIC_BASE"] = "http://127.0.0.1:" + std::to_string(freePort()) + "/";

  CommandResult result = doctor(elsewhere);

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("FAIL mxauth serves its metadata at http.public_base"),
            std::string::npos)
      << result.out;
}

// `mxauth user issue-compat-token` (docs/setup/synapse.md): an operator's
// token for a bot, on a device the homeserver knows before the command
// returns, with the Synapse admin scope only when asked.
class OperatorTokenTest : public DoctorTest {
 protected:
  // The token's introspection as Synapse asks for it.
  RawResponse introspect(const std::string& token) {
    const std::string body = "token=" + token + "&token_type_hint=access_token";
    return roundTrip(
        server_->port(), "POST", "/oauth2/introspect",
        {"Authorization: Bearer " + std::string(kSecret), "X-MAS-Supports-Device-Id: 1",
         "Content-Type: application/x-www-form-urlencoded",
         "Content-Length: " + std::to_string(body.size())},
        body);
  }
  static std::string field(const std::string& json, const std::string& name) {
    const std::string key = "\"" + name + "\":\"";
    const std::size_t start = json.find(key);
    if (start == std::string::npos) return "";
    return json.substr(start + key.size(), json.find('"', start + key.size()) - start - key.size());
  }
};

TEST_F(OperatorTokenTest, AnAdminTokenWorksAtTheHomeserverAndCarriesTheAdminScope) {
  ASSERT_EQ(runMxauth({"user", "add", "bot"}, env_, dir_.path()).exit_code, 0);

  CommandResult issued =
      runMxauth({"user", "issue-compat-token", "bot", "--device-id", "BOTDEVICE", "--admin"}, env_,
                dir_.path());

  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  EXPECT_NE(issued.out.find(R"("user_id":"@bot:example.test")"), std::string::npos) << issued.out;
  EXPECT_NE(issued.out.find(R"("admin":true)"), std::string::npos) << issued.out;
  const std::string token = field(issued.out, "access_token");
  ASSERT_TRUE(token.starts_with("mct_")) << issued.out;
  EXPECT_TRUE(synapse_->hasDevice("bot", "BOTDEVICE"));
  RawResponse answer = introspect(token);
  EXPECT_EQ(answer.status, 200);
  EXPECT_NE(answer.body.find(R"("active":true)"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find("urn:synapse:admin:*"), std::string::npos) << answer.body;
  EXPECT_NE(answer.body.find(R"("device_id":"BOTDEVICE")"), std::string::npos) << answer.body;
  RawResponse whoami = roundTrip(synapse_->port(), "GET", "/_matrix/client/v3/account/whoami",
                                 {"Authorization: Bearer " + token});
  EXPECT_EQ(whoami.status, 200) << whoami.body;
  EXPECT_NE(whoami.body.find("@bot:example.test"), std::string::npos) << whoami.body;
}

TEST_F(OperatorTokenTest, WithoutTheFlagThereIsNoAdminScopeAndBadRequestsAreRefused) {
  ASSERT_EQ(runMxauth({"user", "add", "bot"}, env_, dir_.path()).exit_code, 0);

  CommandResult plain = runMxauth({"user", "issue-compat-token", "bot"}, env_, dir_.path());

  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const std::string device = field(plain.out, "device_id");
  EXPECT_EQ(device.size(), 10u) << plain.out;
  EXPECT_TRUE(synapse_->hasDevice("bot", device));
  RawResponse answer = introspect(field(plain.out, "access_token"));
  EXPECT_NE(answer.body.find(R"("active":true)"), std::string::npos) << answer.body;
  EXPECT_EQ(answer.body.find("urn:synapse:admin"), std::string::npos) << answer.body;

  CommandResult unknown = runMxauth({"user", "issue-compat-token", "nobody"}, env_, dir_.path());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no user 'nobody'"), std::string::npos) << unknown.err;
  CommandResult bad_device = runMxauth(
      {"user", "issue-compat-token", "bot", "--device-id", "has space"}, env_, dir_.path());
  EXPECT_EQ(bad_device.exit_code, 2) << bad_device.err;
  ASSERT_EQ(runMxauth({"user", "lock", "bot"}, env_, dir_.path()).exit_code, 0);
  EXPECT_EQ(runMxauth({"user", "issue-compat-token", "bot"}, env_, dir_.path()).exit_code, 2);
}

// The durable job queue across a restart (issue of the homeserver contract):
// a device removal that could not reach the homeserver before mxauth
// stopped is done by the next mxauth on the same database.
class JobRestartTest : public DoctorTest {};

TEST_F(JobRestartTest, ADeviceRemovalQueuedBeforeARestartIsDoneAfterIt) {
  ASSERT_EQ(runMxauth({"user", "add", "alice", "--password-stdin"}, env_, dir_.path(),
                      "correct horse battery\n")
                .exit_code,
            0);
  const std::string login =
      R"({"type":"m.login.password","identifier":{"type":"m.id.user","user":"alice"},)"
      R"("password":"correct horse battery","device_id":"RESTARTDEV"})";
  RawResponse logged_in = roundTrip(
      server_->port(), "POST", "/_matrix/client/v3/login",
      {"Content-Type: application/json", "Content-Length: " + std::to_string(login.size())}, login);
  ASSERT_EQ(logged_in.status, 200) << logged_in.body;
  ASSERT_TRUE(synapse_->hasDevice("alice", "RESTARTDEV"));
  const std::string key = "\"access_token\":\"";
  const std::size_t start = logged_in.body.find(key) + key.size();
  const std::string token = logged_in.body.substr(start, logged_in.body.find('"', start) - start);
  constexpr const char* kSync = "/_synapse/mas/sync_devices";
  Fault down;
  down.path = kSync;
  down.status = 503;
  synapse_->addFault(down);

  RawResponse logged_out = roundTrip(server_->port(), "POST", "/_matrix/client/v3/logout",
                                     {"Authorization: Bearer " + token, "Content-Length: 0"});
  ASSERT_EQ(logged_out.status, 200) << logged_out.body;
  ASSERT_TRUE(synapse_->waitForCalls(kSync, 1, std::chrono::seconds(10)));
  server_->signal(SIGTERM);
  ASSERT_EQ(server_->wait(), 0);
  EXPECT_TRUE(synapse_->hasDevice("alice", "RESTARTDEV"));  // the removal failed

  synapse_->clearFaults();
  server_ = std::make_unique<ServeProcess>(dir_.path(), env_);
  ASSERT_TRUE(server_->waitUntilListening()) << server_->err();

  EXPECT_TRUE(synapse_->waitUntil([&] { return !synapse_->hasDevice("alice", "RESTARTDEV"); },
                                  std::chrono::seconds(30)))
      << server_->err();
}

}  // namespace
}  // namespace mxauth::test
