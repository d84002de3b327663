#include "http/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/worker_pool.h"
#include "http/outbound_connection.h"
#include "http/router.h"
#include "http/testing/running_server.h"

namespace mxauth::http {
namespace {

// A TCP socket bound to a free loopback port, which `address` then holds;
// -1 when the system refuses.
int boundLoopbackSocket(sockaddr_in& address) {
  address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    return fd;
  }
  if (fd >= 0) ::close(fd);
  return -1;
}

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() {
    router_.add(http::Method::Get, "/json", [](http::Request&) {
      http::Response response = http::Response::json(200, R"({"ok":true})");
      response.setHeader("X-Test", "yes");
      return response;
    });
    router_.add(http::Method::Post, "/echo", [](http::Request& request) {
      return http::Response::text(
          201, std::string(http::methodName(request.method)) + " " +
                   std::string(request.header("Content-Type").value_or("-")) + " " +
                   std::string(request.header("Authorization").value_or("-")) + " " + request.body);
    });
    router_.add(http::Method::Get, "/big", [](http::Request&) {
      return http::Response::text(200, std::string(std::size_t{3} << 20, 'x'));
    });
    router_.add(http::Method::Get, "/moved",
                [](http::Request&) { return http::Response::redirect("/json", 302); });
    router_.add(http::Method::Get, "/slow", [this](http::Request&) {
      release_.wait();  // held until the test has seen its timeout
      return http::Response::text(200, "late");
    });
    http::ServerOptions options;
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<test::RunningServer>(options, router_, pool_);
  }

  ~HttpClientTest() override {
    release_promise_.set_value();
    server_.reset();
  }

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }

  http::Router router_;
  core::WorkerPool pool_{"test", 4, 16};
  std::promise<void> release_promise_;
  std::shared_future<void> release_ = release_promise_.get_future().share();
  std::unique_ptr<test::RunningServer> server_;
};

TEST_F(HttpClientTest, GetsStatusHeadersAndBody) {
  HttpClient client;
  auto response = client.send({"GET", url("/json"), {}, ""});

  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->header("x-test"), "yes");
  EXPECT_EQ(response->header("content-type"), "application/json");
}

TEST_F(HttpClientTest, PostsTheBodyWithTheGivenHeaders) {
  HttpClient client;
  auto response =
      client.send({"POST",
                   url("/echo"),
                   {{"Content-Type", "application/json"}, {"Authorization", "Bearer s"}},
                   R"({"a":1})"});

  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"(POST application/json Bearer s {"a":1})");
}

TEST_F(HttpClientTest, SendsAFormTypeByDefaultAndNoHeaderWithAnEmptyValue) {
  HttpClient client;
  auto form = client.send({"POST", url("/echo"), {}, "a=1"});
  auto bare = client.send({"POST", url("/echo"), {{"Content-Type", ""}}, "a=1"});

  ASSERT_TRUE(form.has_value()) << form.error().message;
  EXPECT_EQ(form->body, "POST application/x-www-form-urlencoded - a=1");
  ASSERT_TRUE(bare.has_value()) << bare.error().message;
  EXPECT_EQ(bare->body, "POST - - a=1");
}

TEST_F(HttpClientTest, RefusesHeadersThatWouldChangeTheFraming) {
  HttpClient client;
  for (const OutboundRequest& request :
       {OutboundRequest{"POST", url("/echo"), {{"Content-Length", "1"}}, "a=1"},
        OutboundRequest{"POST", url("/echo"), {{"X-Evil", "a\r\nHost: b"}}, ""},
        OutboundRequest{"GET /x HTTP/1.1\r\n", url("/json"), {}, ""},
        OutboundRequest{"GET", url("/json x"), {}, ""}}) {
    auto response = client.send(request);
    ASSERT_FALSE(response.has_value()) << request.url;
    EXPECT_EQ(response.error().code, TransportErrorCode::Failed) << request.url;
  }
}

