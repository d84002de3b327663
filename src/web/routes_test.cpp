#include "web/routes.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http/url_encoding.h"

#include "http/middleware.h"
#include "web/web_test_support.h"

namespace mxauth::web {
namespace {

class RoutesTest : public test::WebTest {
 protected:
  RoutesTest() { mountWebRoutes(router_, *context_); }

  // Dispatches as the server does, default headers included.
  http::Response dispatch(http::Request request) {
    const http::RouteMatch match = router_.match(request.method, request.path);
    EXPECT_EQ(match.kind, http::RouteMatch::Kind::Found) << request.path;
    if (match.kind != http::RouteMatch::Kind::Found) return {};
    http::Response response = match.route->handler(request);
    http::applyDefaultHeaders(response, "req-1");
    return response;
  }

  http::Router router_;
};

TEST_F(RoutesTest, MountsEveryPageOnTheBlockingPoolAndAssetsInline) {
  for (const auto& [method, path] : std::vector<std::pair<http::Method, std::string>>{
           {http::Method::Get, "/login"},
           {http::Method::Post, "/login"},
           {http::Method::Get, "/register"},
           {http::Method::Post, "/register"},
           {http::Method::Get, "/register/verify"},
           {http::Method::Post, "/register/verify"},
           {http::Method::Post, "/register/resend"},
           {http::Method::Get, "/logout"},
           {http::Method::Post, "/logout"},
           {http::Method::Get, "/"},
           {http::Method::Get, "/account/"},
           {http::Method::Get, "/authorize"},
           {http::Method::Post, "/authorize"},
           {http::Method::Get, "/authorize/continue"},
           {http::Method::Post, "/authorize/continue"},
           {http::Method::Get, "/oauth2/logout"},
           {http::Method::Post, "/oauth2/logout"}}) {
    const http::RouteMatch match = router_.match(method, path);
    ASSERT_EQ(match.kind, http::RouteMatch::Kind::Found) << path;
    EXPECT_EQ(match.route->options.execution, http::Execution::Blocking) << path;
  }
  // The login page needs the pool only when it must read a grant.
  EXPECT_TRUE(router_.match(http::Method::Get, "/login").route->options.fast_path);
  EXPECT_FALSE(router_.match(http::Method::Post, "/login").route->options.fast_path);
  for (const char* asset : {"/assets/mxauth.css", "/assets/form_post.js"}) {
    const http::RouteMatch match = router_.match(http::Method::Get, asset);
    ASSERT_EQ(match.kind, http::RouteMatch::Kind::Found) << asset;
    EXPECT_EQ(match.route->options.execution, http::Execution::Inline) << asset;
  }
}

// Checklist F.40 and F.41: every HTML page, including the ones that set
// their own CSP, forbids framing and referrers.
TEST_F(RoutesTest, EveryPageForbidsFramingAndReferrers) {
  const oauth::RegisteredClient client = addClient(test::ClientOptions{});
  const auto authorizeQuery = [&](const test::Form& extra) {
    test::Form params{{"response_type", "code"},
                      {"client_id", client.id().str()},
                      {"scope", "urn:matrix:client:api:*"},
                      {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                      {"code_challenge_method", "S256"}};
    params.insert(params.end(), extra.begin(), extra.end());
    return "/authorize?" + http::encodeUrlEncoded(params);
  };
  std::vector<std::pair<std::string, http::Response>> pages;
  for (const std::string& target :
       {std::string("/login"), std::string("/register"),
        std::string("/authorize?client_id=unknown"), std::string("/authorize/continue?id=bogus"),
        std::string("/oauth2/logout"), std::string("/oauth2/logout?client_id=unknown"),
        authorizeQuery({{"response_type", "token"}})}) {  // the A.2 interstitial
    pages.emplace_back(target, dispatch(get(target)));
  }
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  for (const std::string& target :
       {std::string("/account/"), std::string("/logout"), std::string("/"),
        "/oauth2/logout?client_id=" + client.id().str()}) {
    pages.emplace_back(target + " (signed in)", dispatch(get(target)));
  }
  const http::Response started = dispatch(get(authorizeQuery({})));
  pages.emplace_back("consent", dispatch(get(test::locationOf(started))));
  pages.emplace_back(
      "form_post error",
      dispatch(get(authorizeQuery({{"response_mode", "form_post"}, {"response_type", "token"}}))));
  http::Response not_found = notFoundPage(*context_, get("/no/such/page"));
  http::applyDefaultHeaders(not_found, "req-2");
  pages.emplace_back("404", std::move(not_found));

  for (const auto& [name, response] : pages) {
    ASSERT_EQ(response.header("Content-Type"), "text/html; charset=utf-8") << name;
    EXPECT_EQ(response.header("X-Frame-Options"), "DENY") << name;
    EXPECT_EQ(response.headers.getAll("Content-Security-Policy").size(), 1u) << name;
    EXPECT_NE(
        response.header("Content-Security-Policy").value_or("").find("frame-ancestors 'none'"),
        std::string::npos)
        << name;
    EXPECT_EQ(response.header("Referrer-Policy"), "no-referrer") << name;
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff") << name;
  }
}

TEST_F(RoutesTest, TheAuthorizationEndpointSendsNoCorsHeaders) {
  http::Request request = get("/authorize?client_id=unknown");
  request.headers.add("Origin", "https://evil.example");

  const http::Response response = dispatch(request);

  EXPECT_FALSE(response.header("Access-Control-Allow-Origin").has_value());
}

TEST_F(RoutesTest, ThePagesOwnPolicyWinsOverTheServerDefault) {
  const test::ClientOptions options;
  const oauth::RegisteredClient client = addClient(options);
  addUser("alice", "correct horse battery");
  logIn("alice", "correct horse battery");
  const std::string query =
      http::encodeUrlEncoded({{"response_type", "code"},
                              {"client_id", client.id().str()},
                              {"scope", "urn:matrix:client:api:*"},
                              {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                              {"code_challenge_method", "S256"}});
  const http::Response started = dispatch(get("/authorize?" + query));

  const http::Response page = dispatch(get(test::locationOf(started)));

  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.header("Content-Security-Policy")->find("form-action 'self' https://app.example"),
            std::string::npos);
  EXPECT_EQ(page.headers.getAll("Content-Security-Policy").size(), 1u);
}

TEST_F(RoutesTest, NotFoundPageIsHtml) {
  const http::Response response = notFoundPage(*context_, get("/no/such/page"));

  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("Page not found"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::web
