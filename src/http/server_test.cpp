#include "http/server.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/testing/fakes.h"
#include "http/testing/running_server.h"
#include "http/testing/test_client.h"

namespace mxauth::http {
namespace {

using namespace std::chrono_literals;
using test::RawResponse;
using test::RunningServer;
using test::TestConnection;

RouteOptions inlineRoute() { return RouteOptions{.execution = Execution::Inline, .fast_path = {}}; }

// More than a loopback socket's send buffer holds: a write of it is partial.
constexpr std::size_t kBigBody = std::size_t{16} << 20;

// Lets a test hold a blocking handler until it says so.
class Gate {
 public:
  Gate() : opened_(open_.get_future().share()) {}
  // Called by the handler: signals that it is running, then waits.
  void enterAndWait() {
    {
      std::lock_guard lock(mutex_);
      ++entered_;
    }
    entered_cv_.notify_all();
    opened_.wait();
  }
  bool waitUntilEntered(int n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return entered_cv_.wait_for(lock, timeout, [&] { return entered_ >= n; });
  }
  void open() {
    std::call_once(once_, [this] { open_.set_value(); });
  }

 private:
  std::promise<void> open_;
  std::shared_future<void> opened_;
  std::once_flag once_;
  std::mutex mutex_;
  std::condition_variable entered_cv_;
  int entered_ = 0;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add(
        Method::Get, "/inline",
        [this](Request&) {
          io_thread_ = std::this_thread::get_id();
          return Response::json(200, R"({"where":"inline"})");
        },
        inlineRoute());
    router_.add(Method::Get, "/blocking", [this](Request&) {
      worker_thread_ = std::this_thread::get_id();
      return Response::json(200, R"({"where":"pool"})");
    });
    router_.add(
        Method::Get, "/page",
        [](Request&) { return Response::html(200, "<!doctype html><p>hello</p>"); }, inlineRoute());
    router_.add(Method::Post, "/echo",
                [](Request& request) { return Response::text(200, request.body); });
    router_.add(
        Method::Get, "/users/{id}",
        [](Request& request) {
          return Response::text(200, std::string(request.pathParam("id").value_or("")));
        },
        inlineRoute());
    router_.add(Method::Get, "/held", [this](Request&) {
      gate_.enterAndWait();
      return Response::text(200, std::string(1000, 'x'));
    });
    router_.add(Method::Get, "/throws",
                [](Request&) -> Response { throw std::runtime_error("bug in handler"); });
    router_.add(
        Method::Get, "/throws-inline",
        [](Request&) -> Response { throw std::runtime_error("bug in inline handler"); },
        inlineRoute());
    router_.add(
        Method::Get, "/big",
        [](Request&) { return Response::text(200, std::string(kBigBody, 'b')); }, inlineRoute());
    router_.add(
        Method::Get, "/split",
        [](Request&) {
          return Response::text(200, "x").setHeader("X-Injected", "a\r\nSet-Cookie: evil=1");
        },
        inlineRoute());
    router_.add(
        Method::Get, "/cached", [](Request&) { return Response::text(200, "from pool"); },
        RouteOptions{.execution = Execution::Blocking, .fast_path = [](Request& request) {
                       if (request.queryParam("hit"))
                         return std::optional<Response>(Response::text(200, "cache"));
                       return std::optional<Response>();
                     }});
    router_.add(Method::Get, "/metrics", metricsHandler(registry_), inlineRoute());
    router_.add(
        Method::Get, "/whoami",
        [](Request& request) {
          return Response::text(200, request.remote_address + " " + request.peer_address);
        },
        inlineRoute());
  }

  ~ServerTest() override {
    gate_.open();
    server_.reset();
  }

