#include "http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <memory_resource>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include "core/encoding.h"
#include "http/connection_slots.h"
#include "http/middleware.h"

namespace mxauth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
// A request's fields (and target) are allocated from an arena that the
// connection's coroutine resets between requests: Beast allocates each
// field on its own, which cost every request half a dozen mallocs.
using FieldAllocator = std::pmr::polymorphic_allocator<char>;
using BeastRequest = bhttp::request<bhttp::string_body, bhttp::basic_fields<FieldAllocator>>;
// Room for a typical request's fields before the arena asks the heap.
constexpr std::size_t kFieldArenaBytes = 1024;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;
// After an error answer the client may still be sending; reading (and
// dropping) for a moment before closing lets it see the answer instead of a
// reset (RFC 9112 §9.6).
constexpr Duration kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kLingerBytes = std::size_t{256} * 1024;
constexpr std::string_view kUnmatchedRoute = "unmatched";
constexpr std::string_view kOverloadBody = R"({"error":"temporarily_unavailable"})";

// The canned answer to a connection above the cap; written without waiting.
constexpr std::string_view kOverCapacityResponse =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Server: mxauth\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "Content-Length: 35\r\n"
    "\r\n"
    R"({"error":"temporarily_unavailable"})";
static_assert(kOverloadBody.size() == 35);

Response errorResponse(int status, std::string_view error) {
  std::string body = R"({"error":")";
  body += error;
  body += "\"}";
  return Response::json(status, std::move(body));
}

Response errorResponse(int status, std::string_view error, std::string_view description) {
  std::string body = R"({"error":")";
  body += error;
  body += R"(","error_description":)";
  appendJsonString(body, description);
  body += '}';
  return Response::json(status, std::move(body));
}

Response serverError() { return errorResponse(500, "server_error"); }

Response overloaded() {
  Response response = Response::json(503, std::string(kOverloadBody));
  response.headers.add("Retry-After", "1");
  return response;
}

// What running a handler gave: its response, or a 500 and why.
struct Outcome {
  Response response;
  std::string failure;  // non-empty when the handler threw
};

Outcome invokeHandler(const Handler& handler, Request& request) {
  try {
    return {handler(request), {}};
  } catch (const std::exception& e) {
    return {serverError(), e.what()};
  } catch (...) {
    return {serverError(), "a non-standard exception"};
  }
}

std::optional<Outcome> invokeFastPath(const FastPath& fast_path, Request& request) {
  try {
    std::optional<Response> response = fast_path(request);
    if (!response) return std::nullopt;
    return Outcome{std::move(*response), {}};
  } catch (const std::exception& e) {
    return Outcome{serverError(), e.what()};
  } catch (...) {
    return Outcome{serverError(), "a non-standard exception"};
  }
}

bool isTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Handlers must not be able to split a response (CR/LF in a header that
// carries client input) or send an invalid status.
std::optional<std::string> findResponseDefect(const Response& response) {
  if (response.status < 100 || response.status > 599) {
    return "invalid status " + std::to_string(response.status);
  }
  for (const HeaderField& field : response.headers.fields()) {
    if (field.name.empty()) return std::string("empty header name");
    for (const char c : field.name) {
      if (!isTokenChar(c)) return "invalid header name " + field.name;
    }
    for (const char c : field.value) {
      if (c == '\r' || c == '\n' || c == '\0') return "control character in header " + field.name;
    }
  }
  return std::nullopt;
}

// Statuses whose responses never carry content (RFC 9110 §6.4.1).
bool hasNoContent(int status) { return status < 200 || status == 204 || status == 304; }

// Header fields the server owns; a handler's copies are dropped.
bool isServerOwnedField(std::string_view name) {
  return equalsIgnoreCase(name, "Content-Length") || equalsIgnoreCase(name, "Transfer-Encoding") ||
         equalsIgnoreCase(name, "Connection");
}

// The status for a read error, or nullopt when the client went away and
// there is no one to answer.
std::optional<int> statusForReadError(const beast::error_code& ec, bool timed_out) {
  if (timed_out) return 408;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::operation_aborted || ec == asio::error::broken_pipe) {
    return std::nullopt;
  }
  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) return 431;
  if (ec == bhttp::error::body_limit) return 413;
  if (ec.category() == beast::error_code(bhttp::error::bad_method).category()) return 400;
  return std::nullopt;  // a socket error
}

using RequestParser = bhttp::request_parser<bhttp::string_body, FieldAllocator>;

void limitParser(RequestParser& parser, const ServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(options.max_body_bytes);
}

// The Request handlers see for a parsed message from `remote` (its body is
// moved out); fails when the target does not parse.
Result<Request, ParseError> toRequest(Method method, BeastRequest& message,
                                      const std::string& remote, const TrustedProxies& trusted) {
  auto target = parseRequestTarget(message.target());
  if (!target) return unexpected(target.error());
  Request request;
  request.method = method;
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  request.target = std::string(message.target());
  request.path = std::move(target->path);
  request.query = std::move(target->query);
  for (const auto& field : message) {
    request.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.peer_address = remote;
  request.remote_address =
      trusted.empty() ? remote : clientAddress(remote, request.headers, trusted);
  return request;
}

std::string_view errorNameFor(int status) {
  switch (status) {
    case 408:
      return "request_timeout";
    case 413:
      return "request_too_large";
    case 431:
      return "request_header_fields_too_large";
    default:
      return "invalid_request";
  }
}

// The answer to a request that could not be read whole. Matrix clients of
// the legacy login API (/_matrix/…) read {"errcode","error"} (spec-digest
// §4.2: M_TOO_LARGE); everything else gets an OAuth-style error.
Response transportError(int status, const BeastRequest* message) {
  if (message != nullptr && std::string_view(message->target()).starts_with("/_matrix/")) {
    std::string body = R"({"errcode":")";
    body += status == 413 ? "M_TOO_LARGE" : "M_UNKNOWN";
    body += R"(","error":)";
    appendJsonString(body, status == 413   ? "The request body is too large"
                           : status == 408 ? "The request took too long to arrive"
                                           : "The request could not be read");
    body += '}';
    return Response::json(status, std::move(body));
  }
  return errorResponse(status, errorNameFor(status));
}

