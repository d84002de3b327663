// The HTTP client over TLS, against a server in the test with certificates
// made by the `openssl` command for the test: a CA of its own, a
// certificate it signed for localhost and 127.0.0.1, one it signed for
// another name, and a self-signed one for localhost.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "http/client.h"

namespace mxauth::http {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using tcp = asio::ip::tcp;

// Runs `openssl` with `arguments`; false when it failed.
bool openssl(const std::string& arguments) {
  return std::system(("openssl " + arguments + " >/dev/null 2>&1").c_str()) == 0;
}

// The certificates, made once for the whole suite in a directory of its own.
class TestCertificates {
 public:
  TestCertificates() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mxauth-tls-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 ";
    ok_ = !dir_.empty() &&
          openssl("req -x509" + ec + "-keyout " + path("ca.key") + " -out " + path("ca.pem") +
                  " -subj /CN=mxauth-test-ca") &&
          issue("localhost", "DNS:localhost,IP:127.0.0.1") && issue("other", "DNS:other.example") &&
          openssl("req -x509" + ec + "-keyout " + path("self.key") + " -out " + path("self.pem") +
                  " -subj /CN=localhost" + " -addext subjectAltName=DNS:localhost,IP:127.0.0.1");
  }
  ~TestCertificates() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  bool ok() const { return ok_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  // name.key and name.pem, signed by the CA, for `names`.
  bool issue(const std::string& name, const std::string& names) {
    const std::string extensions = path(name + ".ext");
    return std::system(("echo subjectAltName=" + names + " > " + extensions).c_str()) == 0 &&
           openssl("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
                   path(name + ".key") + " -out " + path(name + ".csr") + " -subj /CN=" + name) &&
           openssl("x509 -req -days 1 -in " + path(name + ".csr") + " -CA " + path("ca.pem") +
                   " -CAkey " + path("ca.key") + " -CAcreateserial -extfile " + extensions +
                   " -out " + path(name + ".pem"));
  }

  std::string dir_;
  bool ok_ = false;
};

// An HTTPS server on 127.0.0.1, on a thread: answers every request with
// 200 "secure <target>", one request per connection.
class TlsServer {
 public:
  TlsServer(const std::string& certificate, const std::string& key) {
    context_.use_certificate_chain_file(certificate);
    context_.use_private_key_file(key, asio::ssl::context::pem);
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsServer() {
    stopping_ = true;
    tcp::socket wake(io_);  // unblocks accept()
    boost::system::error_code ignored;
    static_cast<void>(wake.connect(acceptor_.local_endpoint(), ignored));
    thread_.join();
  }

  int port() const { return port_; }
  int handshakes() const { return handshakes_; }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket(io_);
      boost::system::error_code error;
      static_cast<void>(acceptor_.accept(socket, error));
      if (stopping_) return;
      if (error) continue;
      asio::ssl::stream<tcp::socket> stream(std::move(socket), context_);
      static_cast<void>(stream.handshake(asio::ssl::stream_base::server, error));
      if (error) continue;
      ++handshakes_;
      boost::beast::flat_buffer buffer;
      beast_http::request<beast_http::string_body> request;
      beast_http::read(stream, buffer, request, error);
      if (error) continue;
      beast_http::response<beast_http::string_body> response(beast_http::status::ok, 11);
      response.body() = "secure " + std::string(request.target());
      response.prepare_payload();
      beast_http::write(stream, response, error);
    }
  }

  asio::io_context io_;
  asio::ssl::context context_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  int port_ = 0;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> handshakes_ = 0;
  std::thread thread_;
};

class HttpClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certificates_ = new TestCertificates(); }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(certificates_->ok()) << "openssl could not make the certificates";
  }

  static std::string file(const std::string& name) { return certificates_->path(name); }

  static HttpClientOptions trustingTheTestCa() {
    HttpClientOptions options;
    options.ca_file = file("ca.pem");
    return options;
  }

  static std::string url(const std::string& host, int port) {
    return "https://" + host + ":" + std::to_string(port) + "/hello?x=1";
  }

  static TestCertificates* certificates_;
};

TestCertificates* HttpClientTlsTest::certificates_ = nullptr;

TEST_F(HttpClientTlsTest, TalksToAServerWhoseCertificateIsTrustedAndForTheHost) {
  TlsServer server(file("localhost.pem"), file("localhost.key"));
  HttpClientOptions options = trustingTheTestCa();
  options.https_only = true;
  HttpClient client(options);

  // By name (SNI, DNS name in the certificate) and by IP address.
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto response = client.send({"GET", url(host, server.port()), {}, ""});
    ASSERT_TRUE(response.has_value()) << host << ": " << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "secure /hello?x=1");
  }
  EXPECT_EQ(server.handshakes(), 2);
}

TEST_F(HttpClientTlsTest, RefusesACertificateForAnotherName) {
  TlsServer server(file("other.pem"), file("other.key"));
  HttpClient client(trustingTheTestCa());

  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto response = client.send({"GET", url(host, server.port()), {}, ""});
    ASSERT_FALSE(response.has_value()) << host;
    EXPECT_EQ(response.error().code, TransportErrorCode::Failed);
    EXPECT_NE(response.error().message.find("mismatch"), std::string::npos)
        << response.error().message;
  }
  EXPECT_EQ(server.handshakes(), 0);
}

TEST_F(HttpClientTlsTest, RefusesACertificateFromACaItDoesNotTrust) {
  TlsServer self_signed(file("self.pem"), file("self.key"));
  auto response =
      HttpClient(trustingTheTestCa()).send({"GET", url("localhost", self_signed.port()), {}, ""});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Failed);
  EXPECT_NE(response.error().message.find("certificate"), std::string::npos)
      << response.error().message;

  // Without a CA file, the system's trust store: the test CA is not in it.
  TlsServer server(file("localhost.pem"), file("localhost.key"));
  auto untrusted = HttpClient().send({"GET", url("localhost", server.port()), {}, ""});
  ASSERT_FALSE(untrusted.has_value());
  EXPECT_EQ(untrusted.error().code, TransportErrorCode::Failed);
  EXPECT_EQ(self_signed.handshakes() + server.handshakes(), 0);
}

TEST_F(HttpClientTlsTest, RefusesALoopbackAddressWhenOnlyPublicOnesAreAllowed) {
  TlsServer server(file("localhost.pem"), file("localhost.key"));
  HttpClientOptions options = trustingTheTestCa();
  options.public_addresses_only = true;
  HttpClient client(options);

  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto response = client.send({"GET", url(host, server.port()), {}, ""});
    ASSERT_FALSE(response.has_value()) << host;
    EXPECT_EQ(response.error().code, TransportErrorCode::Forbidden) << host;
  }
  EXPECT_EQ(server.handshakes(), 0);
}

TEST_F(HttpClientTlsTest, GivesUpOnAHandshakeThatNeverEnds) {
  // A listening socket that never accepts: the kernel completes the TCP
  // handshake, nobody answers the ClientHello.
  asio::io_context io;
  tcp::acceptor silent(io, {asio::ip::make_address("127.0.0.1"), 0});
  HttpClientOptions options = trustingTheTestCa();
  options.total_timeout = std::chrono::milliseconds(300);
  HttpClient client(options);

  const auto started = std::chrono::steady_clock::now();
  auto response = client.send({"GET", url("127.0.0.1", silent.local_endpoint().port()), {}, ""});
  const auto waited = std::chrono::steady_clock::now() - started;

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, TransportErrorCode::Timeout) << response.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mxauth::http
