#pragma once

// The route table: the one place that says which handler answers which
// method and path. Patterns are exact paths in which a whole segment may be
// a parameter, "{name}": "/_matrix/client/{version}/login". A parameter
// matches one non-empty segment; literal patterns win over parameterised
// ones, and among parameterised patterns the first added wins.
//
// Routes are added while the program is assembled, before the Server is
// constructed; the table is read-only (and so thread-safe) afterwards. A
// malformed or duplicate pattern is a programming error and throws
// std::logic_error at start-up.

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/string_map.h"
#include "core/worker_pool.h"
#include "http/request.h"
#include "http/response.h"

namespace mxauth::http {

using Handler = std::function<Response(Request&)>;
// Runs on the I/O thread before a Blocking handler; an answer it gives is
// sent at once, nullopt sends the request on to the worker pool.
using FastPath = std::function<std::optional<Response>(Request&)>;

enum class Execution {
  // Runs on the I/O thread: only for cheap work that never blocks
  // (discovery documents, metrics, static answers).
  Inline,
  // Runs on the worker pool (database calls, password hashing); when the
  // pool's queue is full the server answers 503 at once.
  Blocking,
};

struct RouteOptions {
  Execution execution = Execution::Blocking;
  FastPath fast_path;
  // For Blocking routes: the pool to run on, nullptr for the server's.
  // Password routes get their own small pool (app/service.cpp), so that a
  // flood of logins queues and is shed there, never in front of the
  // database work of every other route.
  core::WorkerPool* pool = nullptr;
};

struct Route {
  std::size_t index = 0;  // dense from 0, for per-route tables such as metrics
  Method method = Method::Get;
  std::string pattern;  // also the route's stable name in metrics and logs
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  enum class Kind { Found, MethodNotAllowed, NotFound };

  Kind kind = Kind::NotFound;
  const Route* route = nullptr;  // set when Found
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;  // for MethodNotAllowed: "GET, HEAD, POST"
};

class Router {
 public:
  Router();

  Router& add(Method method, std::string pattern, Handler handler, RouteOptions options = {});

  // Answers paths that no route matches. The default answers 404
  // {"error":"not_found"}.
  void setNotFound(Handler handler);
  const Handler& notFound() const { return not_found_; }

  // GET routes also answer HEAD unless a HEAD route is added for the path;
  // the server then drops the body.
  RouteMatch match(Method method, std::string_view path) const;
  // For a method this server does not know (not a Method): MethodNotAllowed
  // with the path's methods in `allow` when some route serves the path,
  // else NotFound.
  RouteMatch matchUnknownMethod(std::string_view path) const;

  // Sends the Blocking route METHOD PATTERN (as added) to POOL; false when
  // no such route exists. Call before the server starts.
  bool setPool(Method method, std::string_view pattern, core::WorkerPool* pool);

  // Every route, in the order added; addresses are stable.
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  RouteMatch matchAny(std::optional<Method> method, std::string_view path) const;

  struct Segment {
    std::string text;  // the literal, or the parameter's name
    bool is_param = false;
  };
  struct PathEntry {
    std::string pattern;
    std::vector<Segment> segments;
    std::array<const Route*, kMethodCount> by_method{};
  };

  static bool matches(const PathEntry& entry, std::string_view path,
                      std::vector<std::pair<std::string, std::string>>* params);
  static const Route* routeFor(const PathEntry& entry, Method method);

  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<PathEntry> entries_;
  // Transparent, so that match() looks paths up without copying them.
  core::StringMap<std::size_t> literal_entries_;
  std::vector<std::size_t> param_entries_;
  Handler not_found_;
};

}  // namespace mxauth::http
