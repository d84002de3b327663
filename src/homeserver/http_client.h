#pragma once

// A small synchronous HTTP client for the calls mxauth makes to other
// servers (the homeserver's /_synapse/mas API today). libcurl stays inside
// http_client.cpp.
//
// Every request has a deadline for the whole exchange and one for the
// connection, a cap on the response body, and follows no redirects. Callers
// run it from the blocking worker pool, never from an I/O thread. An
// HttpClient may be used from several threads at once (each request has a
// handle of its own).

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace mxauth::homeserver {

struct OutboundRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string url;             // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct OutboundResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  // The first header called `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const;
};

enum class TransportErrorCode {
  // Could not connect: refused, DNS failure, unreachable.
  Unreachable,
  // The connection or the whole exchange took too long.
  Timeout,
  // The response body was larger than the limit.
  TooLarge,
  // Anything else (TLS failure, a malformed response, a bad URL).
  Failed,
};

struct TransportError {
  TransportErrorCode code = TransportErrorCode::Failed;
  std::string message;  // for logs and operator-facing errors
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds total_timeout{10000};
  std::size_t max_response_bytes = std::size_t{1} << 20;
  std::string user_agent = "mxauth";
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});

  Result<OutboundResponse, TransportError> send(const OutboundRequest& request) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
};

}  // namespace mxauth::homeserver