// The response as it goes on the wire (RFC 9112 §4, §6): status line, the
// handler's fields but those the server owns, Content-Length (none for a
// status without content), Connection where the version's default does
// not say it, and the body unless the request was HEAD. One buffer, so one
// write; `out` is replaced (a buffer the caller reuses).
void serializeResponse(std::string& out, const Response& response, unsigned version, bool head,
                       bool keep_alive) {
  const bool content = !hasNoContent(response.status);
  std::size_t size = 64 + (content && !head ? response.body.size() : 0);
  for (const HeaderField& field : response.headers.fields()) {
    size += field.name.size() + field.value.size() + 4;
  }
  out.clear();
  out.reserve(size);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char number[24];
  out.append(number, std::to_chars(number, number + sizeof number, response.status).ptr);
  out += ' ';
  out += bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(response.status)));
  out += "\r\n";
  for (const HeaderField& field : response.headers.fields()) {
    if (isServerOwnedField(field.name)) continue;
    out += field.name;
    out += ": ";
    out += field.value;
    out += "\r\n";
  }
  if (content) {
    out += "Content-Length: ";
    out.append(number, std::to_chars(number, number + sizeof number, response.body.size()).ptr);
    out += "\r\n";
  }
  if (version >= 11 && !keep_alive) out += "Connection: close\r\n";
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (content && !head) out += response.body;
}

// The first bytes of a kept-alive connection's next request are read into
// this many bytes held by the connection (an introspection request fits).
constexpr std::size_t kIdleReadBytes = 512;

struct Connection {
  Connection(tcp::socket s, std::size_t connection_slot)
      : socket(std::move(s)), deadline(socket.get_executor()), slot(connection_slot) {
    deadline.expires_at(asio::steady_timer::time_point::max());
  }

  // The deadline is kept lazily: moving it later (every request does) only
  // records it, and the timer, which may fire early, re-arms itself for the
  // recorded time when it does (Impl::watchDeadline). Only a deadline
  // earlier than the timer's expiry re-arms it at once, so a busy
  // keep-alive connection costs no timer system call per request.
  void setDeadline(Duration d) {
    timed_out = false;
    const SteadyClock::time_point at = SteadyClock::now() + d;
    deadline_at = at;
    if (at < deadline.expiry()) deadline.expires_at(at);  // cancels the wait, which re-waits
  }
  void clearDeadline() { deadline_at = SteadyClock::time_point::max(); }

  // Everything below is touched only on the connection's executor.
  tcp::socket socket;
  asio::steady_timer deadline;
  SteadyClock::time_point deadline_at = SteadyClock::time_point::max();
  std::size_t slot;  // in Impl::slots, until connectionClosed()
  std::string remote;
  // Where a kept-alive connection reads the start of its next request
  // (allocated with its first response; a connection that never had one
  // waits for readability without a buffer).
  std::unique_ptr<std::array<char, kIdleReadBytes>> idle_bytes;
  bool idle = false;        // waiting for the first byte of a request
  bool kept_alive = false;  // it has had a response, so it waits idle_timeout
  bool timed_out = false;   // the deadline fired during the current operation
  bool finished = false;    // closed; its slot is being released
};

// What serving a parsed request comes to without waiting: the handler's
// outcome, or, when `outcome` is empty, a Blocking route (whose fast path,
// if any, declined) to run on the worker pool.
struct Dispatched {
  std::optional<Request> request;  // empty when the message did not convert
  std::optional<Outcome> outcome;
  const Route* route = nullptr;
  std::string_view route_name = kUnmatchedRoute;
  std::size_t route_index = 0;
  bool keep_alive = true;
};

}  // namespace

RawRequestResult parseRawRequestForTesting(std::string_view bytes, const ServerOptions& options,
                                           const std::string& peer) {
  RawRequestResult result;
  RequestParser parser;
  limitParser(parser, options);
  beast::error_code ec;
  while (!parser.is_done()) {
    const std::string_view rest = bytes.substr(result.consumed);
    std::size_t used = 0;
    if (!rest.empty()) used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
    result.consumed += used;
    if (ec == bhttp::error::need_more) ec = {};
    if (!ec && used > 0) continue;
    if (!ec) {
      // No progress: the bytes ended before the request, the client went away.
      parser.put_eof(ec);
      if (!ec && !parser.is_done()) return result;
    }
    if (ec) {
      result.status = statusForReadError(ec, false);
      return result;
    }
  }
  BeastRequest message = parser.release();
  const std::optional<Method> method = parseMethod(message.method_string());
  if (!method) {
    result.status = 405;
    return result;
  }
  auto request = toRequest(*method, message, peer, options.trusted_proxies);
  if (!request) {
    result.status = 400;
    return result;
  }
  result.request = std::move(*request);
  return result;
}

Result<ListenAddress, std::string> parseListenAddress(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return unexpected("expected [address]:port, got \"" + std::string(text) + "\"");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return unexpected("expected host:port, got \"" + std::string(text) + "\"");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return unexpected("an IPv6 address needs brackets: \"" + std::string(text) + "\"");
    }
  }
  if (host.empty()) return unexpected("missing host in \"" + std::string(text) + "\"");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return unexpected("invalid port in \"" + std::string(text) + "\"");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