  void start(ServerOptions options = {}, std::size_t pool_threads = 2,
             std::size_t queue_limit = 64) {
    pool_ = std::make_unique<core::WorkerPool>("http-test", pool_threads, queue_limit);
    ServerHooks hooks;
    hooks.access_log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      access_log_.emplace_back(line);
    };
    hooks.error_log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      error_log_.emplace_back(line);
    };
    hooks.metrics = &metrics_;
    hooks.clock = &clock_;
    hooks.rng = &rng_;
    server_ = std::make_unique<RunningServer>(std::move(options), router_, *pool_, hooks);
  }

  std::uint16_t port() const { return server_->port(); }

  RawResponse get(std::string_view target, std::vector<std::string> headers = {}) {
    return test::roundTrip(port(), "GET", target, headers);
  }

  std::vector<std::string> accessLog() {
    std::lock_guard lock(log_mutex_);
    return access_log_;
  }
  std::vector<std::string> errorLog() {
    std::lock_guard lock(log_mutex_);
    return error_log_;
  }

  Router router_;
  prometheus::Registry registry_;
  Metrics metrics_{registry_};
  test::FakeClock clock_{test::at("2026-01-01T00:00:00Z")};
  test::SeededRng rng_{7};
  Gate gate_;
  std::thread::id io_thread_;
  std::thread::id worker_thread_;
  std::mutex log_mutex_;
  std::vector<std::string> access_log_;
  std::vector<std::string> error_log_;
  std::unique_ptr<core::WorkerPool> pool_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServerTest, InlineAndBlockingRoutesRunOnDifferentThreads) {
  start();

  RawResponse inline_answer = get("/inline");
  RawResponse pool_answer = get("/blocking");

  EXPECT_EQ(inline_answer.status, 200);
  EXPECT_EQ(inline_answer.body, R"({"where":"inline"})");
  EXPECT_EQ(pool_answer.status, 200);
  EXPECT_EQ(pool_answer.body, R"({"where":"pool"})");
  EXPECT_NE(io_thread_, worker_thread_);
  EXPECT_NE(worker_thread_, std::thread::id());
}

TEST_F(ServerTest, PassesPathParametersAndBodies) {
  start();

  RawResponse user = get("/users/alice%20b");
  RawResponse echo = test::roundTrip(port(), "POST", "/echo", {}, "hello body");

  EXPECT_EQ(user.body, "alice b");
  EXPECT_EQ(echo.body, "hello body");
}

TEST_F(ServerTest, KeepsTheConnectionOpenForSeveralRequests) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  auto first = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/blocking")));
  auto second = connection.readResponse();

  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, R"({"where":"pool"})");
  EXPECT_EQ(server_->server().openConnections(), 1u);
}

// A kept-alive connection's request that arrives whole in one read is
// served without a coroutine (Server::Impl::serveAtOnce); every kind of
// answer must come out as on the general path.
TEST_F(ServerTest, AKeptAliveConnectionServesEveryKindOfRequestThatArrivesWhole) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  auto first = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("POST", "/echo", {}, "a body")));
  auto echoed = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/cached?hit=1")));
  auto fast = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/cached")));
  auto missed = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/users/7", {"User-Agent: lane-agent/2"})));
  auto user = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/nowhere")));
  auto not_found = connection.readResponse();
  ASSERT_TRUE(connection.send("BREW /inline HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto unknown = connection.readResponse();

  ASSERT_TRUE(first && echoed && fast && missed && user && not_found && unknown);
  EXPECT_EQ(echoed->body, "a body");
  EXPECT_EQ(fast->body, "cache");
  EXPECT_EQ(missed->body, "from pool");  // the fast path declined: the pool ran it
  EXPECT_EQ(user->body, "7");
  EXPECT_EQ(user->header("Cache-Control"), std::nullopt);  // text, not JSON
  EXPECT_EQ(user->header("Server"), "mxauth");
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(unknown->status, 405);
  EXPECT_TRUE(connection.waitForClose());

  RunningServer::eventually([&] { return accessLog().size() == 7; });
  const std::vector<std::string> lines = accessLog();
  ASSERT_EQ(lines.size(), 7u);
  const boost::json::object user_line = boost::json::parse(lines[4]).as_object();
  EXPECT_EQ(user_line.at("method").as_string(), "GET");
  EXPECT_EQ(user_line.at("path").as_string(), "/users/7");
  EXPECT_EQ(user_line.at("route").as_string(), "/users/{id}");
  EXPECT_EQ(user_line.at("ua").as_string(), "lane-agent/2");
  const boost::json::object missed_line = boost::json::parse(lines[3]).as_object();
  EXPECT_EQ(missed_line.at("route").as_string(), "/cached");
  EXPECT_EQ(boost::json::parse(lines[6]).as_object().at("method").as_string(), "BREW");
}

// The answer does not fit the socket's send buffer: the rest is written as
// the client reads, and the connection then serves its next request.
TEST_F(ServerTest, AnAnswerLargerThanTheSendBufferArrivesWholeAndTheConnectionGoesOn) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  auto first = connection.readResponse();
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/big")));
  auto big = connection.readResponse(30s);
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/users/3")));
  auto after = connection.readResponse();

  ASSERT_TRUE(first && big && after);
  EXPECT_EQ(big->status, 200);
  EXPECT_EQ(big->body.size(), kBigBody);
  EXPECT_EQ(big->body.find_first_not_of('b'), std::string::npos);
  EXPECT_EQ(after->body, "3");
}

