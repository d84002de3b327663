// The assembled binary, as an operator runs it: `mxauth serve` with no
// configuration at all, signals, a database that goes away, start-up errors.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "http/headers.h"
#include "http/testing/test_client.h"
#include "storage/testing/test_database.h"
#include "tests/integration/process.h"
#include "tests/integration/tcp_proxy.h"

namespace mxauth::test {
namespace {

int countLines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

// A legacy m.login.password attempt (from `forwarded_for` when not empty).
RawResponse legacyLogin(std::uint16_t port, std::string_view user,
                        std::string_view forwarded_for = {}) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  if (!forwarded_for.empty()) headers.push_back("X-Forwarded-For: " + std::string(forwarded_for));
  return roundTrip(port, "POST", "/_matrix/client/v3/login", headers,
                   R"({"type":"m.login.password","identifier":{"type":"m.id.user","user":")" +
                       std::string(user) + R"("},"password":"not the password"})");
}

// The browser login: GET the form for its CSRF cookie and token, then POST.
RawResponse browserLogin(std::uint16_t port, std::string_view user) {
  RawResponse form = roundTrip(port, "GET", "/login");
  std::string cookie;
  for (const auto& [name, value] : form.headers) {
    if (http::equalsIgnoreCase(name, "Set-Cookie")) cookie = value.substr(0, value.find(';'));
  }
  std::smatch token;
  EXPECT_TRUE(
      std::regex_search(form.body, token, std::regex(R"re(name="csrf" value="([^"]+)")re")));
  return roundTrip(
      port, "POST", "/login",
      {"Content-Type: application/x-www-form-urlencoded", "Cookie: " + cookie},
      "csrf=" + token[1].str() + "&username=" + std::string(user) + "&password=not+the+password");
}

// retry_after_ms of a Matrix 429 body, or -1.
long long retryAfterMs(const RawResponse& response) {
  std::smatch match;
  if (!std::regex_search(response.body, match, std::regex(R"re("retry_after_ms":([0-9]+))re"))) {
    return -1;
  }
  return std::stoll(match[1].str());
}

TEST(Serve, StartsWithNoConfigurationOnSqliteAndCreatesDatabaseAndKeys) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.out() << server.err();

  RawResponse health = roundTrip(*port, "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  EXPECT_EQ(health.header("Cache-Control"), "no-store");

  EXPECT_TRUE(std::filesystem::exists(dir.path() / "data/mxauth.db"));
  int pem_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "data/keys")) {
    if (entry.path().extension() != ".pem") continue;
    ++pem_files;
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
  }
  EXPECT_EQ(pem_files, 3);

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

TEST(Serve, ExposesPrometheusMetricsWithRequestCountsAndPoolGauges) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.err();
  ASSERT_EQ(roundTrip(*port, "GET", "/health").status, 200);

  RawResponse metrics = roundTrip(*port, "GET", "/metrics");

  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                R"(mxauth_http_requests_total{method="GET",route="/health",status="200"} 1)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("mxauth_http_request_duration_seconds_bucket{route=\"/health\""),
            std::string::npos);
  EXPECT_NE(metrics.body.find(R"(mxauth_db_pool_connections{state="max"} 10)"), std::string::npos);
}

TEST(Serve, WritesOneJsonAccessLogLinePerRequest) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port);
  ASSERT_EQ(roundTrip(*port, "GET", "/health", {"X-Request-Id: trace-me-123"}).status, 200);
  server.signal(SIGTERM);
  ASSERT_EQ(server.wait(), 0);

  std::string out = server.out();
  std::regex line(
      R"re(\{"ts":"[^"]+","level":"info","msg":"request","method":"GET","route":"/health".*"status":200,"duration_ms":[0-9.]+,"request_id":"trace-me-123")re");
  EXPECT_TRUE(std::regex_search(out, line)) << out;
}

TEST(Serve, AnswersMalformedHttpWith400AndKeepsServing) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port);

  TestConnection garbage(*port);
  garbage.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n");
  auto answer = garbage.readResponse();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_TRUE(garbage.waitForClose());

  TestConnection oversized(*port);
  oversized.send(rawRequest("POST", "/health", {"Content-Length: 2000000"}));
  auto too_large = oversized.readResponse();
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);

  EXPECT_EQ(roundTrip(*port, "GET", "/health").status, 200);
}

