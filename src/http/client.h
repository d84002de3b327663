#pragma once

// A small synchronous HTTP client for the calls mxauth makes to other
// servers: the homeserver's /_synapse/mas API, `mxauth doctor`, and the JWK
// sets of clients that registered a `jwks_uri` (oauth/jwks_fetcher.h).
// Written on Boost.Beast's response parser and an OutboundConnection
// (outbound_connection.h: Asio, OpenSSL), HTTP/1.1: one connection per
// request (`Connection: close`), or, with `keep_alive` (the homeserver's
// client), persistent connections kept for the next request to the same
// server (see HttpClientOptions).
//
// Every request has a deadline for the whole exchange and one for the
// connection, a cap on the response body, and follows no redirects. Callers
// run it from the blocking worker pool, never from an I/O thread. An
// HttpClient may be used from several threads at once (each request has a
// connection and an io_context of its own). https:// is always verified:
// the certificate chain against the system's trust store and the
// certificate's names against the URL's host, TLS 1.2 or later.
//
// For URLs that someone else chose (security checklist B.18, SSRF), the
// options can restrict the schemes (`https_only`) and refuse every address
// that is not public unicast (`public_addresses_only`): the check is made on
// each address the host name resolved to, right before connecting, so a
// name that resolves to 127.0.0.1 (or changes its answer between two
// lookups) is refused as an IP literal would be. No proxy is ever used
// (the environment's proxy variables are not read), so the check sees the
// real destination.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/client_address.h"

namespace mxauth::http {

struct OutboundRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string url;             // absolute http:// or https:// URL
  // Sent as given, after the client's User-Agent and Accept (and, with a
  // body, a form Content-Type), each of which a header of the same name
  // replaces. A header with an empty value is not sent: it only stops the
  // default. Host, Content-Length, Transfer-Encoding and Connection are the
  // client's own (a request that sets one fails).
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
  // The options forbid this URL's scheme or every address its host has.
  Forbidden,
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
  // Only https:// URLs (otherwise http:// too).
  bool https_only = false;
  // Only public unicast addresses (see the header comment and
  // isPublicUnicast()).
  bool public_addresses_only = false;
  // A PEM bundle of CA certificates to trust for https:// instead of the
  // system's (tests with a CA of their own); empty: the system's.
  std::string ca_file;
  // Persistent connections: a connection whose answer left it open (HTTP/1.1
  // without `Connection: close`, a body of known length) waits for the next
  // request to the same scheme, host and port, at most `max_idle_connections`
  // of them for at most `idle_timeout` each. A kept connection that the
  // server closed meanwhile is noticed before use; one that fails before a
  // single byte of the answer arrived is replaced by a new connection and
  // the request sent again, once (as HTTP clients do for a connection the
  // server closed as the request left: meant for requests that may be
  // repeated, like the homeserver's upserts).
  bool keep_alive = false;
  std::size_t max_idle_connections = 8;
  std::chrono::milliseconds idle_timeout{15000};
};

// False for the addresses a fetch on someone else's behalf must not reach:
// unspecified, loopback, private (RFC 1918, fc00::/7), shared (100.64/10),
// link-local (169.254/16, fe80::/10), multicast, reserved and documentation
// ranges, and IPv6 forms that carry one of those IPv4 addresses (mapped,
// NAT64 64:ff9b::/96, 6to4 2002::/16).
bool isPublicUnicast(const IpAddress& address);

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Result<OutboundResponse, TransportError> send(const OutboundRequest& request) const;

  const HttpClientOptions& options() const { return options_; }

  // Connections kept open for the next request (keep_alive).
  std::size_t idleConnections() const;

 private:
  struct IdleConnections;

  HttpClientOptions options_;
  std::unique_ptr<IdleConnections> idle_;
};

}  // namespace mxauth::http