// A request whose body comes after its head, in a later read, is read on
// as usual.
TEST_F(ServerTest, AKeptAliveRequestSplitAcrossReadsIsServed) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  auto first = connection.readResponse();
  ASSERT_TRUE(
      connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nfirst "));
  ASSERT_TRUE(connection.send("half"));
  auto echoed = connection.readResponse();

  ASSERT_TRUE(first && echoed);
  EXPECT_EQ(echoed->body, "first half");
}

TEST_F(ServerTest, AnswersPipelinedRequestsInOrder) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/users/1") +
                              test::rawRequest("GET", "/blocking") +
                              test::rawRequest("GET", "/users/3")));
  auto a = connection.readResponse();
  auto b = connection.readResponse();
  auto c = connection.readResponse();

  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->body, "1");
  EXPECT_EQ(b->body, R"({"where":"pool"})");
  EXPECT_EQ(c->body, "3");
}

TEST_F(ServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  start();
  TestConnection closing(port());
  TestConnection keeping(port());

  ASSERT_TRUE(closing.send("GET /inline HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(keeping.send("GET /inline HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto closed_answer = closing.readResponse();
  auto kept_answer = keeping.readResponse();

  ASSERT_TRUE(closed_answer && kept_answer);
  EXPECT_EQ(closed_answer->status, 200);
  EXPECT_TRUE(closing.waitForClose());
  EXPECT_EQ(kept_answer->header("Connection"), "keep-alive");
  ASSERT_TRUE(keeping.send("GET /inline HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(keeping.readResponse());
}

TEST_F(ServerTest, HeadAnswersLikeGetWithoutTheBody) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("HEAD", "/inline")));
  auto head = connection.readResponse(5s, true);
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  auto after = connection.readResponse();

  ASSERT_TRUE(head && after);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "18");
  EXPECT_EQ(after->body, R"({"where":"inline"})");  // no stray HEAD body before it
}

TEST_F(ServerTest, WrongMethodGets405WithAllow) {
  start();

  RawResponse response = test::roundTrip(port(), "DELETE", "/inline");

  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.header("Allow"), "GET, HEAD");
}

TEST_F(ServerTest, UnknownPathGetsTheNotFoundHandler) {
  start();

  RawResponse response = get("/nowhere");

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"error":"not_found"})");
  EXPECT_EQ(response.header("Content-Type"), "application/json");
}

TEST_F(ServerTest, UnknownMethodGets405WithAllowAndTheConnectionCloses) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send("BREW /inline HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("Allow"), "GET, HEAD");
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, UnknownMethodOnAnUnknownPathGets404AndLowerCaseIsUnknown) {
  start();
  TestConnection trace(port());
  TestConnection lower(port());

  ASSERT_TRUE(trace.send("TRACE /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(lower.send("get /inline HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto not_found = trace.readResponse();
  auto not_allowed = lower.readResponse();

  ASSERT_TRUE(not_found && not_allowed);
  EXPECT_EQ(not_found->status, 404);
  EXPECT_EQ(not_allowed->status, 405);
}

TEST_F(ServerTest, TargetsThatDoNotDecodeGet400) {
  start();

  EXPECT_EQ(get("/users/%ff").status, 400);
  EXPECT_EQ(get("/users/a%00b").status, 400);
  EXPECT_EQ(get("/inline?x=%zz").status, 400);
}

TEST_F(ServerTest, BodyOverTheLimitGets413AndTheConnectionCloses) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(test::rawRequest("POST", "/echo", {"Content-Length: 5000"}) +
                              std::string(512, 'a')));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, AnOversizedBodyForTheMatrixApiGetsAMatrixError) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  const std::string chunk(800, 'a');

  for (const std::string& request :
       {test::rawRequest("POST", "/_matrix/client/v3/login", {"Content-Length: 5000"}) +
            std::string(512, 'a'),
        test::rawRequest("POST", "/_matrix/client/v3/login", {"Transfer-Encoding: chunked"}) +
            "320\r\n" + chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"}) {
    TestConnection connection(port());
    ASSERT_TRUE(connection.send(request));
    auto response = connection.readResponse();

    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_NE(response->body.find(R"("errcode":"M_TOO_LARGE")"), std::string::npos)
        << request.substr(0, 80) << " -> " << response->body;
  }
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitGets413) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);
  TestConnection connection(port());
  const std::string chunk(800, 'a');

  ASSERT_TRUE(connection.send(test::rawRequest("POST", "/echo", {"Transfer-Encoding: chunked"}) +
                              "320\r\n" + chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, BodyUnderTheLimitIsServed) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  start(options);

  RawResponse response = test::roundTrip(port(), "POST", "/echo", {}, std::string(1024, 'b'));

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 1024u);
}

