#include "http/router.h"

#include <algorithm>
#include <stdexcept>

namespace mxauth::http {
namespace {

bool isParamNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::size_t methodIndex(Method method) { return static_cast<std::size_t>(method); }

// Calls `fn(segment)` for each '/'-separated segment after the leading '/'.
template <class Fn>
void forEachSegment(std::string_view path, Fn&& fn) {
  path.remove_prefix(1);
  for (;;) {
    const std::size_t slash = path.find('/');
    if (!fn(path.substr(0, slash))) return;
    if (slash == std::string_view::npos) return;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Router::Router() {
  not_found_ = [](Request&) { return Response::json(404, R"({"error":"not_found"})"); };
}

bool Router::setPool(Method method, std::string_view pattern, core::WorkerPool* pool) {
  bool found = false;
  for (const auto& route : routes_) {
    if (route->method == method && route->pattern == pattern &&
        route->options.execution == Execution::Blocking) {
      route->options.pool = pool;
      found = true;
    }
  }
  return found;
}

Router& Router::add(Method method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + pattern);
  }
  if (!handler) throw std::logic_error("route without a handler: " + pattern);

  std::size_t entry_index = 0;
  auto literal = literal_entries_.find(pattern);
  auto param = std::find_if(param_entries_.begin(), param_entries_.end(),
                            [&](std::size_t i) { return entries_[i].pattern == pattern; });
  if (literal != literal_entries_.end()) {
    entry_index = literal->second;
  } else if (param != param_entries_.end()) {
    entry_index = *param;
  } else {
    PathEntry entry;
    entry.pattern = pattern;
    bool has_params = false;
    bool valid = true;
    forEachSegment(pattern, [&](std::string_view text) {
      Segment segment;
      if (text.size() >= 2 && text.front() == '{' && text.back() == '}') {
        segment.is_param = true;
        segment.text = std::string(text.substr(1, text.size() - 2));
        valid = valid && !segment.text.empty();
        for (const char c : segment.text) valid = valid && isParamNameChar(c);
        has_params = true;
      } else {
        segment.text = std::string(text);
        valid = valid && text.find_first_of("{}?#") == std::string_view::npos;
      }
      entry.segments.push_back(std::move(segment));
      return true;
    });
    if (!valid) throw std::logic_error("malformed route pattern: " + pattern);
    entry_index = entries_.size();
    entries_.push_back(std::move(entry));
    if (has_params) {
      param_entries_.push_back(entry_index);
    } else {
      literal_entries_.emplace(pattern, entry_index);
    }
  }

  PathEntry& entry = entries_[entry_index];
  if (entry.by_method[methodIndex(method)] != nullptr) {
    throw std::logic_error("duplicate route: " + std::string(methodName(method)) + " " + pattern);
  }
  auto route = std::make_unique<Route>();
  route->index = routes_.size();
  route->method = method;
  route->pattern = std::move(pattern);
  route->handler = std::move(handler);
  route->options = std::move(options);
  entry.by_method[methodIndex(method)] = route.get();
  routes_.push_back(std::move(route));
  return *this;
}

void Router::setNotFound(Handler handler) {
  if (!handler) throw std::logic_error("not-found handler must be callable");
  not_found_ = std::move(handler);
}

bool Router::matches(const PathEntry& entry, std::string_view path,
                     std::vector<std::pair<std::string, std::string>>* params) {
  std::size_t i = 0;
  bool ok = true;
  forEachSegment(path, [&](std::string_view text) {
    if (i >= entry.segments.size()) return ok = false;
    const Segment& segment = entry.segments[i++];
    if (segment.is_param) {
      if (text.empty()) return ok = false;
      if (params != nullptr) params->emplace_back(segment.text, std::string(text));
      return true;
    }
    return ok = (text == segment.text);
  });
  return ok && i == entry.segments.size();
}

const Route* Router::routeFor(const PathEntry& entry, Method method) {
  const Route* route = entry.by_method[methodIndex(method)];
  if (route == nullptr && method == Method::Head) {
    route = entry.by_method[methodIndex(Method::Get)];
  }
  return route;
}

RouteMatch Router::match(Method method, std::string_view path) const {
  return matchAny(method, path);
}

RouteMatch Router::matchUnknownMethod(std::string_view path) const {
  return matchAny(std::nullopt, path);
}

RouteMatch Router::matchAny(std::optional<Method> method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/') return result;

  std::array<bool, kMethodCount> allowed{};
  bool path_known = false;
  auto consider = [&](const PathEntry& entry) {
    if (const Route* route = method ? routeFor(entry, *method) : nullptr) {
      result.kind = RouteMatch::Kind::Found;
      result.route = route;
      return true;
    }
    path_known = true;
    for (std::size_t m = 0; m < kMethodCount; ++m) {
      allowed[m] = allowed[m] || entry.by_method[m] != nullptr;
    }
    return false;
  };

  if (auto literal = literal_entries_.find(path); literal != literal_entries_.end()) {
    if (consider(entries_[literal->second])) return result;
  }
  for (const std::size_t index : param_entries_) {
    const PathEntry& entry = entries_[index];
    if (!matches(entry, path, nullptr)) continue;
    if (consider(entry)) {
      matches(entry, path, &result.params);
      return result;
    }
  }
  if (!path_known) return result;

  result.kind = RouteMatch::Kind::MethodNotAllowed;
  allowed[methodIndex(Method::Head)] =
      allowed[methodIndex(Method::Head)] || allowed[methodIndex(Method::Get)];
  for (std::size_t m = 0; m < kMethodCount; ++m) {
    if (!allowed[m]) continue;
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += methodName(static_cast<Method>(m));
  }
  return result;
}

}  // namespace mxauth::http
