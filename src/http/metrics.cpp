#include "http/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>
#include <utility>
#include <vector>

namespace mxauth::http {
namespace {

// Index of a status in RouteMetrics' fixed slots, or -1.
int statusSlot(int status) {
  static constexpr std::array<int, 32> kStatuses = {
      200, 201, 202, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406,
      408, 409, 410, 413, 415, 422, 429, 431, 500, 501, 502, 503, 504, 100, 206, 412};
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return static_cast<int>(i);
  }
  return -1;
}

std::string_view methodLabel(std::size_t method_slot) {
  if (method_slot < kMethodCount) return methodName(static_cast<Method>(method_slot));
  return "OTHER";
}

prometheus::Histogram::BucketBoundaries durationBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

RouteMetrics::RouteMetrics(Metrics& metrics, std::string route)
    : metrics_(metrics),
      route_(std::move(route)),
      duration_(metrics.durations_.Add({{"route", route_}}, durationBuckets())) {}

void RouteMetrics::record(std::optional<Method> method, int status, double seconds) {
  const std::size_t method_slot = method ? static_cast<std::size_t>(*method) : kMethodCount;
  counterFor(method_slot, status).Increment();
  duration_.Observe(seconds);
}

prometheus::Counter& RouteMetrics::counterFor(std::size_t method_slot, int status) {
  auto make = [&]() -> prometheus::Counter& {
    return metrics_.requests_.Add({{"route", route_},
                                   {"method", std::string(methodLabel(method_slot))},
                                   {"status", std::to_string(status)}});
  };
  const int slot = statusSlot(status);
  if (slot < 0) {
    std::lock_guard lock(rare_mutex_);
    prometheus::Counter*& counter = rare_counters_[{method_slot, status}];
    if (counter == nullptr) counter = &make();
    return *counter;
  }
  std::atomic<prometheus::Counter*>& cached =
      counters_[method_slot * kStatusSlots + static_cast<std::size_t>(slot)];
  prometheus::Counter* counter = cached.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the existing child for the same labels, so two
    // threads racing here end up with the same counter.
    counter = &make();
    cached.store(counter, std::memory_order_release);
  }
  return *counter;
}

Metrics::Metrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("mxauth_http_requests_total")
                    .Help("HTTP requests answered, by route, method and status")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("mxauth_http_request_duration_seconds")
                     .Help("Time from the complete request to the response, by route")
                     .Register(registry)),
      open_connections_(prometheus::BuildGauge()
                            .Name("mxauth_http_open_connections")
                            .Help("Open client connections")
                            .Register(registry)
                            .Add({})),
      queue_depth_(prometheus::BuildGauge()
                       .Name("mxauth_http_blocking_queue_depth")
                       .Help("Requests waiting for a worker thread")
                       .Register(registry)
                       .Add({})),
      overload_rejections_(prometheus::BuildCounter()
                               .Name("mxauth_http_overload_rejections_total")
                               .Help("Requests and connections refused with 503 because of load")
                               .Register(registry)
                               .Add({})),
      shed_connections_(prometheus::BuildCounter()
                            .Name("mxauth_http_shed_connections_total")
                            .Help("Connections closed to make room for new ones at "
                                  "http.max_connections: the one that waited the longest "
                                  "for a request")
                            .Register(registry)
                            .Add({})) {}

RouteMetrics& Metrics::route(std::string_view name) {
  std::lock_guard lock(routes_mutex_);
  auto it = routes_.find(name);
  if (it == routes_.end()) {
    it = routes_
             .emplace(std::string(name),
                      std::unique_ptr<RouteMetrics>(new RouteMetrics(*this, std::string(name))))
             .first;
  }
  return *it->second;
}

Handler metricsHandler(prometheus::Registry& registry) {
  return [&registry](Request&) {
    const std::vector<prometheus::MetricFamily> families = registry.Collect();
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    Response response;
    response.body = std::move(out).str();
    response.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return response;
  };
}

}  // namespace mxauth::http
