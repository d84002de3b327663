// `mxauth doctor` against a running mxauth and the Synapse double.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <string>

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

}  // namespace
}  // namespace mxauth::test