struct Server::Impl {
  Impl(ServerOptions server_options, Router& route_table, core::WorkerPool& blocking_pool,
       ServerHooks server_hooks)
      : options(std::move(server_options)),
        router(route_table),
        pool(blocking_pool),
        hooks(std::move(server_hooks)),
        ioc(static_cast<int>(std::max<std::size_t>(1, options.io_threads))),
        control(asio::make_strand(ioc)),
        acceptor(control),
        grace_timer(control),
        retry_timer(control),
        slots(options.max_connections) {
    if (hooks.rng != nullptr) {
      std::uint8_t seed[4];
      hooks.rng->fill(seed);
      request_id_prefix = core::hexEncode(seed) + "-";
    }
    if (hooks.metrics != nullptr) {
      for (const auto& route : router.routes()) {
        route_metrics.push_back(&hooks.metrics->route(route->pattern));
      }
      unmatched_metrics = &hooks.metrics->route(kUnmatchedRoute);
    }
  }

  ~Impl() {
    destroying = true;
    // Jobs on the pool hold work on `ioc` and will post to it; wait for them
    // before it goes.
    std::unique_lock lock(jobs_mutex);
    jobs_done.wait(lock, [this] { return pending_jobs == 0; });
  }

  void logError(std::string_view message) const {
    if (hooks.error_log) hooks.error_log(message);
  }

  // The completion of a coroutine serving a connection: logs what it threw.
  void reportFailure(const std::exception_ptr& e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      logError(std::string("connection failed: ") + error.what());
    }
  }

  // Held by a coroutine serving a connection: closes it however the
  // coroutine ends (even when the io_context is destroyed with it
  // suspended), unless it was handed on to awaitRequest().
  struct ConnectionGuard {
    Impl* impl;
    Connection* conn;
    bool handed_off = false;
    ~ConnectionGuard() {
      if (!handed_off) impl->finishConnection(*conn);
    }
  };

  Result<void, std::string> start();
  void run();
  void beginStop();
  void finishStop();
  void connectionClosed(std::size_t slot);
  void rejectOverCapacity(tcp::socket& socket);
  void shedConnection(std::size_t slot);
  void logAcceptError(const beast::error_code& ec);

  asio::awaitable<void> acceptLoop();
  void watchDeadline(std::shared_ptr<Connection> conn);
  void awaitRequest(std::shared_ptr<Connection> conn);
  void finishConnection(Connection& conn);
  asio::awaitable<void> serveRequests(std::shared_ptr<Connection> conn, std::size_t prefetched);
  asio::awaitable<bool> serveRequest(Connection& conn, BeastRequest& message,
                                     SteadyClock::time_point started);
  Dispatched dispatch(Connection& conn, BeastRequest& message, const std::string& request_id);
  bool prepareWire(Dispatched& dispatched, std::string& wire, unsigned version, bool head,
                   const std::string& request_id);
  asio::awaitable<bool> complete(Connection& conn, Dispatched& dispatched, unsigned version,
                                 bool head, const std::string& request_id,
                                 SteadyClock::time_point started, const BeastRequest* message);
  bool serveAtOnce(const std::shared_ptr<Connection>& conn, std::size_t prefetched);
  asio::awaitable<void> serveBlocking(std::shared_ptr<Connection> conn, Dispatched dispatched,
                                      unsigned version, bool head, std::string request_id,
                                      SteadyClock::time_point started);
  void continueOrFinish(std::shared_ptr<Connection> conn, bool keep_alive);
  asio::awaitable<void> answerReadError(Connection& conn, int status, const BeastRequest* message);
  asio::awaitable<bool> writeResponse(Connection& conn, Response& response, unsigned version,
                                      bool head, bool keep_alive);
  asio::awaitable<void> lingerAndClose(Connection& conn);

  asio::awaitable<Outcome> runBlocking(const Route& route, Request& request);
  void jobStarted();
  void jobFinished();

  std::string newRequestId(const BeastRequest* message);
  void record(const Request* request, const BeastRequest* message, std::string_view route_name,
              std::size_t route_index, const Response& response, std::string_view request_id,
              std::string_view remote, SteadyClock::time_point started);

  ServerOptions options;
  Router& router;
  core::WorkerPool& pool;
  ServerHooks hooks;
  // Set when the Impl is being destroyed: coroutine frames destroyed with
  // the io_context must not post to it any more.
  bool destroying = false;

  // Declared before everything that does I/O on it, so that it outlives them.
  asio::io_context ioc;
  // The acceptor, timers, signals and the connection table live on this
  // strand; each connection has its own (or, with one I/O thread, the
  // io_context's executor).
  asio::strand<asio::io_context::executor_type> control;
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;
  asio::steady_timer retry_timer;
  std::optional<asio::signal_set> signals;
  // By slot; the slots decide admission and shedding (connection_slots.h).
  std::unordered_map<std::size_t, std::shared_ptr<Connection>> connections;
  ConnectionSlots slots;
  SteadyClock::time_point last_accept_error_log{};
  std::size_t unlogged_accept_errors = 0;
  bool stop_begun = false;
  bool listening = false;

  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::uint64_t> request_counter{0};
  std::atomic<bool> forwarded_for_reported{false};
  std::atomic<std::uint16_t> bound_port{0};
  std::string request_id_prefix;

  std::vector<RouteMetrics*> route_metrics;  // by Route::index
  RouteMetrics* unmatched_metrics = nullptr;

  std::mutex jobs_mutex;
  std::condition_variable jobs_done;
  std::size_t pending_jobs = 0;
};

