#include "http/testing/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "http/headers.h"

namespace mxauth::test {
namespace {

int remainingMillis(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::optional<std::string> RawResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (http::equalsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

std::size_t RawResponse::headerCount(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& [key, value] : headers) {
    if (http::equalsIgnoreCase(key, name)) ++n;
  }
  return n;
}

TestConnection::TestConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket: " + std::generic_category().message(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect: " + std::generic_category().message(error));
  }
}

TestConnection::~TestConnection() { close(); }

TestConnection::TestConnection(TestConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

void TestConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TestConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool TestConnection::fill(std::chrono::steady_clock::time_point deadline) {
  if (fd_ < 0) return false;
  pollfd pfd{fd_, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&pfd, 1, remainingMillis(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    break;
  }
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<RawResponse> TestConnection::readResponse(std::chrono::milliseconds timeout,
                                                        bool head) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t header_end = 0;
  for (;;) {
    // Interim 1xx responses (100 Continue) are skipped.
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    if (buffer_.compare(0, 10, "HTTP/1.1 1") == 0 && buffer_.size() > 12 &&
        buffer_.compare(9, 3, "101") != 0) {
      buffer_.erase(0, header_end + 4);
      continue;
    }
    break;
  }

  RawResponse response;
  const std::string head_text = buffer_.substr(0, header_end);
  buffer_.erase(0, header_end + 4);
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
  response.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const std::string line = head_text.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    response.headers.emplace_back(line.substr(0, colon), std::move(value));
  }

  if (head || response.status == 204 || response.status == 304) return response;
  const std::optional<std::string> length = response.header("Content-Length");
  if (length) {
    const std::size_t size = std::stoul(*length);
    while (buffer_.size() < size) {
      if (!fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return response;
  }
  // No length: the body runs to the end of the connection.
  while (fill(deadline)) {
  }
  response.body = std::move(buffer_);
  buffer_.clear();
  return response;
}

bool TestConnection::readUntil(std::string_view marker, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.find(marker) == std::string::npos) {
    if (!fill(deadline)) return false;
  }
  return true;
}

bool TestConnection::waitForClose(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd pfd{fd_, POLLIN, 0};
  char chunk[16384];
  for (;;) {
    const int ready = ::poll(&pfd, 1, remainingMillis(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
  }
}

std::string rawRequest(std::string_view method, std::string_view target,
                       const std::vector<std::string>& header_lines, std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  bool has_length = false;
  for (const std::string& line : header_lines) {
    out.append(line).append("\r\n");
    has_length = has_length || line.rfind("Content-Length:", 0) == 0 ||
                 line.rfind("Transfer-Encoding:", 0) == 0;
  }
  if (!body.empty() && !has_length) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

RawResponse roundTrip(std::uint16_t port, std::string_view method, std::string_view target,
                      const std::vector<std::string>& header_lines, std::string_view body) {
  TestConnection connection(port);
  std::vector<std::string> lines = header_lines;
  lines.emplace_back("Connection: close");
  if (!connection.send(rawRequest(method, target, lines, body))) {
    throw std::runtime_error("could not send the request");
  }
  auto response = connection.readResponse(std::chrono::seconds(10), method == "HEAD");
  if (!response) throw std::runtime_error("no response");
  return std::move(*response);
}

}  // namespace mxauth::test