TEST_F(HttpClientTest, RefusesAResponseLargerThanTheLimit) {
  HttpClientOptions options;
  options.max_response_bytes = std::size_t{1} << 20;
  HttpClient client(options);

  auto response = client.send({"GET", url("/big"), {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::TooLarge);
}

TEST_F(HttpClientTest, NeverFollowsARedirect) {
  HttpClient client;
  auto response = client.send({"GET", url("/moved"), {}, ""});

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->header("location"), "/json");
}

TEST_F(HttpClientTest, GivesUpAfterTheDeadline) {
  HttpClientOptions options;
  options.total_timeout = std::chrono::milliseconds(300);
  HttpClient client(options);

  const auto started = std::chrono::steady_clock::now();
  auto response = client.send({"GET", url("/slow"), {}, ""});
  const auto waited = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Timeout);
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST(HttpClientConnectTest, AClosedPortIsUnreachable) {
  // A port that was free a moment ago: bind, read it, close.
  sockaddr_in address{};
  const int fd = boundLoopbackSocket(address);
  ASSERT_GE(fd, 0);
  const int port = ntohs(address.sin_port);
  ::close(fd);

  HttpClient client;
  auto response = client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Unreachable);
}

TEST(HttpClientConnectTest, AConnectThatHangsEndsAtTheConnectTimeout) {
  // A listener whose accept queue is full: the kernel drops further SYNs,
  // so a connect() to it hangs until the client gives up.
  sockaddr_in address{};
  const int listener = boundLoopbackSocket(address);
  ASSERT_GE(listener, 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(filler, 0);
    (void)::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers.push_back(filler);
  }
  HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(300);
  options.total_timeout = std::chrono::milliseconds(10000);
  HttpClient client(options);

  const auto started = std::chrono::steady_clock::now();
  auto response = client.send(
      {"GET", "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", {}, ""});
  const auto waited = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Timeout) << response.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  for (int filler : fillers) ::close(filler);
  ::close(listener);
}