Result<void, std::string> Server::Impl::start() {
  auto address = parseListenAddress(options.listen);
  if (!address) return unexpected("invalid listen address: " + address.error());
  const std::string where = options.listen;

  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(address->host, std::to_string(address->port),
                                  tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return unexpected("cannot resolve " + address->host + ": " +
                      (ec ? ec.message() : std::string("no addresses")));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();

  auto fail = [&](std::string_view step) -> Result<void, std::string> {
    beast::error_code ignored;
    acceptor.close(ignored);
    return unexpected("cannot " + std::string(step) + " " + where + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open a socket for");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("configure");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("listen on");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  bound_port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("inspect");

  asio::co_spawn(control, acceptLoop(), [this](const std::exception_ptr& e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      logError(std::string("accept loop failed: ") + error.what());
    }
  });
  listening = true;
  return {};
}

void Server::Impl::run() {
  if (!listening) return;
  const std::size_t extra = std::max<std::size_t>(1, options.io_threads) - 1;
  auto loop = [this] {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        logError(std::string("I/O loop: ") + e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(extra);
  for (std::size_t i = 0; i < extra; ++i) threads.emplace_back(loop);
  loop();
  for (std::thread& thread : threads) thread.join();
}

void Server::Impl::beginStop() {
  if (stop_begun) return;
  stop_begun = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  retry_timer.cancel();
  if (signals) signals->cancel(ignored);
  for (const auto& [id, conn] : connections) {
    asio::post(conn->socket.get_executor(), [conn = conn] {
      if (!conn->idle) return;
      beast::error_code ignore;
      conn->socket.cancel(ignore);
    });
  }
  if (connections.empty()) {
    finishStop();
    return;
  }
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([this](beast::error_code ec) {
    // The last connection may have gone just as the timer fired.
    if (ec || connections.empty()) return;
    logError("shutdown grace period over; closing " + std::to_string(connections.size()) +
             " connection(s)");
    // Close every socket on its own strand, then stop the loop; handlers
    // still running on the pool finish into a stopped io_context.
    auto remaining = std::make_shared<std::atomic<std::size_t>>(connections.size());
    for (const auto& [id, conn] : connections) {
      asio::post(conn->socket.get_executor(), [this, conn = conn, remaining] {
        beast::error_code ignore;
        conn->socket.close(ignore);
        if (remaining->fetch_sub(1) == 1) ioc.stop();
      });
    }
  });
}

void Server::Impl::finishStop() {
  grace_timer.cancel();
  beast::error_code ignored;
  if (signals) signals->cancel(ignored);
}

void Server::Impl::connectionClosed(std::size_t slot) {
  connections.erase(slot);
  slots.release(slot);
  open_connections = connections.size();
  if (hooks.metrics != nullptr) hooks.metrics->setOpenConnections(connections.size());
  if (stop_begun && connections.empty()) finishStop();
}

void Server::Impl::rejectOverCapacity(tcp::socket& socket) {
  if (hooks.metrics != nullptr) hooks.metrics->countOverloadRejection();
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kOverCapacityResponse), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Closes a connection that ConnectionSlots chose to shed, on its own strand:
// its pending read fails and the coroutine ends (and releases the slot).
void Server::Impl::shedConnection(std::size_t slot) {
  if (hooks.metrics != nullptr) hooks.metrics->countShedConnection();
  const auto it = connections.find(slot);
  if (it == connections.end()) return;
  asio::post(it->second->socket.get_executor(), [conn = it->second] {
    beast::error_code ignored;
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
  });
}

// At most one line a second, however fast accept() fails.
void Server::Impl::logAcceptError(const beast::error_code& ec) {
  const auto now = SteadyClock::now();
  if (now - last_accept_error_log < std::chrono::seconds(1)) {
    ++unlogged_accept_errors;
    return;
  }
  std::string message = "accept: " + ec.message();
  if (unlogged_accept_errors > 0) {
    message += " (and " + std::to_string(unlogged_accept_errors) + " more failures not logged)";
  }
  if (ec == asio::error::no_descriptors ||
      ec == beast::errc::make_error_code(beast::errc::too_many_files_open_in_system)) {
    message +=
        "; out of file descriptors: raise the open-file limit or lower "
        "http.max_connections";
  }
  logError(message);
  last_accept_error_log = now;
  unlogged_accept_errors = 0;
}

asio::awaitable<void> Server::Impl::acceptLoop() {
  for (;;) {
    // With one I/O thread nothing runs concurrently, and a strand per
    // connection would only add a queue to every completion.
    tcp::socket socket = options.io_threads > 1 ? tcp::socket(asio::make_strand(ioc))
                                                : tcp::socket(ioc.get_executor());
    auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
    if (stop_begun || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors (EMFILE, ENFILE) or kernel memory: the
      // pending connection stays in the backlog and accept() would fail
      // again at once. Give back a descriptor by shedding the connection
      // that has waited the longest, and wait a moment rather than spin.
      logAcceptError(ec);
      std::chrono::milliseconds pause(100);
      if (ec == asio::error::no_descriptors ||
          ec == beast::errc::make_error_code(beast::errc::too_many_files_open_in_system) ||
          ec == asio::error::no_buffer_space || ec == asio::error::no_memory) {
        if (const auto victim = slots.shedOne()) {
          shedConnection(*victim);
          pause = std::chrono::milliseconds(10);
        }
      }
      retry_timer.expires_after(pause);
      co_await retry_timer.async_wait(kUseTuple);
      continue;
    }
    // At the cap, the connection that has waited the longest for a request
    // (a slowloris, an old idle keep-alive one) makes room; only when every
    // connection is busy is the newcomer refused.
    const ConnectionSlots::Admission admission =
        slots.admit(SteadyClock::now().time_since_epoch().count());
    if (admission.shed) shedConnection(*admission.shed);
    if (!admission.slot) {
      rejectOverCapacity(socket);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const std::size_t slot = *admission.slot;
    auto conn = std::make_shared<Connection>(std::move(socket), slot);
    const tcp::endpoint peer = conn->socket.remote_endpoint(ignored);
    if (!ignored) {
      // Canonical text, an IPv4-mapped peer as plain IPv4 (client_address.h).
      const std::string text = peer.address().to_string();
      const std::optional<IpAddress> address = IpAddress::parse(text);
      conn->remote = address ? address->str() : text;
    }
    connections.emplace(slot, conn);
    open_connections = connections.size();
    if (hooks.metrics != nullptr) hooks.metrics->setOpenConnections(connections.size());

    asio::post(conn->socket.get_executor(), [this, conn] {
      watchDeadline(conn);
      awaitRequest(conn);
    });
  }
}

// Cancels the connection's socket when its deadline passes; the operation
// in progress then fails and sees `timed_out`. A plain handler rather than a
// coroutine, woken when the timer expires or setDeadline() moves it earlier
// (which cancels the wait), until the connection is finished. An expiry
// before the recorded deadline (which only moved later) re-arms the timer
// for it.
void Server::Impl::watchDeadline(std::shared_ptr<Connection> conn) {
  Connection& connection = *conn;
  connection.deadline.async_wait([this, conn = std::move(conn)](const beast::error_code&) mutable {
    if (conn->finished) return;
    const auto now = SteadyClock::now();
    if (conn->deadline_at <= now) {
      conn->timed_out = true;
      conn->clearDeadline();
      beast::error_code ignored;
      conn->socket.cancel(ignored);
    }
    if (conn->deadline.expiry() <= now) conn->deadline.expires_at(conn->deadline_at);
    watchDeadline(std::move(conn));
  });
}

// Waits for the next request's first byte without a coroutine frame or a
// read buffer, so that an idle connection costs its socket, its timer and
// little else (10,000 idle connections, issue 7 C.8). A new connection has
// header_timeout from its accept for the whole head (one deadline, which
// trickled bytes do not extend); a kept-alive one idle_timeout for the first
// byte, then header_timeout for the rest. stop() cancels the wait.
void Server::Impl::awaitRequest(std::shared_ptr<Connection> conn) {
  if (stopping) {
    finishConnection(*conn);
    return;
  }
  conn->idle = true;
  conn->setDeadline(conn->kept_alive ? options.idle_timeout : options.header_timeout);
  Connection& connection = *conn;
  auto arrived = [this, conn = std::move(conn)](const beast::error_code& ec,
                                                std::size_t prefetched) {
    conn->idle = false;
    if (ec || stopping) {
      finishConnection(*conn);
      return;
    }
    if (prefetched > 0 && serveAtOnce(conn, prefetched)) return;
    if (conn->kept_alive) conn->setDeadline(options.header_timeout);
    const auto executor = conn->socket.get_executor();
    asio::co_spawn(executor, serveRequests(conn, prefetched),
                   [this](const std::exception_ptr& e) { reportFailure(e); });
  };
  if (!connection.kept_alive) {
    connection.socket.async_wait(
        tcp::socket::wait_read,
        [arrived = std::move(arrived)](const beast::error_code& ec) { arrived(ec, 0); });
    return;
  }
  // A kept-alive connection reads: after a response the reactor has
  // already seen the socket drained, so the read waits for the next edge
  // with no system call, where waiting for readability would re-register
  // the socket with epoll every time.
  if (!connection.idle_bytes) {
    connection.idle_bytes = std::make_unique<std::array<char, kIdleReadBytes>>();
  }
  connection.socket.async_read_some(
      asio::buffer(*connection.idle_bytes),
      [arrived = std::move(arrived)](const beast::error_code& ec, std::size_t n) {
        // A clean end of the stream is the client leaving, as an error is.
        arrived(ec ? ec : (n == 0 ? beast::error_code(asio::error::eof) : ec), n);
      });
}

// Closes the connection and gives its slot back, once.
void Server::Impl::finishConnection(Connection& conn) {
  if (conn.finished) return;
  conn.finished = true;
  conn.deadline.cancel();
  beast::error_code ignored;
  conn.socket.shutdown(tcp::socket::shutdown_both, ignored);
  conn.socket.close(ignored);
  if (destroying) return;
  asio::post(control, [this, slot = conn.slot] { connectionClosed(slot); });
}

// Serves the requests that have begun to arrive, pipelined ones included,
// until the connection closes or has nothing more to read; then hands it to
// awaitRequest() and ends, freeing the frame and the buffer.
asio::awaitable<void> Server::Impl::serveRequests(std::shared_ptr<Connection> conn,
                                                  std::size_t prefetched) {
  ConnectionGuard cleanup{this, conn.get()};

  beast::flat_buffer buffer;
  buffer.reserve(kReadChunk);  // first: one allocation, not two
  if (prefetched > 0) {        // what awaitRequest() read
    const auto space = buffer.prepare(prefetched);
    std::memcpy(space.data(), conn->idle_bytes->data(), prefetched);
    buffer.commit(prefetched);
  }
  alignas(std::max_align_t) std::array<std::byte, kFieldArenaBytes> arena_bytes;
  std::pmr::monotonic_buffer_resource arena(arena_bytes.data(), arena_bytes.size());
  for (;;) {
    arena.release();  // the previous request's message and parser are gone
    RequestParser parser(std::piecewise_construct, std::make_tuple(),
                         std::make_tuple(FieldAllocator(&arena)));
    limitParser(parser, options);

    auto [header_ec, header_n] =
        co_await bhttp::async_read_header(conn->socket, buffer, parser, kUseTuple);
    // From here the connection has a request to serve and is not shed; if
    // it was shed just before, it is closing and the request is dropped.
    if (!header_ec && !slots.markBusy(conn->slot)) co_return;
    if (header_ec) {
      const std::optional<int> status = statusForReadError(header_ec, conn->timed_out);
      // A declared Content-Length over the limit fails here, while the
      // fields are read; the request line (and so the target) is known.
      if (status) {
        const bool line_read = parser.is_header_done() || header_ec == bhttp::error::body_limit;
        co_await answerReadError(*conn, *status, line_read ? &parser.get() : nullptr);
      }
      co_return;
    }
    const auto started = SteadyClock::now();
    if (!parser.is_done()) {
      const BeastRequest& head = parser.get();
      if (head.version() >= 11 && equalsIgnoreCase(head[bhttp::field::expect], "100-continue")) {
        conn->setDeadline(options.body_timeout);
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [write_ec, written] =
            co_await asio::async_write(conn->socket, asio::buffer(kContinue), kUseTuple);
        if (write_ec) co_return;
      }
      conn->setDeadline(options.body_timeout);
      auto [body_ec, body_n] = co_await bhttp::async_read(conn->socket, buffer, parser, kUseTuple);
      if (body_ec) {
        const std::optional<int> status = statusForReadError(body_ec, conn->timed_out);
        if (status) co_await answerReadError(*conn, *status, &parser.get());
        co_return;
      }
    }
    conn->clearDeadline();

    BeastRequest message = parser.release();
    const bool keep_alive = co_await serveRequest(*conn, message, started);
    if (!keep_alive) co_return;
    conn->kept_alive = true;
    if (!slots.markWaiting(conn->slot, SteadyClock::now().time_since_epoch().count())) co_return;
    if (buffer.size() == 0) {
      cleanup.handed_off = true;
      awaitRequest(std::move(conn));
      co_return;
    }
    conn->setDeadline(options.header_timeout);  // a pipelined request
  }
}

asio::awaitable<bool> Server::Impl::serveRequest(Connection& conn, BeastRequest& message,
                                                 SteadyClock::time_point started) {
  const std::string request_id = newRequestId(&message);
  const bool head = message.method() == bhttp::verb::head;
  Dispatched dispatched = dispatch(conn, message, request_id);
  co_return co_await complete(conn, dispatched, message.version(), head, request_id, started,
                              &message);
}

Dispatched Server::Impl::dispatch(Connection& conn, BeastRequest& message,
                                  const std::string& request_id) {
  Dispatched out;
  out.keep_alive = message.keep_alive();
  auto answer = [&out](Response response) -> Dispatched {
    out.outcome = Outcome{std::move(response), {}};
    return std::move(out);
  };

  const std::optional<Method> method = parseMethod(message.method_string());
  if (!method) {
    // A method we do not serve (TRACE, CONNECT, a made-up or lower-case
    // one) is the client's doing: 405 with the path's methods, as for a
    // known method the path does not take, or 404 for an unknown path.
    // Not RFC 9110's suggested 501: a 5xx would count junk traffic as our
    // failure in every operator's error rate (and MAS answers 405 too).
    out.keep_alive = false;
    auto target = parseRequestTarget(message.target());
    if (!target) {
      return answer(
          errorResponse(400, "invalid_request",
                        std::string("request target: ") + std::string(describe(target.error()))));
    }
    const RouteMatch unknown = router.matchUnknownMethod(target->path);
    if (unknown.kind != RouteMatch::Kind::MethodNotAllowed) {
      return answer(errorResponse(404, "not_found"));
    }
    Response response = errorResponse(405, "method_not_allowed");
    response.headers.add("Allow", unknown.allow);
    return answer(std::move(response));
  }
  auto converted = toRequest(*method, message, conn.remote, options.trusted_proxies);
  if (!converted) {
    out.keep_alive = false;
    return answer(
        errorResponse(400, "invalid_request",
                      std::string("request target: ") + std::string(describe(converted.error()))));
  }

  Request& request = out.request.emplace(std::move(*converted));
  if (options.trusted_proxies.empty()) {
    if (hooks.warning_log && request.headers.contains("X-Forwarded-For") &&
        !forwarded_for_reported.exchange(true)) {
      hooks.warning_log("a request from " + conn.remote +
                        " carried X-Forwarded-For, which is ignored because "
                        "http.trusted_proxies is empty; if mxauth runs behind a reverse proxy, "
                        "list the proxy there, or all its clients share one login rate limit "
                        "(said once)");
    }
  }
  request.request_id = request_id;

  RouteMatch match = router.match(request.method, request.path);
  switch (match.kind) {
    case RouteMatch::Kind::NotFound: {
      out.outcome = invokeHandler(router.notFound(), request);
      if (!out.outcome->failure.empty()) {
        logError("not-found handler threw: " + out.outcome->failure);
      }
      return out;
    }
    case RouteMatch::Kind::MethodNotAllowed: {
      Response response = errorResponse(405, "method_not_allowed");
      response.headers.add("Allow", match.allow);
      return answer(std::move(response));
    }
    case RouteMatch::Kind::Found:
      break;
  }

  const Route& route = *match.route;
  out.route = &route;
  out.route_name = route.pattern;
  out.route_index = route.index;
  request.path_params = std::move(match.params);
  switch (route.options.execution) {
    case Execution::Inline:
      out.outcome = invokeHandler(route.handler, request);
      break;
    case Execution::Blocking:
      if (route.options.fast_path) out.outcome = invokeFastPath(route.options.fast_path, request);
      break;
  }
  if (out.outcome && !out.outcome->failure.empty()) {
    logError("handler for " + std::string(methodName(route.method)) + " " + route.pattern +
             " threw (request " + request_id + "): " + out.outcome->failure);
  }
  return out;
}

// Checks the outcome's response, adds the server's fields and serializes it
// into `wire`; false when the connection is to close after it.
bool Server::Impl::prepareWire(Dispatched& dispatched, std::string& wire, unsigned version,
                               bool head, const std::string& request_id) {
  Response& response = dispatched.outcome->response;
  if (auto defect = findResponseDefect(response)) {
    logError("handler for " + std::string(dispatched.route_name) +
             " returned a bad response: " + *defect);
    response = serverError();
  }
  applyDefaultHeaders(response, request_id, options.strict_transport_security);
  if (stopping) dispatched.keep_alive = false;
  serializeResponse(wire, response, version, head, dispatched.keep_alive);
  return dispatched.keep_alive;
}

// Runs the route on the pool if the dispatch left it there, writes the
// response and records it; true when the connection stays open.
asio::awaitable<bool> Server::Impl::complete(Connection& conn, Dispatched& dispatched,
                                             unsigned version, bool head,
                                             const std::string& request_id,
                                             SteadyClock::time_point started,
                                             const BeastRequest* message) {
  if (!dispatched.outcome) {
    const Route& route = *dispatched.route;
    dispatched.outcome = co_await runBlocking(route, *dispatched.request);
    if (!dispatched.outcome->failure.empty()) {
      logError("handler for " + std::string(methodName(route.method)) + " " + route.pattern +
               " threw (request " + request_id + "): " + dispatched.outcome->failure);
    }
  }
  std::string wire;
  const bool keep_alive = prepareWire(dispatched, wire, version, head, request_id);
  conn.setDeadline(options.body_timeout);
  auto [ec, n] = co_await asio::async_write(conn.socket, asio::buffer(wire), kUseTuple);
  conn.clearDeadline();
  const Request* request = dispatched.request ? &*dispatched.request : nullptr;
  record(request, message, dispatched.route_name, dispatched.route_index,
         dispatched.outcome->response, request_id, conn.remote, started);
  co_return !ec && keep_alive;
}

// A kept-alive connection's next request, when all of it came with the
// first read (awaitRequest's prefetched bytes, exactly one request): parsed,
// dispatched and answered right here, without a coroutine, a read buffer or
// a trip through the scheduler, as long as nothing has to wait. A route
// that needs the worker pool continues in a coroutine from the dispatched
// request. False (nothing done) for anything else: a partial or pipelined
// request, an oversized or malformed one; serveRequests() then reads it as
// usual, and answers errors.
bool Server::Impl::serveAtOnce(const std::shared_ptr<Connection>& conn, std::size_t prefetched) {
  alignas(std::max_align_t) std::array<std::byte, kFieldArenaBytes> arena_bytes;
  std::pmr::monotonic_buffer_resource arena(arena_bytes.data(), arena_bytes.size());
  RequestParser parser(std::piecewise_construct, std::make_tuple(),
                       std::make_tuple(FieldAllocator(&arena)));
  limitParser(parser, options);
  parser.eager(true);
  beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < prefetched) {
    const std::size_t n =
        parser.put(asio::buffer(conn->idle_bytes->data() + used, prefetched - used), ec);
    if (ec || n == 0) return false;
    used += n;
  }
  if (!parser.is_done() || used != prefetched) return false;
  if (!slots.markBusy(conn->slot)) {  // shed just before: the request is dropped
    finishConnection(*conn);
    return true;
  }
  const auto started = SteadyClock::now();
  conn->clearDeadline();
  BeastRequest message = parser.release();
  const std::string request_id = newRequestId(&message);
  const bool head = message.method() == bhttp::verb::head;
  const unsigned version = message.version();
  Dispatched dispatched = dispatch(*conn, message, request_id);
  if (!dispatched.outcome) {
    // The request was converted (a route was found), so the coroutine needs
    // nothing of the message, whose fields live in this frame's arena.
    asio::co_spawn(conn->socket.get_executor(),
                   serveBlocking(conn, std::move(dispatched), version, head, request_id, started),
                   [this](const std::exception_ptr& e) { reportFailure(e); });
    return true;
  }

  thread_local std::string wire;
  const bool keep_alive = prepareWire(dispatched, wire, version, head, request_id);
  // The socket is non-blocking (Asio keeps it so); a response to a request
  // that arrived in one read almost always fits the send buffer at once.
  const ssize_t sent =
      ::send(conn->socket.native_handle(), wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  const bool failed = sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
  const Request* request = dispatched.request ? &*dispatched.request : nullptr;
  record(request, &message, dispatched.route_name, dispatched.route_index,
         dispatched.outcome->response, request_id, conn->remote, started);
  const std::size_t done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
  std::shared_ptr<std::string> rest;
  if (!failed && done < wire.size()) rest = std::make_shared<std::string>(wire, done);
  if (wire.capacity() > kReadChunk * 16) wire = std::string();  // a huge answer is not kept
  if (!rest) {
    continueOrFinish(conn, !failed && keep_alive);
    return true;
  }
  // The rest waits for room in the send buffer.
  conn->setDeadline(options.body_timeout);
  Connection& connection = *conn;
  asio::async_write(connection.socket, asio::buffer(*rest),
                    [this, conn = conn, rest, keep_alive](const beast::error_code& write_ec,
                                                          std::size_t) mutable {
                      conn->clearDeadline();
                      continueOrFinish(std::move(conn), !write_ec && keep_alive);
                    });
  return true;
}

// A route of serveAtOnce() that runs on the worker pool; the connection
// then waits for its next request as after any other.
asio::awaitable<void> Server::Impl::serveBlocking(std::shared_ptr<Connection> conn,
                                                  Dispatched dispatched, unsigned version,
                                                  bool head, std::string request_id,
                                                  SteadyClock::time_point started) {
  ConnectionGuard cleanup{this, conn.get()};
  const bool keep_alive =
      co_await complete(*conn, dispatched, version, head, request_id, started, nullptr);
  cleanup.handed_off = true;
  continueOrFinish(std::move(conn), keep_alive);
}

// After a response: the connection waits for its next request, or closes.
void Server::Impl::continueOrFinish(std::shared_ptr<Connection> conn, bool keep_alive) {
  if (!keep_alive) {
    finishConnection(*conn);
    return;
  }
  conn->kept_alive = true;
  if (!slots.markWaiting(conn->slot, SteadyClock::now().time_since_epoch().count())) {
    finishConnection(*conn);
    return;
  }
  awaitRequest(std::move(conn));
}

asio::awaitable<Outcome> Server::Impl::runBlocking(const Route& route, Request& request) {
  // The coroutine stays suspended until the pool's job posts the outcome
  // back to the connection's strand; the work guard keeps run() going
  // meanwhile, even during a graceful stop. A full queue answers 503 at once.
  auto initiate = [this, &route, &request](auto handler) {
    using HandlerType = decltype(handler);
    struct Job {
      HandlerType handler;
      asio::executor_work_guard<asio::io_context::executor_type> work;
    };
    auto job = std::make_shared<Job>(Job{std::move(handler), asio::make_work_guard(ioc)});
    auto complete = [this, job](Outcome outcome) {
      const auto executor = asio::get_associated_executor(job->handler, ioc.get_executor());
      asio::post(executor,
                 [handler = std::move(job->handler), result = std::move(outcome)]() mutable {
                   std::move(handler)(std::move(result));
                 });
      job->work.reset();
    };
    jobStarted();
    core::WorkerPool& target = route.options.pool != nullptr ? *route.options.pool : pool;
    const bool own = &target == &pool;
    const bool accepted = target.trySubmit([this, &route, &request, complete, own] {
      if (own && hooks.metrics != nullptr) hooks.metrics->setBlockingQueueDepth(pool.queued());
      complete(invokeHandler(route.handler, request));
      jobFinished();
    });
    if (own && hooks.metrics != nullptr) hooks.metrics->setBlockingQueueDepth(pool.queued());
    if (accepted) return;
    jobFinished();
    if (hooks.metrics != nullptr) hooks.metrics->countOverloadRejection();
    complete(Outcome{overloaded(), {}});
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(Outcome)>(
      initiate, asio::use_awaitable);
}

void Server::Impl::jobStarted() {
  std::lock_guard lock(jobs_mutex);
  ++pending_jobs;
}

void Server::Impl::jobFinished() {
  std::lock_guard lock(jobs_mutex);
  --pending_jobs;
  if (pending_jobs == 0) jobs_done.notify_all();
}

asio::awaitable<bool> Server::Impl::writeResponse(Connection& conn, Response& response,
                                                  unsigned version, bool head, bool keep_alive) {
  std::string wire;
  serializeResponse(wire, response, version, head, keep_alive);
  conn.setDeadline(options.body_timeout);
  auto [ec, n] = co_await asio::async_write(conn.socket, asio::buffer(wire), kUseTuple);
  conn.clearDeadline();
  co_return !ec;
}

asio::awaitable<void> Server::Impl::answerReadError(Connection& conn, int status,
                                                    const BeastRequest* message) {
  const std::string request_id = newRequestId(message);
  const auto started = SteadyClock::now();
  Response response = transportError(status, message);
  applyDefaultHeaders(response, request_id, options.strict_transport_security);
  const unsigned version = message != nullptr && message->version() == 10 ? 10 : 11;
  const bool written = co_await writeResponse(conn, response, version, false, false);
  record(nullptr, message, kUnmatchedRoute, 0, response, request_id, conn.remote, started);
  if (written) co_await lingerAndClose(conn);
}

asio::awaitable<void> Server::Impl::lingerAndClose(Connection& conn) {
  beast::error_code ignored;
  conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
  conn.setDeadline(kLingerTime);
  std::vector<char> scratch(kReadChunk);
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [ec, n] = co_await conn.socket.async_read_some(asio::buffer(scratch), kUseTuple);
    if (ec) break;
    drained += n;
  }
  conn.clearDeadline();
}

std::string Server::Impl::newRequestId(const BeastRequest* message) {
  if (message != nullptr) {
    const auto incoming = message->find("X-Request-Id");
    if (incoming != message->end() && isAcceptableRequestId(incoming->value())) {
      return std::string(incoming->value());
    }
  }
  char digits[17];
  const auto [end, ec] =
      std::to_chars(digits, digits + sizeof digits, request_counter.fetch_add(1) + 1, 16);
  return request_id_prefix + std::string(digits, end);
}

void Server::Impl::record(const Request* request, const BeastRequest* message,
                          std::string_view route_name, std::size_t route_index,
                          const Response& response, std::string_view request_id,
                          std::string_view remote, SteadyClock::time_point started) {
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  std::optional<Method> method;
  if (request != nullptr) {
    method = request->method;
  } else if (message != nullptr) {
    method = parseMethod(message->method_string());
  }
  if (hooks.metrics != nullptr) {
    // A route added after the Server was built has no slot; count it as
    // unmatched rather than index past the table.
    RouteMetrics* metrics = route_name == kUnmatchedRoute || route_index >= route_metrics.size()
                                ? unmatched_metrics
                                : route_metrics[route_index];
    metrics->record(method, response.status, seconds);
  }
  if (!hooks.access_log) return;

  AccessLogEntry entry;
  if (hooks.clock != nullptr) entry.time = hooks.clock->now();
  std::string_view user_agent;
  if (request != nullptr) {
    entry.method = methodName(request->method);
    entry.path = request->path;
    user_agent = request->header("User-Agent").value_or(std::string_view());
  } else if (message != nullptr) {
    entry.method = message->method_string();
    entry.path = message->target();
    const auto ua = message->find(bhttp::field::user_agent);
    if (ua != message->end()) user_agent = ua->value();
  }
  entry.route = route_name;
  entry.status = response.status;
  entry.duration_ms = seconds * 1000.0;
  entry.request_id = request_id;
  entry.remote = request != nullptr ? std::string_view(request->remote_address) : remote;
  if (entry.remote != remote) entry.peer = remote;
  entry.bytes = response.body.size();
  entry.user_agent = user_agent;
  // Formatted into a buffer this thread keeps (the hook copies the line).
  thread_local std::string line;
  line.clear();
  appendAccessLog(line, entry);
  hooks.access_log(line);
  if (line.capacity() > 4096) line = std::string();  // one huge line is not kept
}

Server::Server(ServerOptions options, Router& router, core::WorkerPool& blocking_pool,
               ServerHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(options), router, blocking_pool, std::move(hooks))) {}

Server::~Server() = default;

Result<void, std::string> Server::start() { return impl_->start(); }

std::uint16_t Server::boundPort() const { return impl_->bound_port; }

void Server::run() { impl_->run(); }

void Server::stop() {
  impl_->stopping = true;
  asio::post(impl_->control, [impl = impl_.get()] { impl->beginStop(); });
}

void Server::runUntilSignal() {
  Impl& impl = *impl_;
  impl.signals.emplace(impl.control, SIGINT, SIGTERM);
  impl.signals->async_wait([this](beast::error_code ec, int) {
    if (!ec) stop();
  });
  impl.run();
  impl.signals.reset();
}

std::size_t Server::openConnections() const { return impl_->open_connections; }

}  // namespace mxauth::http
