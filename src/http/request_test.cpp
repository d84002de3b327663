#include "http/request.h"

#include <gtest/gtest.h>

namespace mxauth::http {
namespace {

Request formRequest(std::string content_type, std::string body) {
  Request request = *Request::make(Method::Post, "/oauth2/token");
  request.headers.add("Content-Type", std::move(content_type));
  request.body = std::move(body);
  return request;
}

TEST(MethodTest, ParsesExactTokensOnly) {
  EXPECT_EQ(parseMethod("GET"), Method::Get);
  EXPECT_EQ(parseMethod("OPTIONS"), Method::Options);
  EXPECT_EQ(parseMethod("get"), std::nullopt);
  EXPECT_EQ(parseMethod("TRACE"), std::nullopt);
  EXPECT_EQ(methodName(Method::Patch), "PATCH");
}

TEST(RequestTest, MakeParsesPathAndQuery) {
  auto request = Request::make(Method::Get, "/authorize?client_id=abc&state=x%20y");

  ASSERT_TRUE(request);
  EXPECT_EQ(request->path, "/authorize");
  EXPECT_EQ(request->queryParam("client_id"), "abc");
  EXPECT_EQ(request->queryParam("state"), "x y");
  EXPECT_EQ(request->queryParam("missing"), std::nullopt);
}

TEST(RequestTest, MakeRefusesABadTarget) {
  EXPECT_EQ(Request::make(Method::Get, "/x?y=%zz").error(), ParseError::InvalidPercentEncoding);
}

TEST(RequestTest, HeaderLookupIgnoresCaseAndKeepsRepeatedFields) {
  Request request;
  request.headers.add("Accept", "text/html");
  request.headers.add("accept", "application/json");

  EXPECT_EQ(request.header("ACCEPT"), "text/html");
  EXPECT_EQ(request.headerValues("Accept"),
            (std::vector<std::string_view>{"text/html", "application/json"}));
  EXPECT_EQ(request.header("Authorization"), std::nullopt);
}

TEST(RequestTest, FormParsesAUrlencodedBodyWithCharset) {
  Request request =
      formRequest("application/x-www-form-urlencoded; charset=UTF-8", "grant_type=x&code=a%2Bb");

  auto form = request.form();

  ASSERT_TRUE(form);
  EXPECT_EQ(form->get("code"), "a+b");
}

TEST(RequestTest, FormRefusesOtherContentTypes) {
  EXPECT_EQ(formRequest("application/json", "{}").form().error(), ParseError::WrongContentType);
  EXPECT_EQ(Request().form().error(), ParseError::WrongContentType);
}

TEST(RequestTest, FormRefusesInvalidUtf8AndBadEscapes) {
  EXPECT_EQ(formRequest("application/x-www-form-urlencoded", "a=%ff").form().error(),
            ParseError::InvalidUtf8);
  EXPECT_EQ(formRequest("application/x-www-form-urlencoded", "a=\xff").form().error(),
            ParseError::InvalidUtf8);
  EXPECT_EQ(formRequest("application/x-www-form-urlencoded", "a=%").form().error(),
            ParseError::InvalidPercentEncoding);
}

TEST(RequestTest, CookiesComeFromEveryCookieHeader) {
  Request request;
  request.headers.add("Cookie", "a=1; b=2");
  request.headers.add("Cookie", "c=3");

  EXPECT_EQ(request.cookies().size(), 3u);
  EXPECT_EQ(request.cookie("b"), "2");
  EXPECT_EQ(request.cookie("c"), "3");
  EXPECT_EQ(request.cookie("d"), std::nullopt);
}

TEST(RequestTest, PathParamsAreFoundByName) {
  Request request;
  request.path_params = {{"version", "v3"}};

  EXPECT_EQ(request.pathParam("version"), "v3");
  EXPECT_EQ(request.pathParam("other"), std::nullopt);
}

}  // namespace
}  // namespace mxauth::http