TEST(HttpClientConnectTest, RefusesSchemesOtherThanHttp) {
  HttpClient client;
  auto response = client.send({"GET", "file:///etc/passwd", {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Forbidden);
}

TEST_F(HttpClientTest, RefusesALoopbackAddressWhenOnlyPublicOnesAreAllowed) {
  HttpClientOptions options;
  options.public_addresses_only = true;
  HttpClient client(options);

  // By IP literal and by a name that resolves to loopback: the resolved
  // address is what is checked.
  for (const std::string& target :
       {url("/json"), "http://localhost:" + std::to_string(server_->port()) + "/json"}) {
    auto response = client.send({"GET", target, {}, ""});
    ASSERT_FALSE(response.has_value()) << target;
    EXPECT_EQ(response.error().code, TransportErrorCode::Forbidden) << target;
  }
  // The same request is answered when the restriction is off.
  EXPECT_TRUE(HttpClient().send({"GET", url("/json"), {}, ""}).has_value());
}

// A name lookup that never answers (a DNS server that drops the query)
// cannot be interrupted, so it runs on a thread of its own: the request
// ends at the connect timeout, and the next request, with a lookup that
// answers, is not held up behind the hung one.
TEST_F(HttpClientTest, AHungNameLookupEndsAtTheConnectTimeout) {
  std::mutex mutex;
  std::condition_variable changed;
  bool released = false;
  int hung = 0;
  setNameLookupForTesting(
      [&](const std::string& host) -> Result<std::vector<std::string>, std::string> {
        if (host == "answers.example") return std::vector<std::string>{"127.0.0.1"};
        std::unique_lock lock(mutex);
        ++hung;
        changed.notify_all();
        changed.wait(lock, [&] { return released; });
        --hung;
        changed.notify_all();
        return unexpected(std::string("released"));
      });
  HttpClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(300);
  options.total_timeout = std::chrono::milliseconds(10000);
  HttpClient client(options);
  const std::string port = std::to_string(server_->port());

  const auto started = std::chrono::steady_clock::now();
  auto hanging = client.send({"GET", "http://hangs.example:" + port + "/json", {}, ""});
  const auto waited = std::chrono::steady_clock::now() - started;
  auto answered = client.send({"GET", "http://answers.example:" + port + "/json", {}, ""});
  {
    std::unique_lock lock(mutex);
    EXPECT_EQ(hung, 1) << "the hung lookup was abandoned, not finished";
    released = true;
    changed.notify_all();
    changed.wait(lock, [&] { return hung == 0; });
  }
  setNameLookupForTesting({});

  ASSERT_FALSE(hanging.has_value());
  EXPECT_EQ(hanging.error().code, TransportErrorCode::Timeout) << hanging.error().message;
  EXPECT_NE(hanging.error().message.find("resolving hangs.example"), std::string::npos)
      << hanging.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(3));
  ASSERT_TRUE(answered.has_value()) << answered.error().message;
  EXPECT_EQ(answered->status, 200);
}

TEST_F(HttpClientTest, RefusesPlainHttpWhenHttpsIsRequired) {
  HttpClientOptions options;
  options.https_only = true;
  HttpClient client(options);

  auto response = client.send({"GET", url("/json"), {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Forbidden);
}

// A loopback server that follows a script, one connection after the other:
// each accepted connection gets the next list of answers, one per request
// read on it; an empty answer closes the connection without answering,
// and after its list the connection is closed. It records every request.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::vector<std::string>> script)
      : script_(std::move(script)) {
    sockaddr_in address{};
    listener_ = boundLoopbackSocket(address);
    port_ = ntohs(address.sin_port);
    ::listen(listener_, 8);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/x"; }

  // Waits until `count` connections have been closed by the server.
  void waitClosed(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ >= count; });
  }
  std::size_t accepted() {
    const std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<std::string> requests() {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

  static std::string ok(std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           std::string(extra) + "\r\n" + std::string(body);
  }

 private:
  void run() {
    for (const std::vector<std::string>& answers : script_) {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      {
        const std::lock_guard lock(mutex_);
        ++accepted_;
      }
      for (const std::string& answer : answers) {
        std::string request;
        if (!readRequest(fd, request)) break;
        {
          const std::lock_guard lock(mutex_);
          requests_.push_back(request);
        }
        if (answer.empty()) break;
        ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      }
      ::close(fd);
      const std::lock_guard lock(mutex_);
      ++closed_;
      changed_.notify_all();
    }
  }

  // One request: its head, and a body of Content-Length bytes.
  static bool readRequest(int fd, std::string& request) {
    char c = 0;
    while (request.find("\r\n\r\n") == std::string::npos) {
      if (::recv(fd, &c, 1, 0) != 1) return false;
      request.push_back(c);
    }
    const std::size_t at = request.find("Content-Length: ");
    std::size_t body = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
    for (; body > 0; --body) {
      if (::recv(fd, &c, 1, 0) != 1) return false;
      request.push_back(c);
    }
    return true;
  }

  std::vector<std::vector<std::string>> script_;
  int listener_ = -1;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t accepted_ = 0;
  std::size_t closed_ = 0;
  std::vector<std::string> requests_;
  std::thread thread_;
};

HttpClientOptions keptAlive() {
  HttpClientOptions options;
  options.keep_alive = true;
  options.total_timeout = std::chrono::milliseconds(5000);
  return options;
}

TEST(HttpClientKeepAliveTest, RequestsToOneServerShareAConnection) {
  ScriptedServer server(
      {{ScriptedServer::ok("one"), ScriptedServer::ok("two"), ScriptedServer::ok("three")}});
  HttpClient client(keptAlive());

  auto first = client.send({"GET", server.url(), {}, ""});
  auto second = client.send({"POST", server.url(), {}, "a=1"});
  auto third = client.send({"GET", server.url(), {}, ""});

  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, "one");
  EXPECT_EQ(second->body, "two");
  EXPECT_EQ(third->body, "three");
  EXPECT_EQ(server.accepted(), 1U);
  ASSERT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(server.requests()[1].find("Connection: close"), std::string::npos);
  EXPECT_TRUE(server.requests()[1].ends_with("\r\n\r\na=1"));
  EXPECT_EQ(client.idleConnections(), 1U);
}

TEST(HttpClientKeepAliveTest, WithoutKeepAliveEachRequestHasItsConnectionAndSaysClose) {
  ScriptedServer server({{ScriptedServer::ok("one")}, {ScriptedServer::ok("two")}});
  HttpClient client;

  auto first = client.send({"GET", server.url(), {}, ""});
  auto second = client.send({"GET", server.url(), {}, ""});

  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->body, "two");
  EXPECT_EQ(server.accepted(), 2U);
  EXPECT_NE(server.requests()[0].find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(client.idleConnections(), 0U);
}

TEST(HttpClientKeepAliveTest, AConnectionTheServerClosedMeanwhileIsReplaced) {
  ScriptedServer server({{ScriptedServer::ok("one")}, {ScriptedServer::ok("two")}});
  HttpClient client(keptAlive());
  ASSERT_TRUE(client.send({"GET", server.url(), {}, ""}));
  server.waitClosed(1);

  auto second = client.send({"GET", server.url(), {}, ""});

  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->body, "two");
  EXPECT_EQ(server.accepted(), 2U);
}

TEST(HttpClientKeepAliveTest, ARequestThatGotNoAnswerOnAKeptConnectionIsSentAgainOnANewOne) {
  // The server reads the second request on the kept connection and closes
  // it without a word, as one whose idle timer fired at that moment would.
  ScriptedServer server({{ScriptedServer::ok("one"), ""}, {ScriptedServer::ok("two")}});
  HttpClient client(keptAlive());
  ASSERT_TRUE(client.send({"GET", server.url(), {}, ""}));

  auto second = client.send({"POST", server.url(), {}, "b=2"});

  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->body, "two");
  EXPECT_EQ(server.accepted(), 2U);
  ASSERT_EQ(server.requests().size(), 3U);
  EXPECT_EQ(server.requests()[1], server.requests()[2]);
}