// Done-when of the foundation issue: SIGTERM during a stream of requests
// exits 0 and no request is cut off mid-response.
TEST(Serve, SigtermDuringAStreamOfRequestsExitsZeroWithoutCuttingAResponse) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port);

  constexpr int kClients = 4;
  std::atomic<int> completed{0};
  std::atomic<int> truncated{0};
  std::atomic<bool> refused{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      while (!refused) {
        std::optional<TestConnection> connection;
        try {
          connection.emplace(*port);
        } catch (const std::exception&) {
          refused = true;  // the listener is gone: the server stopped accepting
          return;
        }
        // Keep-alive: several requests per connection until the server closes it.
        for (;;) {
          if (!connection->send(rawRequest("GET", "/health"))) break;
          auto response = connection->readResponse(std::chrono::seconds(10));
          if (!response) {
            // Closed between responses is fine; bytes of a response that
            // never completed are a cut-off response.
            if (!connection->pending().empty()) ++truncated;
            break;
          }
          if (response->status != 200 || response->body != R"({"status":"ok"})") ++truncated;
          ++completed;
          if (response->header("Connection") == "close") break;
        }
      }
    });
  }
  // Let the stream get going, then signal in the middle of it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (completed < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_GE(completed.load(), 200);
  server.signal(SIGTERM);
  auto code = server.wait();
  refused = true;
  for (auto& c : clients) c.join();

  EXPECT_EQ(code, 0) << server.err();
  EXPECT_EQ(truncated.load(), 0);
  EXPECT_NE(server.out().find(R"("msg":"stopped")"), std::string::npos);
}

TEST(Serve, SendsStrictTransportSecurityOnlyWhenThePublicBaseIsHttps) {
  TempDir plain_dir;
  ServeProcess plain(plain_dir.path(), {});
  auto plain_port = plain.waitUntilListening();
  ASSERT_TRUE(plain_port);
  EXPECT_FALSE(roundTrip(*plain_port, "GET", "/health").header("Strict-Transport-Security"));

  TempDir tls_dir;
  ServeProcess behind_tls(tls_dir.path(),
                          {{"MXAUTH_HTTP__PUBLIC_BASE", "https://auth.example.org/"}});
  auto tls_port = behind_tls.waitUntilListening();
  ASSERT_TRUE(tls_port) << behind_tls.err();
  EXPECT_EQ(roundTrip(*tls_port, "GET", "/health").header("Strict-Transport-Security"),
            "max-age=31536000");
}

// Checklist G.45 and I.57 against the binary: past the per-address burst
// the legacy API answers 429 M_LIMIT_EXCEEDED, the login page shares the
// same limit, and the metric counts the refusals.
TEST(Serve, LoginsPastTheAddressLimitAre429OnBothDoorsAndCounted) {
  TempDir dir;
  ServeProcess server(dir.path(), {{"MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST", "3"},
                                   {"MXAUTH_RATE_LIMITS__LOGIN__PER_IP__REFILL_INTERVAL", "3600"},
                                   {"MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__BURST", "0"}});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.err();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(legacyLogin(*port, "nobody").status, 403);

  RawResponse limited = legacyLogin(*port, "someone-else");
  RawResponse page = browserLogin(*port, "nobody");

  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(limited.body.find(R"("errcode":"M_LIMIT_EXCEEDED")"), std::string::npos)
      << limited.body;
  EXPECT_GT(retryAfterMs(limited), 3590000);
  EXPECT_LE(retryAfterMs(limited), 3600000);
  EXPECT_EQ(limited.header("Retry-After"), "3600");
  EXPECT_EQ(page.status, 429) << page.body;
  EXPECT_NE(page.body.find("Too many sign-in attempts"), std::string::npos);
  EXPECT_TRUE(page.header("Retry-After").has_value());
  RawResponse metrics = roundTrip(*port, "GET", "/metrics");
  EXPECT_NE(metrics.body.find(R"(mxauth_rate_limited_total{limiter="login_ip"} 2)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(mxauth_rate_limited_total{limiter="login_account"} 0)"),
            std::string::npos);
}

// Checklist J.59: X-Forwarded-For counts only from a trusted proxy. Behind
// one, each forwarded client has its own limit; without one, rotating the
// header does not escape the limit.
TEST(Serve, ForwardedClientsAreLimitedSeparatelyOnlyBehindATrustedProxy) {
  const EnvVars limits{{"MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST", "1"},
                       {"MXAUTH_RATE_LIMITS__LOGIN__PER_IP__REFILL_INTERVAL", "3600"},
                       {"MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__BURST", "0"}};
  TempDir proxied_dir;
  EnvVars proxied_env = limits;
  proxied_env["MXAUTH_HTTP__TRUSTED_PROXIES"] = "127.0.0.1";
  ServeProcess proxied(proxied_dir.path(), proxied_env);
  TempDir direct_dir;
  ServeProcess direct(direct_dir.path(), limits);
  auto proxied_port = proxied.waitUntilListening();
  auto direct_port = direct.waitUntilListening();
  ASSERT_TRUE(proxied_port) << proxied.err();
  ASSERT_TRUE(direct_port) << direct.err();

  EXPECT_EQ(legacyLogin(*proxied_port, "nobody", "198.51.100.1").status, 403);
  EXPECT_EQ(legacyLogin(*proxied_port, "nobody", "198.51.100.1").status, 429);
  EXPECT_EQ(legacyLogin(*proxied_port, "nobody", "203.0.113.5, 198.51.100.2").status, 403);
  EXPECT_EQ(legacyLogin(*proxied_port, "nobody", "198.51.100.2").status, 429);

  EXPECT_EQ(legacyLogin(*direct_port, "nobody", "198.51.100.1").status, 403);
  EXPECT_EQ(legacyLogin(*direct_port, "nobody", "198.51.100.2").status, 429);
  EXPECT_EQ(legacyLogin(*direct_port, "nobody", "198.51.100.3").status, 429);
  direct.signal(SIGTERM);
  ASSERT_EQ(direct.wait(), 0);
  // The operator hears once that a header was ignored.
  const std::string log = direct.out() + direct.err();
  const std::regex warning("http.trusted_proxies is empty");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(log.begin(), log.end(), warning), std::sregex_iterator()),
      1)
      << log;
}

