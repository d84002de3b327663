#pragma once

// A small blocking HTTP/1.1 client over a plain socket, for tests that need
// to control the bytes on the wire: raw garbage, half a header, pipelined
// requests, a connection that must be seen to close. Not for production.
// Every wait has a deadline, so a broken server fails a test rather than
// hanging it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxauth::test {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header called `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
  std::size_t headerCount(std::string_view name) const;
};

class TestConnection {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error when it cannot.
  explicit TestConnection(std::uint16_t port);
  ~TestConnection();
  TestConnection(TestConnection&& other) noexcept;
  TestConnection& operator=(TestConnection&&) = delete;
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // Sends every byte; false if the connection is gone.
  bool send(std::string_view bytes);

  // Reads one response. `head` says the request was HEAD, so no body
  // follows its Content-Length. nullopt when the connection closed or the
  // timeout passed first.
  std::optional<RawResponse> readResponse(
      std::chrono::milliseconds timeout = std::chrono::seconds(5), bool head = false);

  // Reads until the received bytes contain `marker`, leaving them pending;
  // false on close or timeout.
  bool readUntil(std::string_view marker,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Waits until the server closes the connection (EOF or reset), dropping
  // any bytes that arrive; false if it is still open after `timeout`.
  bool waitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Bytes received but not yet consumed by readResponse().
  const std::string& pending() const { return buffer_; }

  void close();

 private:
  // Reads more bytes into buffer_; false on EOF, error or deadline.
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// "GET /path HTTP/1.1" with Host and any extra header lines ("Name: value").
std::string rawRequest(std::string_view method, std::string_view target,
                       const std::vector<std::string>& header_lines = {},
                       std::string_view body = {});

// Opens a connection, sends one request with Connection: close and reads
// the answer; throws std::runtime_error if there is none.
RawResponse roundTrip(std::uint16_t port, std::string_view method, std::string_view target,
                      const std::vector<std::string>& header_lines = {},
                      std::string_view body = {});

}  // namespace mxauth::test
