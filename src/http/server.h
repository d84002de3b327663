#pragma once

// The HTTP/1.1 server: the only code that knows Boost.Beast and Asio, kept
// behind this header so that handlers and their tests never see either.
//
// Contract:
//  - every request is answered by the Router's handlers, on an I/O thread
//    for Execution::Inline routes and on `blocking_pool` for Blocking ones;
//    when the pool's queue is full the answer is 503
//    {"error":"temporarily_unavailable"} with Retry-After: 1, at once;
//  - malformed requests get 400, oversized headers 431, oversized bodies
//    413, unknown methods 405 (404 off any route), and a request that does not arrive within
//    its timeout 408; each of these closes the connection;
//  - at max_connections a new connection is still served: the connection
//    that has waited the longest for a request (a request head trickling
//    in, an idle keep-alive connection) is closed to make room
//    (connection_slots.h); only when every connection has a request in
//    progress is the newcomer answered 503 and closed;
//  - a handler that throws is a bug: it is logged and answered 500
//    {"error":"server_error"}, and the server keeps serving;
//  - stop() is graceful: no new connections, idle ones close, requests in
//    progress (also on the pool) get their whole response, with
//    Connection: close; run() returns when the last connection is gone, or
//    after `shutdown_grace` with the rest cut off.
//
// A Server runs once: start(), then run() (or runUntilSignal()) on one
// thread; stop() may be called from any thread, also before run(). Destroy
// it only after run() has returned; the destructor waits for handlers still
// running on the pool.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "core/worker_pool.h"
#include "http/client_address.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/router.h"

namespace mxauth::http {

struct ServerOptions {
  // host:port; IPv6 literals in brackets ("[::1]:8080"); port 0 picks a free
  // port (see Server::boundPort()).
  std::string listen = "127.0.0.1:8080";
  std::size_t io_threads = 1;
  std::size_t max_connections = 10000;  // see connectionCapacity() for the fd limit
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  // Time for the whole header block: one deadline, which trickled bytes do
  // not extend, from the accept on a new connection and from the request's
  // first byte on a kept-alive one.
  Duration header_timeout = std::chrono::seconds(10);
  Duration body_timeout = std::chrono::seconds(30);  // also bounds each response write
  Duration idle_timeout = std::chrono::seconds(60);  // between keep-alive requests
  Duration shutdown_grace = std::chrono::seconds(10);
  // Sent as Strict-Transport-Security on every response when not empty; the
  // composition root sets it when the public base URL is https.
  std::string strict_transport_security;
  // Peers whose X-Forwarded-For names the client (Request::remote_address,
  // see clientAddress()); empty: the peer is the client.
  TrustedProxies trusted_proxies;
};

// Optional collaborators. Every callback may be called from several I/O
// threads at once, so it must be thread-safe.
struct ServerHooks {
  // One JSON object per request (see formatAccessLog), without newline.
  std::function<void(std::string_view json_line)> access_log;
  // Problems that are ours, not the client's: a handler that threw, a
  // failed accept. Plain text.
  std::function<void(std::string_view message)> error_log;
  // Said once per process, for the operator: a request carried
  // X-Forwarded-For while no proxy is trusted, so the header was ignored
  // (a reverse proxy that http.trusted_proxies should name, or a spoof).
  std::function<void(std::string_view message)> warning_log;
  Metrics* metrics = nullptr;
  // Timestamps the access log; without it the "ts" field is left out.
  const Clock* clock = nullptr;
  // Seeds the request-id prefix, so that ids from several processes differ.
  Rng* rng = nullptr;
};

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "host:port" or "[v6]:port". The error says what is wrong.
Result<ListenAddress, std::string> parseListenAddress(std::string_view text);

// What a connection makes of `bytes` as the first request on it: the
// parser limits of `options` and the conversion to Request that a live
// connection uses (`peer` as the TCP peer). Either `request` is set, or
// `status` is the answer the server would send instead (400 malformed, 413
// body over max_body_bytes, 431 header over max_header_bytes, 405 unknown
// method — the live server answers 404 instead for a path no route serves,
// a table this function does not have), or neither when the bytes end before the request does (the
// client went away). `consumed` is where a pipelined next request starts.
// For the fuzz target tests/fuzz/http_request.cpp and for tests.
struct RawRequestResult {
  std::optional<Request> request;
  std::optional<int> status;
  std::size_t consumed = 0;
};
RawRequestResult parseRawRequestForTesting(std::string_view bytes, const ServerOptions& options,
                                           const std::string& peer);

class Server {
 public:
  using Hooks = ServerHooks;

  Server(ServerOptions options, Router& router, core::WorkerPool& blocking_pool,
         ServerHooks hooks = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. The error names the address and the reason
  // ("cannot listen on 127.0.0.1:8080: Address already in use").
  Result<void, std::string> start();

  // The port actually bound; meaningful after a successful start().
  std::uint16_t boundPort() const;

  // Serves on `io_threads` threads (this one included) until stopped.
  void run();

  // Begins a graceful stop; thread-safe, returns at once.
  void stop();

  // run(), stopping gracefully on SIGINT or SIGTERM.
  void runUntilSignal();

  std::size_t openConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxauth::http
