#include "http/client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>

#include "core/worker_pool.h"
#include "http/router.h"
#include "http/testing/running_server.h"

namespace mxauth::http {
namespace {

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
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  ::close(fd);

  HttpClient client;
  auto response = client.send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Unreachable);
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

TEST_F(HttpClientTest, RefusesPlainHttpWhenHttpsIsRequired) {
  HttpClientOptions options;
  options.https_only = true;
  HttpClient client(options);

  auto response = client.send({"GET", url("/json"), {}, ""});

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Forbidden);
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