TEST(Serve, RefusesToStartWhenThePortIsTaken) {
  TempDir dir;
  ServeProcess first(dir.path(), {});
  auto port = first.waitUntilListening();
  ASSERT_TRUE(port);
  TempDir other;

  auto result = runMxauth(
      {"serve"}, {{"MXAUTH_HTTP__LISTEN", "127.0.0.1:" + std::to_string(*port)}}, other.path());

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(countLines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("cannot listen"), std::string::npos) << result.err;
}

TEST(Serve, UnreachableDatabaseAtStartGivesOneClearLineAndExitOne) {
  TempDir dir;

  auto result = runMxauth(
      {"serve"}, {{"MXAUTH_DATABASE__URI", "postgresql://mxauth:secret@127.0.0.1:1/mxauth"}},
      dir.path());

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(countLines(result.err), 1) << result.err;
  EXPECT_NE(result.err.find("database"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("secret"), std::string::npos) << "the password leaked: " << result.err;
}

TEST(Serve, NoMigrateRefusesAFreshDatabaseAndNamesTheFix) {
  TempDir dir;

  auto result = runMxauth({"serve", "--no-migrate"}, {}, dir.path());

  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("mxauth db migrate"), std::string::npos) << result.err;
}

// Issue 2, "Bad input": a database that goes away while running gives 503s
// and recovers when it returns.
TEST(ServePostgres, DatabaseThatGoesAwayGives503AndRecoversWhenItReturns) {
  auto database = TestDatabase::create(Backend::Postgres);
  if (!database) {
    if (postgresRequired()) FAIL() << database.error();
    GTEST_SKIP() << database.error();
  }
  // Route the server's connections through a proxy we can cut.
  std::smatch match;
  const std::string& uri = (*database)->location();
  ASSERT_TRUE(std::regex_search(uri, match, std::regex(R"(@127\.0\.0\.1:(\d+)/)"))) << uri;
  TcpProxy proxy("127.0.0.1", static_cast<std::uint16_t>(std::stoi(match[1].str())));
  std::string proxied = std::regex_replace(uri, std::regex(R"(@127\.0\.0\.1:\d+/)"),
                                           "@127.0.0.1:" + std::to_string(proxy.port()) + "/");
  TempDir dir;
  ServeProcess server(
      dir.path(), {{"MXAUTH_DATABASE__URI", proxied}, {"MXAUTH_DATABASE__CONNECT_TIMEOUT", "2"}});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.err();
  ASSERT_EQ(roundTrip(*port, "GET", "/health").status, 200);

  proxy.cut();
  RawResponse down = roundTrip(*port, "GET", "/health");
  EXPECT_EQ(down.status, 503);

  proxy.restore();
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    status = roundTrip(*port, "GET", "/health").status;
    if (status == 200) break;
  }
  EXPECT_EQ(status, 200);
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

// The shared libraries a running server has mapped (/proc/PID/maps).
std::string mappedFiles(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str();
}

TEST(Serve, ASqliteServerNeverLoadsLibpq) {
  TempDir dir;
  ServeProcess server(dir.path(), {});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.err();
  ASSERT_EQ(roundTrip(*port, "GET", "/health").status, 200);
  const std::string maps = mappedFiles(server.pid());
  ASSERT_NE(maps.find("libsqlite3"), std::string::npos) << "the check reads the wrong process";
  EXPECT_EQ(maps.find("libpq.so"), std::string::npos);
  EXPECT_EQ(maps.find("libldap"), std::string::npos);
  EXPECT_EQ(maps.find("libgnutls"), std::string::npos);
}

TEST(ServePostgres, ServesHealthOnPostgresql) {
  auto database = TestDatabase::create(Backend::Postgres);
  if (!database) {
    if (postgresRequired()) FAIL() << database.error();
    GTEST_SKIP() << database.error();
  }
  TempDir dir;
  ServeProcess server(dir.path(), {{"MXAUTH_DATABASE__URI", (*database)->location()}});
  auto port = server.waitUntilListening();
  ASSERT_TRUE(port) << server.err();
  EXPECT_EQ(roundTrip(*port, "GET", "/health").status, 200);
  EXPECT_NE(server.out().find(R"("database":"postgres")"), std::string::npos);
  EXPECT_NE(mappedFiles(server.pid()).find("libpq.so"), std::string::npos)
      << "loaded when PostgreSQL is used";
}

}  // namespace
}  // namespace mxauth::test
