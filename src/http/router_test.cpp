#include "http/router.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mxauth::http {
namespace {

Handler answering(std::string body) {
  return [body = std::move(body)](Request&) { return Response::text(200, body); };
}

std::string bodyOf(const RouteMatch& match) {
  Request request;
  return match.route->handler(request).body;
}

TEST(RouterTest, MatchesALiteralPath) {
  Router router;
  router.add(Method::Get, "/health", answering("health"));

  RouteMatch match = router.match(Method::Get, "/health");

  ASSERT_EQ(match.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(match.route->pattern, "/health");
  EXPECT_EQ(bodyOf(match), "health");
}

TEST(RouterTest, CapturesParameterSegments) {
  Router router;
  router.add(Method::Post, "/_matrix/client/{version}/login", answering("login"));

  RouteMatch match = router.match(Method::Post, "/_matrix/client/v3/login");

  ASSERT_EQ(match.kind, RouteMatch::Kind::Found);
  ASSERT_EQ(match.params.size(), 1u);
  EXPECT_EQ(match.params[0].first, "version");
  EXPECT_EQ(match.params[0].second, "v3");
}

TEST(RouterTest, AParameterNeedsANonEmptySegmentAndTheSameSegmentCount) {
  Router router;
  router.add(Method::Get, "/users/{id}", answering("user"));

  EXPECT_EQ(router.match(Method::Get, "/users/").kind, RouteMatch::Kind::NotFound);
  EXPECT_EQ(router.match(Method::Get, "/users/1/more").kind, RouteMatch::Kind::NotFound);
  EXPECT_EQ(router.match(Method::Get, "/users").kind, RouteMatch::Kind::NotFound);
}

TEST(RouterTest, TrailingSlashIsSignificant) {
  Router router;
  router.add(Method::Get, "/account/", answering("account"));

  EXPECT_EQ(router.match(Method::Get, "/account/").kind, RouteMatch::Kind::Found);
  EXPECT_EQ(router.match(Method::Get, "/account").kind, RouteMatch::Kind::NotFound);
}

TEST(RouterTest, LiteralRoutesWinOverParameterisedOnes) {
  Router router;
  router.add(Method::Get, "/items/{id}", answering("param"));
  router.add(Method::Get, "/items/special", answering("literal"));

  EXPECT_EQ(bodyOf(router.match(Method::Get, "/items/special")), "literal");
  EXPECT_EQ(bodyOf(router.match(Method::Get, "/items/other")), "param");
}

TEST(RouterTest, FallsBackToAParameterisedRouteThatHasTheMethod) {
  Router router;
  router.add(Method::Post, "/items/special", answering("literal"));
  router.add(Method::Get, "/items/{id}", answering("param"));

  EXPECT_EQ(bodyOf(router.match(Method::Get, "/items/special")), "param");
}

TEST(RouterTest, WrongMethodOnAKnownPathListsTheAllowedOnes) {
  Router router;
  router.add(Method::Get, "/oauth2/keys.json", answering("keys"));
  router.add(Method::Post, "/oauth2/keys.json", answering("post"));

  RouteMatch match = router.match(Method::Delete, "/oauth2/keys.json");

  EXPECT_EQ(match.kind, RouteMatch::Kind::MethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, POST");
}

TEST(RouterTest, GetRoutesAnswerHead) {
  Router router;
  router.add(Method::Get, "/health", answering("health"));

  RouteMatch match = router.match(Method::Head, "/health");

  ASSERT_EQ(match.kind, RouteMatch::Kind::Found);
  EXPECT_EQ(match.route->method, Method::Get);
}

TEST(RouterTest, AnExplicitHeadRouteWinsOverGet) {
  Router router;
  router.add(Method::Get, "/x", answering("get"));
  router.add(Method::Head, "/x", answering("head"));

  EXPECT_EQ(bodyOf(router.match(Method::Head, "/x")), "head");
}

TEST(RouterTest, UnknownPathIsNotFoundAndTheDefaultHandlerAnswers404Json) {
  Router router;
  router.add(Method::Get, "/health", answering("health"));
  Request request;

  EXPECT_EQ(router.match(Method::Get, "/nope").kind, RouteMatch::Kind::NotFound);
  Response response = router.notFound()(request);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, R"({"error":"not_found"})");
}

TEST(RouterTest, TheNotFoundHandlerCanBeReplaced) {
  Router router;
  router.setNotFound([](Request&) { return Response::html(404, "<h1>Not here</h1>"); });
  Request request;

  EXPECT_EQ(router.notFound()(request).body, "<h1>Not here</h1>");
}

TEST(RouterTest, RoutesHaveDenseIndicesInTheOrderAdded) {
  Router router;
  router.add(Method::Get, "/a", answering("a"));
  router.add(Method::Post, "/a", answering("a"));
  router.add(Method::Get, "/b/{x}", answering("b"));

  ASSERT_EQ(router.routes().size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(router.routes()[i]->index, i);
}

TEST(RouterTest, RejectsDuplicateAndMalformedPatterns) {
  Router router;
  router.add(Method::Get, "/a", answering("a"));

  EXPECT_THROW(router.add(Method::Get, "/a", answering("again")), std::logic_error);
  EXPECT_THROW(router.add(Method::Get, "no-slash", answering("x")), std::logic_error);
  EXPECT_THROW(router.add(Method::Get, "/a/{}", answering("x")), std::logic_error);
  EXPECT_THROW(router.add(Method::Get, "/a/{bad-name}", answering("x")), std::logic_error);
  EXPECT_THROW(router.add(Method::Get, "/a/b{c}", answering("x")), std::logic_error);
  EXPECT_THROW(router.add(Method::Get, "/empty", Handler()), std::logic_error);
}

}  // namespace
}  // namespace mxauth::http
