// Signing-key rotation against the assembled binary: `mxauth keys rotate`
// while `mxauth serve` runs, and the server's JWKS and ID tokens follow
// without a restart (docs/operations.md, "Signing keys and their rotation").

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "core/encoding.h"
#include "http/headers.h"
#include "http/testing/test_client.h"
#include "http/url_encoding.h"
#include "tests/integration/process.h"

namespace mxauth::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// RFC 7636 Appendix B.
constexpr const char* kRotationVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRotationChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
constexpr const char* kRotationRedirect = "http://127.0.0.1/cb";
constexpr const char* kRotationPassword = "a long enough passphrase";

// A client of one server that keeps its cookies, as a browser would.
class CookieClient {
 public:
  explicit CookieClient(std::uint16_t port) : port_(port) {}

  RawResponse send(std::string_view method, const std::string& target,
                   std::vector<std::string> headers = {}, const std::string& body = {}) {
    std::string cookie;
    for (const auto& [name, value] : cookies_) {
      cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
    }
    if (!cookie.empty()) headers.push_back("Cookie: " + cookie);
    RawResponse response = roundTrip(port_, method, target, headers, body);
    for (const auto& [name, value] : response.headers) {
      if (!http::equalsIgnoreCase(name, "Set-Cookie")) continue;
      const std::string pair = value.substr(0, value.find(';'));
      const std::size_t equals = pair.find('=');
      cookies_[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    return response;
  }

  RawResponse postForm(const std::string& target, const std::string& form) {
    return send("POST", target, {"Content-Type: application/x-www-form-urlencoded"}, form);
  }

 private:
  std::uint16_t port_;
  std::map<std::string, std::string> cookies_;
};

std::string csrfTokenOf(const std::string& html) {
  std::smatch token;
  if (!std::regex_search(html, token, std::regex(R"re(name="csrf" value="([^"]+)")re"))) return {};
  return token[1].str();
}

// The path and query of an absolute or relative Location.
std::string pathOf(const std::string& location) {
  const std::size_t scheme = location.find("://");
  if (scheme == std::string::npos) return location;
  return location.substr(location.find('/', scheme + 3));
}

std::string stringMember(const std::string& json, std::string_view name) {
  boost::json::error_code error;
  boost::json::value value = boost::json::parse(json, error);
  if (error || !value.is_object()) return {};
  const boost::json::value* member = value.get_object().if_contains(name);
  return member && member->is_string() ? std::string(member->get_string()) : std::string();
}

// The kid in a JWS's protected header.
std::string kidOf(const std::string& jws) {
  auto header = core::base64UrlDecode(jws.substr(0, jws.find('.')));
  if (!header) return {};
  return stringMember(*header, "kid");
}

std::set<std::string> jwksKids(std::uint16_t port) {
  RawResponse jwks = roundTrip(port, "GET", "/oauth2/keys.json");
  std::set<std::string> kids;
  boost::json::error_code error;
  boost::json::value value = boost::json::parse(jwks.body, error);
  if (error) return kids;
  for (const auto& key : value.at("keys").as_array()) {
    kids.insert(std::string(key.at("kid").as_string()));
  }
  return kids;
}

// Polls `condition` until it holds or `deadline` passes.
template <class Condition>
bool eventually(Condition condition, milliseconds deadline = seconds(20)) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

class KeyRotationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = {{"MXAUTH_MATRIX__HOMESERVER", "example.test"},
            {"MXAUTH_PASSWORDS__ARGON2_MEMORY_KIB", "8192"},
            {"MXAUTH_PASSWORDS__ARGON2_ITERATIONS", "1"},
            {"MXAUTH_SECRETS__KEY_ROTATION__CHECK_INTERVAL", "1"},
            {"MXAUTH_SECRETS__KEY_ROTATION__ACTIVATION_DELAY", "0"}};
    server_ = std::make_unique<ServeProcess>(dir_.path(), env_);
    auto port = server_->waitUntilListening();
    ASSERT_TRUE(port) << server_->err();
    port_ = *port;
    CommandResult user =
        mxauth({"user", "add", "alice", "--password-stdin"}, std::string(kRotationPassword) + "\n");
    ASSERT_EQ(user.exit_code, 0) << user.err;
    RawResponse registered = roundTrip(
        port_, "POST", "/oauth2/registration", {"Content-Type: application/json"},
        R"({"client_uri":"https://app.example.test/","redirect_uris":[")" +
            std::string(kRotationRedirect) +
            R"("],"application_type":"native","token_endpoint_auth_method":"none",)"
            R"("grant_types":["authorization_code","refresh_token"],"response_types":["code"],)"
            R"("id_token_signed_response_alg":"ES256"})");
    ASSERT_EQ(registered.status, 201) << registered.body;
    client_id_ = stringMember(registered.body, "client_id");
  }

  void TearDown() override {
    if (!server_) return;
    server_->signal(SIGTERM);
    EXPECT_EQ(server_->wait(), 0);
  }

  CommandResult mxauth(const std::vector<std::string>& args, const std::string& input = {}) {
    return runMxauth(args, env_, dir_.path(), input);
  }

  // A whole authorization-code flow over HTTP; returns the ID token.
  std::string idToken(CookieClient& browser) {
    RawResponse login_form = browser.send("GET", "/login");
    RawResponse logged_in = browser.postForm(
        "/login", "csrf=" + csrfTokenOf(login_form.body) +
                      "&username=alice&password=" + http::percentEncode(kRotationPassword));
    EXPECT_EQ(logged_in.status, 303) << logged_in.body;
    RawResponse started =
        browser.send("GET", "/authorize?response_type=code&client_id=" + client_id_ +
                                "&redirect_uri=" + http::percentEncode(kRotationRedirect) +
                                "&scope=openid&state=s&code_challenge_method=S256&code_challenge=" +
                                kRotationChallenge);
    const std::string continue_path = pathOf(started.header("Location").value_or(""));
    RawResponse consent = browser.send("GET", continue_path);
    RawResponse allowed =
        browser.postForm(continue_path, "csrf=" + csrfTokenOf(consent.body) + "&action=allow");
    std::smatch code;
    const std::string location = allowed.header("Location").value_or("");
    if (!std::regex_search(location, code, std::regex("[?&]code=([^&]+)"))) {
      ADD_FAILURE() << "no code: " << allowed.status << " " << location << allowed.body;
      return {};
    }
    RawResponse tokens = roundTrip(
        port_, "POST", "/oauth2/token", {"Content-Type: application/x-www-form-urlencoded"},
        "grant_type=authorization_code&code=" + code[1].str() +
            "&redirect_uri=" + http::percentEncode(kRotationRedirect) + "&client_id=" + client_id_ +
            "&code_verifier=" + kRotationVerifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body;
    std::string id_token = stringMember(tokens.body, "id_token");
    EXPECT_FALSE(kidOf(id_token).empty()) << "no kid in the ID token of " << tokens.body;
    return id_token;
  }

  TempDir dir_;
  EnvVars env_;
  std::unique_ptr<ServeProcess> server_;
  std::uint16_t port_ = 0;
  std::string client_id_;
};

TEST_F(KeyRotationTest, ARotationWhileServingPublishesTheNewKeyAndSignsWithIt) {
  CookieClient browser(port_);
  const std::string before = idToken(browser);
  const std::string old_kid = kidOf(before);
  ASSERT_FALSE(old_kid.empty());
  ASSERT_TRUE(jwksKids(port_).contains(old_kid));

  CommandResult rotated = mxauth({"keys", "rotate", "--alg", "ES256"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  std::smatch kid;
  ASSERT_TRUE(std::regex_search(rotated.out, kid, std::regex(R"re("kid":"([^"]+)")re")))
      << rotated.out;
  const std::string new_kid = kid[1].str();

  // No restart: within check_interval the server serves the new key.
  EXPECT_TRUE(eventually([&] { return jwksKids(port_).contains(new_kid); })) << server_->out();
  const std::string after = idToken(browser);
  EXPECT_EQ(kidOf(after), new_kid);
  const std::set<std::string> published = jwksKids(port_);
  EXPECT_TRUE(published.contains(old_kid)) << "the old key keeps verifying for its grace period";
  CommandResult listed = mxauth({"keys", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(R"("kid":")" + new_kid + R"(","alg":"ES256","state":"active")"),
            std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find(R"("kid":")" + old_kid + R"(","alg":"ES256","state":"retiring")"),
            std::string::npos)
      << listed.out;
}

TEST_F(KeyRotationTest, ARetiredKeyLeavesTheJwksOfTheRunningServer) {
  CookieClient browser(port_);
  const std::string old_kid = kidOf(idToken(browser));
  ASSERT_EQ(mxauth({"keys", "rotate", "--alg", "ES256"}).exit_code, 0);

  // "--": a kid is base64url and may begin with '-', which would read as an
  // option (1 run in 64 failed so).
  CommandResult signing_key = mxauth({"keys", "retire", "--", old_kid});
  EXPECT_EQ(signing_key.exit_code, 0) << signing_key.err;

  EXPECT_TRUE(eventually([&] { return !jwksKids(port_).contains(old_kid); }));
  EXPECT_NE(kidOf(idToken(browser)), old_kid);
}

TEST_F(KeyRotationTest, TheSigningKeyCannotBeRetired) {
  CookieClient browser(port_);
  const std::string kid = kidOf(idToken(browser));
  ASSERT_FALSE(kid.empty()) << server_->err();

  CommandResult refused = mxauth({"keys", "retire", "--", kid});

  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("rotate first"), std::string::npos) << refused.err;
  EXPECT_TRUE(jwksKids(port_).contains(kid));
}

}  // namespace
}  // namespace mxauth::test