TEST(HttpClientKeepAliveTest, ARequestWhoseAnswerBrokeOffIsNotSentAgain) {
  ScriptedServer server(
      {{ScriptedServer::ok("one"), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
       {ScriptedServer::ok("never")}});
  HttpClient client(keptAlive());
  ASSERT_TRUE(client.send({"GET", server.url(), {}, ""}));

  auto second = client.send({"POST", server.url(), {}, "c=3"});

  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, TransportErrorCode::Failed);
  EXPECT_EQ(server.accepted(), 1U);
  EXPECT_EQ(server.requests().size(), 2U);
}

TEST(HttpClientKeepAliveTest, KeepsNoConnectionTheServerMeansToCloseOrThatIdledTooLong) {
  ScriptedServer closing({{ScriptedServer::ok("one", "Connection: close\r\n")}});
  HttpClient client(keptAlive());
  ASSERT_TRUE(client.send({"GET", closing.url(), {}, ""}));
  EXPECT_EQ(client.idleConnections(), 0U);

  ScriptedServer slow(
      {{ScriptedServer::ok("one"), ScriptedServer::ok("unused")}, {ScriptedServer::ok("two")}});
  HttpClientOptions options = keptAlive();
  options.idle_timeout = std::chrono::milliseconds(0);
  HttpClient impatient(options);
  ASSERT_TRUE(impatient.send({"GET", slow.url(), {}, ""}));
  // Any time at all is too long for a zero idle timeout.
  const auto idled = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() == idled) {
  }
  auto second = impatient.send({"GET", slow.url(), {}, ""});

  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->body, "two");
  EXPECT_EQ(slow.accepted(), 2U);
}

TEST(PublicUnicastTest, TellsPublicAddressesFromInternalOnes) {
  for (const char* internal :
       {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "ff02::1"}) {
    EXPECT_FALSE(isPublicUnicast(*IpAddress::parse(internal))) << internal;
  }
  for (const char* external : {"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"}) {
    EXPECT_TRUE(isPublicUnicast(*IpAddress::parse(external))) << external;
  }
}

}  // namespace
}  // namespace mxauth::http