TEST_F(ServerTest, HeaderOverTheLimitGets431AndTheConnectionCloses) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  TestConnection connection(port());

  ASSERT_TRUE(
      connection.send(test::rawRequest("GET", "/inline", {"X-Big: " + std::string(4000, 'h')})));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, GarbageGets400AndTheConnectionCloses) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n", 17)));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, ConflictingContentLengthsGet400) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, SlowHeaderGets408AndIsDisconnected) {
  ServerOptions options;
  options.header_timeout = 200ms;
  start(options);
  TestConnection connection(port());
  const auto sent = std::chrono::steady_clock::now();

  ASSERT_TRUE(connection.send("GET /inline HTTP/1.1\r\nHost: x\r\nX-Half: "));
  auto response = connection.readResponse(5s);

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 150ms);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, ConnectionThatSendsNothingIsClosedSilently) {
  ServerOptions options;
  options.header_timeout = 200ms;
  start(options);
  TestConnection connection(port());

  EXPECT_TRUE(connection.waitForClose(5s));
  EXPECT_TRUE(connection.pending().empty());
}

TEST_F(ServerTest, BodyThatDoesNotArriveInTimeGets408) {
  ServerOptions options;
  options.body_timeout = 200ms;
  start(options);
  TestConnection connection(port());

  ASSERT_TRUE(
      connection.send(test::rawRequest("POST", "/echo", {"Content-Length: 100"}) + "only part"));
  auto response = connection.readResponse(5s);

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(connection.waitForClose());
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  TestConnection connection(port());
  ASSERT_TRUE(connection.send(test::rawRequest("GET", "/inline")));
  ASSERT_TRUE(connection.readResponse());

  EXPECT_TRUE(connection.waitForClose(5s));
  EXPECT_TRUE(RunningServer::eventually([&] { return server_->server().openConnections() == 0; }));
}

TEST_F(ServerTest, AnswersExpect100Continue) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send(
      test::rawRequest("POST", "/echo", {"Content-Length: 5", "Expect: 100-continue"})));
  ASSERT_TRUE(connection.readUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_TRUE(connection.send("hello"));
  auto response = connection.readResponse();

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(ServerTest, AtTheCapTheOldestIdleKeepAliveConnectionMakesRoomForANewClient) {
  ServerOptions options;
  options.max_connections = 2;
  start(options);
  TestConnection first(port());
  ASSERT_TRUE(first.send(test::rawRequest("GET", "/inline")));
  ASSERT_TRUE(first.readResponse());
  TestConnection second(port());
  ASSERT_TRUE(second.send(test::rawRequest("GET", "/inline")));
  ASSERT_TRUE(second.readResponse());
  ASSERT_EQ(server_->server().openConnections(), 2u);

  TestConnection third(port());
  ASSERT_TRUE(third.send(test::rawRequest("GET", "/inline")));
  auto served = third.readResponse();

  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 200);
  EXPECT_TRUE(first.waitForClose()) << "the connection idle the longest is shed";
  ASSERT_TRUE(second.send(test::rawRequest("GET", "/inline")));
  EXPECT_TRUE(second.readResponse()) << "the younger idle connection is kept";
  EXPECT_TRUE(RunningServer::eventually([&] { return server_->server().openConnections() == 2; }));
  EXPECT_NE(
      test::roundTrip(port(), "GET", "/metrics").body.find("mxauth_http_shed_connections_total 2"),
      std::string::npos);
}

