#pragma once

// HTTP metrics in a prometheus-cpp registry:
//   mxauth_http_requests_total{route,method,status}      counter
//   mxauth_http_request_duration_seconds{route}          histogram
//   mxauth_http_open_connections                         gauge
//   mxauth_http_blocking_queue_depth                     gauge
//   mxauth_http_overload_rejections_total                counter
//   mxauth_http_shed_connections_total                   counter
//
// The server looks up one RouteMetrics per route when it starts, so that
// recording a request is an array lookup and atomic increments, with no
// label strings built on the hot path.

#include <array>
#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "http/request.h"
#include "http/router.h"

namespace mxauth::http {

class Metrics;

// The children of the metric families for one route. Thread-safe.
class RouteMetrics {
 public:
  // `method` is nullopt for a method this server does not know.
  void record(std::optional<Method> method, int status, double seconds);

 private:
  friend class Metrics;
  RouteMetrics(Metrics& metrics, std::string route);

  // Statuses this server commonly sends get a slot each; others go through
  // a locked map.
  static constexpr std::size_t kStatusSlots = 32;
  static constexpr std::size_t kMethodSlots = kMethodCount + 1;  // + unknown

  prometheus::Counter& counterFor(std::size_t method_slot, int status);

  Metrics& metrics_;
  std::string route_;
  prometheus::Histogram& duration_;
  std::array<std::atomic<prometheus::Counter*>, kMethodSlots * kStatusSlots> counters_{};
  std::mutex rare_mutex_;
  std::map<std::pair<std::size_t, int>, prometheus::Counter*> rare_counters_;
};

class Metrics {
 public:
  explicit Metrics(prometheus::Registry& registry);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The metrics of the route called `name` (its pattern), created on first
  // use; the reference stays valid as long as this object. Thread-safe.
  RouteMetrics& route(std::string_view name);

  void setOpenConnections(std::size_t n) { open_connections_.Set(static_cast<double>(n)); }
  void setBlockingQueueDepth(std::size_t n) { queue_depth_.Set(static_cast<double>(n)); }
  void countOverloadRejection() { overload_rejections_.Increment(); }
  // A connection closed to make room (http/connection_slots.h).
  void countShedConnection() { shed_connections_.Increment(); }

 private:
  friend class RouteMetrics;

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Gauge& open_connections_;
  prometheus::Gauge& queue_depth_;
  prometheus::Counter& overload_rejections_;
  prometheus::Counter& shed_connections_;
  std::mutex routes_mutex_;
  std::map<std::string, std::unique_ptr<RouteMetrics>, std::less<>> routes_;
};

// An Inline handler that answers with the registry in the Prometheus text
// format 0.0.4.
Handler metricsHandler(prometheus::Registry& registry);

}  // namespace mxauth::http
