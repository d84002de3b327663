#include "http/middleware.h"

#include <gtest/gtest.h>

#include "core/testing/fakes.h"

namespace mxauth::http {
namespace {

TEST(DefaultHeadersTest, HtmlGetsTheSecurityHeaders) {
  Response response = Response::html(200, "<p>hi</p>");

  applyDefaultHeaders(response, "req-1");

  EXPECT_EQ(response.header("Content-Security-Policy"), kContentSecurityPolicy);
  EXPECT_NE(kContentSecurityPolicy.find("frame-ancestors 'none'"), std::string_view::npos);
  EXPECT_EQ(response.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(response.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(response.header("X-Request-Id"), "req-1");
  EXPECT_EQ(response.header("Server"), "mxauth");
  EXPECT_EQ(response.header("Cache-Control"), std::nullopt);
}

TEST(DefaultHeadersTest, HandlerChoicesWin) {
  Response response = Response::html(200, "<p>hi</p>");
  response.setHeader("Content-Security-Policy", "default-src 'none'");
  response.setHeader("Referrer-Policy", "origin");

  applyDefaultHeaders(response, "req-1");

  EXPECT_EQ(response.headers.getAll("Content-Security-Policy"),
            (std::vector<std::string_view>{"default-src 'none'"}));
  EXPECT_EQ(response.header("Referrer-Policy"), "origin");
}

TEST(DefaultHeadersTest, JsonIsNotCachedUnlessTheHandlerSaysSo) {
  Response plain = Response::json(200, "{}");
  Response problem;
  problem.setHeader("Content-Type", "application/problem+json");
  Response cached = Response::json(200, "{}");
  cached.setHeader("Cache-Control", "public, max-age=3600");

  applyDefaultHeaders(plain, "a");
  applyDefaultHeaders(problem, "b");
  applyDefaultHeaders(cached, "c");

  EXPECT_EQ(plain.header("Cache-Control"), "no-store");
  EXPECT_EQ(problem.header("Cache-Control"), "no-store");
  EXPECT_EQ(cached.header("Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(plain.header("Content-Security-Policy"), std::nullopt);
}

TEST(DefaultHeadersTest, EveryResponseGetsNosniff) {
  Response response = Response::text(200, "ok");

  applyDefaultHeaders(response, "a");

  EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
}

TEST(RequestIdTest, AcceptsShortPrintableIdsOnly) {
  EXPECT_TRUE(isAcceptableRequestId("abc-123_XYZ"));
  EXPECT_FALSE(isAcceptableRequestId(""));
  EXPECT_FALSE(isAcceptableRequestId(std::string(65, 'a')));
  EXPECT_FALSE(isAcceptableRequestId("has space"));
  EXPECT_FALSE(isAcceptableRequestId("tab\there"));
  EXPECT_FALSE(isAcceptableRequestId("caf\xc3\xa9"));
}

TEST(JsonStringTest, EscapesQuotesControlsAndInvalidUtf8) {
  std::string out;

  appendJsonString(out, "a\"b\\c\n\x01\xc3\xa9\xff");

  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\"");
}

TEST(JsonStringTest, CopiesPlainRunsAroundEscapesUnchanged) {
  std::string out = "x";

  appendJsonString(out, "plain text \"quoted\" then\tmore plain text, \x7f and the end");

  EXPECT_EQ(out, "x\"plain text \\\"quoted\\\" then\\tmore plain text, \\u007f and the end\"");
}

TEST(Iso8601Test, PadsEveryFieldFromMidnightToTheLastMillisecond) {
  EXPECT_EQ(formatIso8601(test::at("0999-01-02T00:00:00Z")), "0999-01-02T00:00:00.000Z");
  EXPECT_EQ(formatIso8601(test::at("2026-12-31T23:59:59Z") + std::chrono::milliseconds(999)),
            "2026-12-31T23:59:59.999Z");
}

TEST(Iso8601Test, FormatsWithMilliseconds) {
  const Timestamp t = test::at("2026-03-04T05:06:07Z") + std::chrono::milliseconds(89);

  EXPECT_EQ(formatIso8601(t), "2026-03-04T05:06:07.089Z");
}

TEST(AccessLogTest, WritesOneJsonObjectWithEveryField) {
  AccessLogEntry entry;
  entry.time = test::at("2026-01-01T00:00:00Z");
  entry.method = "GET";
  entry.route = "/health";
  entry.path = "/health";
  entry.status = 200;
  entry.duration_ms = 0.4249;
  entry.request_id = "r1";
  entry.remote = "127.0.0.1";
  entry.bytes = 15;
  entry.user_agent = "curl/7.88 \"quoted\"";

  EXPECT_EQ(formatAccessLog(entry),
            R"({"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"request","method":"GET",)"
            R"("route":"/health","path":"/health","status":200,"duration_ms":0.425,)"
            R"("request_id":"r1","remote":"127.0.0.1","bytes":15,"ua":"curl/7.88 \"quoted\""})");
}

TEST(AccessLogTest, NamesThePeerOnlyWhenItIsNotTheClient) {
  AccessLogEntry direct;
  direct.remote = "203.0.113.9";
  AccessLogEntry proxied = direct;
  proxied.peer = "10.0.0.1";

  EXPECT_EQ(formatAccessLog(direct).find("\"peer\""), std::string::npos);
  EXPECT_NE(formatAccessLog(proxied).find(R"("remote":"203.0.113.9","peer":"10.0.0.1",)"),
            std::string::npos);
}

TEST(AccessLogTest, LeavesOutTheTimestampWithoutAClock) {
  AccessLogEntry entry;
  entry.status = 400;

  EXPECT_EQ(formatAccessLog(entry).rfind(R"({"level":"info")", 0), 0u);
}

TEST(DefaultHeadersTest, AddsStrictTransportSecurityOnlyWhenConfigured) {
  Response plain = Response::json(200, "{}");
  applyDefaultHeaders(plain, "a");
  EXPECT_FALSE(plain.headers.contains("Strict-Transport-Security"));

  Response secure = Response::html(200, "<p>hi</p>");
  applyDefaultHeaders(secure, "b", "max-age=31536000");
  EXPECT_EQ(secure.headers.get("Strict-Transport-Security"), "max-age=31536000");
}

}  // namespace
}  // namespace mxauth::http