TEST_F(ServerTest, AtTheCapASlowHeadIsShedForAFreshClientAndTheHeadThatWaitedLongestGoesFirst) {
  ServerOptions options;
  options.max_connections = 3;
  options.header_timeout = 60s;
  start(options);
  std::vector<TestConnection> slow;
  for (std::size_t i = 0; i < 3; ++i) {
    slow.emplace_back(port());
    ASSERT_TRUE(slow.back().send("GET /inline HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    ASSERT_TRUE(
        RunningServer::eventually([&] { return server_->server().openConnections() == i + 1; }));
  }

  // The fresh clients stay connected, idle, so that the server stays full.
  std::vector<TestConnection> fresh;
  for (std::size_t i = 0; i < 3; ++i) {
    fresh.emplace_back(port());
    ASSERT_TRUE(fresh.back().send(test::rawRequest("GET", "/inline")));
    auto response = fresh.back().readResponse();
    ASSERT_TRUE(response) << "fresh client " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(slow[i].waitForClose()) << "slow head " << i << " is shed in turn";
    if (i + 1 < 3) {
      ASSERT_TRUE(slow[i + 1].send("a"));  // still trickling: bytes do not make it younger
    }
  }
}

TEST_F(ServerTest, AtTheCapANewcomerGets503WhenEveryConnectionIsBusy) {
  ServerOptions options;
  options.max_connections = 2;
  start(options, 2, 8);
  TestConnection first(port());
  TestConnection second(port());
  ASSERT_TRUE(first.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(second.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(gate_.waitUntilEntered(2));

  TestConnection third(port());
  auto refused = third.readResponse();
  const bool third_closed = third.waitForClose();

  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("Retry-After"), "1");
  EXPECT_TRUE(third_closed);
  EXPECT_EQ(server_->server().openConnections(), 2u);
  gate_.open();
  auto answer = first.readResponse();
  ASSERT_TRUE(answer && second.readResponse());
  EXPECT_EQ(answer->status, 200);

  second.close();
  EXPECT_TRUE(RunningServer::eventually([&] { return server_->server().openConnections() == 1; }));
  EXPECT_EQ(get("/inline").status, 200);
}

TEST_F(ServerTest, HeaderTimeoutRunsFromTheAcceptAndTrickledBytesDoNotExtendIt) {
  ServerOptions options;
  options.header_timeout = 1s;
  start(options);
  TestConnection connection(port());
  const auto connected = std::chrono::steady_clock::now();
  // Silent for most of the timeout, then one byte every 50 ms: each byte
  // arrives well within any per-read timeout, the head never completes.
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(connection.send("GET /inline HTTP/1.1\r\nX-Slow: "));
  std::optional<RawResponse> response;
  while (!response && std::chrono::steady_clock::now() - connected < 5s) {
    if (!connection.send("a")) {
      response = connection.readResponse(1s);
      break;
    }
    response = connection.readResponse(50ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - connected;

  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_GE(elapsed, 900ms);
  EXPECT_LT(elapsed, 1500ms) << "the deadline restarted at the first byte";
}

TEST_F(ServerTest, FullWorkerPoolGets503AtOnce) {
  start({}, 1, 1);
  TestConnection running(port());
  TestConnection queued(port());
  ASSERT_TRUE(running.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(gate_.waitUntilEntered(1));
  ASSERT_TRUE(queued.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(RunningServer::eventually([&] { return pool_->queued() == 1; }));

  RawResponse refused = get("/blocking");
  RawResponse fast = get("/cached?hit=1");
  RawResponse inline_answer = get("/inline");
  gate_.open();

  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, R"({"error":"temporarily_unavailable"})");
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_EQ(fast.body, "cache");
  EXPECT_EQ(inline_answer.status, 200);
  auto first = running.readResponse();
  auto second = queued.readResponse();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
}

// A route sent to a pool of its own (the password routes) is shed when that
// pool is full, while the routes of the server's pool keep being served.
TEST_F(ServerTest, ARouteOnItsOwnPoolIsShedThereWithoutStarvingTheOthers) {
  core::WorkerPool own("own-test", 1, 1);
  router_.add(Method::Get, "/hashing", [this](Request&) {
    gate_.enterAndWait();
    return Response::text(200, "hashed");
  });
  ASSERT_TRUE(router_.setPool(Method::Get, "/hashing", &own));
  EXPECT_FALSE(router_.setPool(Method::Get, "/no-such-route", &own));
  start({}, 1, 1);
  TestConnection running(port());
  TestConnection queued(port());
  ASSERT_TRUE(running.send(test::rawRequest("GET", "/hashing")));
  ASSERT_TRUE(gate_.waitUntilEntered(1));
  ASSERT_TRUE(queued.send(test::rawRequest("GET", "/hashing")));
  ASSERT_TRUE(RunningServer::eventually([&] { return own.queued() == 1; }));

  const auto started = std::chrono::steady_clock::now();
  RawResponse refused = get("/hashing");
  const auto refused_after = std::chrono::steady_clock::now() - started;
  RawResponse other = get("/blocking");
  gate_.open();

  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_LT(refused_after, 1s) << "the excess is refused at once, not after a wait";
  EXPECT_EQ(other.status, 200) << "the server's own pool is untouched";
  EXPECT_EQ(pool_->queued(), 0u);
  auto first = running.readResponse();
  auto second = queued.readResponse();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "hashed");
  EXPECT_EQ(second->body, "hashed");
  own.shutdown();
}

TEST_F(ServerTest, FastPathMissGoesToThePool) {
  start();

  EXPECT_EQ(get("/cached").body, "from pool");
  EXPECT_EQ(get("/cached?hit=1").body, "cache");
}

TEST_F(ServerTest, ThrowingHandlerGets500AndTheServerKeepsServing) {
  start();

  RawResponse blocking = get("/throws");
  RawResponse inline_answer = get("/throws-inline");
  RawResponse after = get("/inline");

  EXPECT_EQ(blocking.status, 500);
  EXPECT_EQ(blocking.body, R"({"error":"server_error"})");
  EXPECT_EQ(inline_answer.status, 500);
  EXPECT_EQ(after.status, 200);
  const std::vector<std::string> errors = errorLog();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("bug in handler"), std::string::npos);
}

TEST_F(ServerTest, HeaderInjectionFromAHandlerBecomes500) {
  start();

  RawResponse response = get("/split");

  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.header("Set-Cookie"), std::nullopt);
}

TEST_F(ServerTest, HtmlGetsSecurityHeadersAndJsonGetsNoStore) {
  start();

  RawResponse page = get("/page");
  RawResponse json = get("/inline");

  EXPECT_NE(page.header("Content-Security-Policy").value_or("").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(page.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(json.header("Cache-Control"), "no-store");
  EXPECT_EQ(json.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(json.header("Server"), "mxauth");
}

TEST_F(ServerTest, RequestIdIsEchoedWhenAcceptableAndGeneratedOtherwise) {
  start();

  RawResponse echoed = get("/inline", {"X-Request-Id: trace-abc-123"});
  RawResponse replaced = get("/inline", {"X-Request-Id: " + std::string(200, 'z')});
  RawResponse fresh1 = get("/inline");
  RawResponse fresh2 = get("/inline");

  EXPECT_EQ(echoed.header("X-Request-Id"), "trace-abc-123");
  EXPECT_NE(replaced.header("X-Request-Id"), std::string(200, 'z'));
  EXPECT_FALSE(fresh1.header("X-Request-Id").value_or("").empty());
  EXPECT_NE(fresh1.header("X-Request-Id"), fresh2.header("X-Request-Id"));
}

TEST_F(ServerTest, WritesOneAccessLogLinePerRequest) {
  start();

  get("/users/42", {"User-Agent: test-agent/1.0 \"q\"", "X-Request-Id: rid-1"});
  RunningServer::eventually([&] { return !accessLog().empty(); });

  const std::vector<std::string> lines = accessLog();
  ASSERT_EQ(lines.size(), 1u);
  const boost::json::value line = boost::json::parse(lines[0]);
  const boost::json::object& fields = line.as_object();
  EXPECT_EQ(fields.at("ts").as_string(), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(fields.at("level").as_string(), "info");
  EXPECT_EQ(fields.at("msg").as_string(), "request");
  EXPECT_EQ(fields.at("method").as_string(), "GET");
  EXPECT_EQ(fields.at("route").as_string(), "/users/{id}");
  EXPECT_EQ(fields.at("path").as_string(), "/users/42");
  EXPECT_EQ(fields.at("status").as_int64(), 200);
  EXPECT_GE(fields.at("duration_ms").to_number<double>(), 0.0);
  EXPECT_EQ(fields.at("request_id").as_string(), "rid-1");
  EXPECT_EQ(fields.at("remote").as_string(), "127.0.0.1");
  EXPECT_EQ(fields.at("bytes").as_int64(), 2);
  EXPECT_EQ(fields.at("ua").as_string(), "test-agent/1.0 \"q\"");
}

TEST_F(ServerTest, ForwardedForFromAPeerThatIsNotATrustedProxyIsIgnored) {
  ServerOptions options;
  options.trusted_proxies = *TrustedProxies::parse({"10.0.0.0/8"});
  start(std::move(options));

  const RawResponse answer = get("/whoami", {"X-Forwarded-For: 203.0.113.9"});

  EXPECT_EQ(answer.body, "127.0.0.1 127.0.0.1");
}

TEST_F(ServerTest, ATrustedProxyNamesTheClientAndTheAccessLogKeepsThePeer) {
  ServerOptions options;
  options.trusted_proxies = *TrustedProxies::parse({"127.0.0.1"});
  start(std::move(options));

  const RawResponse answer =
      get("/whoami", {"X-Forwarded-For: 198.51.100.1", "X-Forwarded-For: 203.0.113.9"});
  ASSERT_TRUE(RunningServer::eventually([&] { return accessLog().size() == 1; }));

  EXPECT_EQ(answer.body, "203.0.113.9 127.0.0.1");
  const boost::json::value line = boost::json::parse(accessLog()[0]);
  EXPECT_EQ(line.at("remote").as_string(), "203.0.113.9");
  EXPECT_EQ(line.at("peer").as_string(), "127.0.0.1");
}

TEST_F(ServerTest, MalformedRequestsAreLoggedToo) {
  start();
  TestConnection connection(port());

  ASSERT_TRUE(connection.send("\x01\x02\r\n\r\n"));
  ASSERT_TRUE(connection.readResponse());

  ASSERT_TRUE(RunningServer::eventually([&] { return accessLog().size() == 1; }));
  const boost::json::value line = boost::json::parse(accessLog()[0]);
  EXPECT_EQ(line.at("status").as_int64(), 400);
  EXPECT_EQ(line.at("route").as_string(), "unmatched");
}

TEST_F(ServerTest, CountsRequestsAndExposesMetrics) {
  start();

  get("/inline");
  get("/inline");
  get("/nowhere");
  RawResponse metrics = get("/metrics");

  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find(
                R"(mxauth_http_requests_total{method="GET",route="/inline",status="200"} 2)"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(
                R"(mxauth_http_requests_total{method="GET",route="unmatched",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics.body.find(R"(mxauth_http_request_duration_seconds_count{route="/inline"} 2)"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("\nmxauth_http_open_connections "), std::string::npos);
  EXPECT_NE(metrics.body.find("\nmxauth_http_overload_rejections_total 0"), std::string::npos);
}

TEST_F(ServerTest, StartFailsClearlyWhenThePortIsTaken) {
  start();
  core::WorkerPool pool("second", 1, 1);
  ServerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port());
  Server second(options, router_, pool);

  auto started = second.start();

  ASSERT_FALSE(started);
  EXPECT_NE(started.error().find("127.0.0.1:" + std::to_string(port())), std::string::npos);
  EXPECT_NE(started.error().find("in use"), std::string::npos) << started.error();
}

TEST_F(ServerTest, ServesOnSeveralIoThreads) {
  ServerOptions options;
  options.io_threads = 2;
  start(options);
  std::vector<std::future<int>> answers;

  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [this] { return get("/blocking").status; }));
  }

  for (auto& answer : answers) EXPECT_EQ(answer.get(), 200);
}

TEST_F(ServerTest, GracefulStopFinishesTheRequestInFlightAndRefusesNewConnections) {
  start();
  TestConnection idle(port());
  ASSERT_TRUE(idle.send(test::rawRequest("GET", "/inline")));
  ASSERT_TRUE(idle.readResponse());
  TestConnection busy(port());
  ASSERT_TRUE(busy.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(gate_.waitUntilEntered(1));

  server_->stop();

  EXPECT_TRUE(idle.waitForClose());
  EXPECT_TRUE(RunningServer::eventually([&] {
    try {
      TestConnection late(port());
      return false;
    } catch (const std::runtime_error&) {
      return true;  // connection refused
    }
  }));
  EXPECT_FALSE(server_->waitUntilStopped(0ms));
  gate_.open();
  auto response = busy.readResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, std::string(1000, 'x'));
  EXPECT_EQ(response->header("Connection"), "close");
  EXPECT_TRUE(busy.waitForClose());
  EXPECT_TRUE(server_->waitUntilStopped(5s));
}

TEST_F(ServerTest, StopWithNothingInFlightReturnsAtOnce) {
  start();

  server_->stop();

  EXPECT_TRUE(server_->waitUntilStopped(5s));
}

TEST_F(ServerTest, StopCutsOffWhatIsLeftAfterTheGracePeriod) {
  ServerOptions options;
  options.shutdown_grace = 200ms;
  start(options);
  TestConnection busy(port());
  ASSERT_TRUE(busy.send(test::rawRequest("GET", "/held")));
  ASSERT_TRUE(gate_.waitUntilEntered(1));

  server_->stop();

  EXPECT_TRUE(server_->waitUntilStopped(5s));
  EXPECT_TRUE(busy.waitForClose());
  EXPECT_TRUE(busy.pending().empty());
  gate_.open();
}

TEST_F(ServerTest, EveryResponseThatStartsDuringAStopIsComplete) {
  ServerOptions options;
  options.io_threads = 2;
  start(options, 4, 256);
  gate_.open();  // /held answers at once here
  constexpr int kClients = 6;
  std::atomic<int> complete{0};
  std::atomic<int> truncated{0};
  std::vector<std::thread> clients;

  for (int c = 0; c < kClients; ++c) {
    // Each client sends requests on keep-alive connections, and opens a new
    // connection whenever one closes, until the server refuses it.
    clients.emplace_back([&] {
      for (;;) {
        std::optional<TestConnection> connection;
        try {
          connection.emplace(port());
        } catch (const std::runtime_error&) {
          return;
        }
        for (;;) {
          if (!connection->send(test::rawRequest("GET", "/held"))) break;
          auto response = connection->readResponse(5s);
          if (!response) {
            // Closed before answering is fine; closed halfway through is not.
            if (!connection->pending().empty()) ++truncated;
            break;
          }
          if (response->status == 200 && response->body == std::string(1000, 'x')) {
            ++complete;
          } else {
            ++truncated;
          }
          if (response->header("Connection") == "close") break;
        }
      }
    });
  }
  ASSERT_TRUE(RunningServer::eventually([&] { return complete >= 200; }, 20s));
  server_->stop();
  const bool stopped = server_->waitUntilStopped(10s);
  for (std::thread& client : clients) client.join();

  EXPECT_TRUE(stopped);
  EXPECT_EQ(truncated, 0);
  EXPECT_GE(complete, 200);
}

TEST(ServerLifecycleTest, SigtermStopsRunUntilSignalGracefully) {
  Router router;
  router.add(
      Method::Get, "/x", [](Request&) { return Response::text(200, "x"); }, inlineRoute());
  core::WorkerPool pool("signal", 1, 1);
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  Server server(options, router, pool);
  ASSERT_TRUE(server.start());
  std::promise<void> returned;
  std::future<void> run_returned = returned.get_future();
  std::thread runner([&] {
    server.runUntilSignal();
    returned.set_value();
  });
  // Once a request is answered, the signal handler is installed.
  EXPECT_EQ(test::roundTrip(server.boundPort(), "GET", "/x").status, 200);

  std::raise(SIGTERM);

  const bool stopped = run_returned.wait_for(5s) == std::future_status::ready;
  if (!stopped) server.stop();
  runner.join();
  EXPECT_TRUE(stopped);
}

TEST(ListenAddressTest, ParsesHostPortAndBracketedIpv6) {
  auto v4 = parseListenAddress("127.0.0.1:8080");
  auto v6 = parseListenAddress("[::1]:0");
  auto name = parseListenAddress("localhost:9000");

  ASSERT_TRUE(v4 && v6 && name);
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
  EXPECT_EQ(name->host, "localhost");
}

TEST(ListenAddressTest, RejectsWhatItCannotParse) {
  EXPECT_FALSE(parseListenAddress("127.0.0.1"));
  EXPECT_FALSE(parseListenAddress(":8080"));
  EXPECT_FALSE(parseListenAddress("127.0.0.1:99999"));
  EXPECT_FALSE(parseListenAddress("127.0.0.1:80x"));
  EXPECT_FALSE(parseListenAddress("::1:8080"));
  EXPECT_FALSE(parseListenAddress("[::1]8080"));
}

TEST(ServerLifecycleTest, ListensOnIpv6Loopback) {
  Router router;
  router.add(Method::Get, "/x", [](Request&) { return Response::text(200, "x"); });
  core::WorkerPool pool("v6", 1, 1);
  ServerOptions options;
  options.listen = "[::1]:0";
  Server server(options, router, pool);

  auto started = server.start();
  if (!started && started.error().find("Cannot assign") != std::string::npos) {
    GTEST_SKIP() << "no IPv6 loopback here: " << started.error();
  }

  ASSERT_TRUE(started) << started.error();
  EXPECT_NE(server.boundPort(), 0);
}

}  // namespace
}  // namespace mxauth::http
