#include "http/metrics.h"

#include <gtest/gtest.h>

#include <prometheus/text_serializer.h>

#include <thread>
#include <vector>

namespace mxauth::http {
namespace {

std::string exposition(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(MetricsTest, CountsRequestsByRouteMethodAndStatus) {
  prometheus::Registry registry;
  Metrics metrics(registry);
  RouteMetrics& token = metrics.route("/oauth2/token");

  token.record(Method::Post, 200, 0.002);
  token.record(Method::Post, 200, 0.003);
  token.record(Method::Post, 400, 0.001);
  token.record(std::nullopt, 418, 0.001);  // neither a known method nor a cached status

  const std::string text = exposition(registry);
  EXPECT_NE(
      text.find(
          R"(mxauth_http_requests_total{method="POST",route="/oauth2/token",status="200"} 2)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(mxauth_http_requests_total{method="POST",route="/oauth2/token",status="400"} 1)"),
      std::string::npos);
  EXPECT_NE(
      text.find(
          R"(mxauth_http_requests_total{method="OTHER",route="/oauth2/token",status="418"} 1)"),
      std::string::npos);
  EXPECT_NE(text.find(R"(mxauth_http_request_duration_seconds_count{route="/oauth2/token"} 4)"),
            std::string::npos);
  EXPECT_NE(
      text.find(
          R"(mxauth_http_request_duration_seconds_bucket{route="/oauth2/token",le="0.0025"} 3)"),
      std::string::npos);
}

TEST(MetricsTest, TheSameRouteNameGivesTheSameChildren) {
  prometheus::Registry registry;
  Metrics metrics(registry);

  EXPECT_EQ(&metrics.route("/health"), &metrics.route("/health"));
  EXPECT_NE(&metrics.route("/health"), &metrics.route("/metrics"));
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  prometheus::Registry registry;
  Metrics metrics(registry);
  RouteMetrics& route = metrics.route("/x");
  std::vector<std::thread> threads;

  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) route.record(Method::Get, 200, 0.0001);
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_NE(exposition(registry).find(
                R"(mxauth_http_requests_total{method="GET",route="/x",status="200"} 4000)"),
            std::string::npos);
}

TEST(MetricsTest, GaugesAndOverloadCounterAreExposed) {
  prometheus::Registry registry;
  Metrics metrics(registry);

  metrics.setOpenConnections(3);
  metrics.setBlockingQueueDepth(5);
  metrics.countOverloadRejection();

  const std::string text = exposition(registry);
  EXPECT_NE(text.find("mxauth_http_open_connections 3"), std::string::npos);
  EXPECT_NE(text.find("mxauth_http_blocking_queue_depth 5"), std::string::npos);
  EXPECT_NE(text.find("mxauth_http_overload_rejections_total 1"), std::string::npos);
}

TEST(MetricsTest, HandlerServesTheTextFormat) {
  prometheus::Registry registry;
  Metrics metrics(registry);
  metrics.route("/health").record(Method::Get, 200, 0.001);
  Request request;

  Response response = metricsHandler(registry)(request);

  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE mxauth_http_requests_total counter"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::http
