#include <gtest/gtest.h>

#include <string>

#include "http/server.h"

namespace mxauth::http {
namespace {

TEST(RawRequestTest, ConvertsACompleteRequestLikeAConnectionDoes) {
  const std::string bytes =
      "POST /oauth2/token?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /";
  const RawRequestResult result = parseRawRequestForTesting(bytes, ServerOptions(), "10.0.0.1");
  ASSERT_TRUE(result.request.has_value());
  EXPECT_EQ(result.request->method, Method::Post);
  EXPECT_EQ(result.request->path, "/oauth2/token");
  EXPECT_EQ(result.request->queryParam("x"), "1");
  EXPECT_EQ(result.request->body, "abc");
  EXPECT_EQ(result.request->remote_address, "10.0.0.1");
  EXPECT_EQ(result.consumed, bytes.size() - 5);  // the next request starts at "GET /"
}

TEST(RawRequestTest, BelievesForwardedForOnlyFromATrustedPeer) {
  ServerOptions options;
  options.trusted_proxies = *TrustedProxies::parse({"10.0.0.0/8"});
  const std::string bytes = "GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n";
  EXPECT_EQ(parseRawRequestForTesting(bytes, options, "10.0.0.1").request->remote_address,
            "203.0.113.9");
  EXPECT_EQ(parseRawRequestForTesting(bytes, options, "192.0.2.1").request->remote_address,
            "192.0.2.1");
}

TEST(RawRequestTest, AnswersWhatTheServerWouldForBadRequests) {
  ServerOptions options;
  options.max_header_bytes = 64;
  options.max_body_bytes = 4;
  const auto statusOf = [&](const std::string& bytes) {
    return parseRawRequestForTesting(bytes, options, "10.0.0.1").status;
  };
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n"), 431);
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), 413);
  EXPECT_EQ(statusOf("BREW / HTTP/1.1\r\n\r\n"), 405);
  EXPECT_EQ(statusOf("GET /%zz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nbad header\r\n\r\n"), 400);
}

TEST(RawRequestTest, GivesNothingWhenTheBytesEndBeforeTheRequest) {
  const RawRequestResult result =
      parseRawRequestForTesting("GET / HTTP/1.1\r\nHost: a\r\n", ServerOptions(), "10.0.0.1");
  EXPECT_FALSE(result.request.has_value());
  EXPECT_FALSE(result.status.has_value());
}

}  // namespace
}  // namespace mxauth::http
