#include "http/response.h"

#include <gtest/gtest.h>

namespace mxauth::http {
namespace {

TEST(ResponseTest, HelpersSetStatusContentTypeAndBody) {
  EXPECT_EQ(Response::json(201, "{}").header("Content-Type"), "application/json");
  EXPECT_EQ(Response::html(200, "<p>").header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(Response::text(400, "no").header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(Response::json(201, "{}").status, 201);
  EXPECT_EQ(Response::noContent().status, 204);
}

TEST(ResponseTest, RedirectIsSeeOtherByDefault) {
  Response response = Response::redirect("https://client.example/cb?code=x");

  EXPECT_EQ(response.status, 303);
  EXPECT_EQ(response.header("Location"), "https://client.example/cb?code=x");
  EXPECT_EQ(Response::redirect("/", 302).status, 302);
}

TEST(ResponseTest, SetHeaderReplacesAndAddHeaderAppends) {
  Response response;
  response.addHeader("Vary", "Cookie").addHeader("Vary", "Accept").setHeader("X-A", "1");
  response.setHeader("x-a", "2");

  EXPECT_EQ(response.headers.getAll("Vary").size(), 2u);
  EXPECT_EQ(response.headers.getAll("X-A"), (std::vector<std::string_view>{"2"}));
}

TEST(ResponseTest, SeveralCookiesGiveSeveralSetCookieFields) {
  Response response;
  response.setCookie(SetCookie("a", "1"));
  response.setCookie(SetCookie("b", "2"));

  EXPECT_EQ(response.headers.getAll("Set-Cookie").size(), 2u);
}

TEST(SetCookieTest, DefaultsToAHttpOnlySecureLaxSessionCookie) {
  SetCookie cookie("session", "abc");

  EXPECT_EQ(cookie.serialize(), "session=abc; Path=/; HttpOnly; Secure; SameSite=Lax");
}

TEST(SetCookieTest, WritesMaxAgeAndTheChosenAttributes) {
  SetCookie cookie("csrf", "x");
  cookie.path("/account")
      .maxAge(std::chrono::hours(1))
      .httpOnly(false)
      .secure(false)
      .sameSite(SameSite::Strict);

  EXPECT_EQ(cookie.serialize(), "csrf=x; Path=/account; Max-Age=3600; SameSite=Strict");
}

TEST(SetCookieTest, SameSiteNoneIsAlwaysSecure) {
  SetCookie cookie("a", "1");
  cookie.secure(false).sameSite(SameSite::None);

  EXPECT_NE(cookie.serialize().find("; Secure"), std::string::npos);
}

TEST(ResponseTest, ClearCookieExpiresItNow) {
  Response response;
  response.clearCookie("session");

  EXPECT_EQ(response.header("Set-Cookie"),
            "session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
}

}  // namespace
}  // namespace mxauth::http
