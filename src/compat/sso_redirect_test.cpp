#include "compat/sso_redirect.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::compat {
namespace {

std::string destinationOf(std::string_view url) {
  auto checked = checkSsoRedirectUrl(url);
  return checked ? checked->display : "refused: " + checked.error();
}

TEST(SsoRedirectUrlTest, AWebAddressShowsItsLowercaseHost) {
  auto checked = checkSsoRedirectUrl("https://App.Element.IO:8443/login?x=1#/home");
  ASSERT_TRUE(checked.has_value()) << checked.error();
  EXPECT_EQ(checked->display, "app.element.io");
  EXPECT_TRUE(checked->is_web);
}

TEST(SsoRedirectUrlTest, LoopbackHttpAndAppSchemesAreAccepted) {
  EXPECT_EQ(destinationOf("http://127.0.0.1:41234/callback"), "127.0.0.1");
  EXPECT_EQ(destinationOf("http://[::1]:8080/"), "[::1]");
  auto app = checkSsoRedirectUrl("im.fluffychat://login");
  ASSERT_TRUE(app.has_value()) << app.error();
  EXPECT_EQ(app->display, "im.fluffychat");
  EXPECT_FALSE(app->is_web);
}

TEST(SsoRedirectUrlTest, DangerousOrMalformedAddressesAreRefused) {
  for (const char* url :
       {"", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>", "vbscript:x",
        "file:///etc/passwd", "blob:https://a.example/x", "about:blank", "https://", "http:///path",
        "https://user:pass@app.example/", "https://evil.example@app.example/", "/relative/path",
        "app.example/login", "https://app.example/a b", "https://app.example/\\evil",
        "https://app.example/%zz"}) {
    EXPECT_FALSE(checkSsoRedirectUrl(url).has_value()) << url;
  }
  EXPECT_FALSE(checkSsoRedirectUrl("https://app.example/" + std::string(3000, 'a')).has_value());
}

TEST(SsoRedirectUrlTest, TheTokenIsAppendedAndEveryEarlierOneRemoved) {
  EXPECT_EQ(withLoginToken("https://app.example/cb", "T0k"),
            "https://app.example/cb?loginToken=T0k");
  EXPECT_EQ(withLoginToken("https://app.example/cb?", "T"), "https://app.example/cb?loginToken=T");
  EXPECT_EQ(withLoginToken("https://app.example/cb?a=1&loginToken=old&b=2&loginToken=x", "T"),
            "https://app.example/cb?a=1&b=2&loginToken=T");
  // An encoded name is the same parameter.
  EXPECT_EQ(withLoginToken("https://app.example/cb?login%54oken=old&c", "T"),
            "https://app.example/cb?c&loginToken=T");
  // Element Web returns to a fragment route: the query goes before it.
  EXPECT_EQ(withLoginToken("https://app.example/#/login", "T"),
            "https://app.example/?loginToken=T#/login");
  EXPECT_EQ(withLoginToken("https://app.example/?loginToken=old#/room/a?b", "T"),
            "https://app.example/?loginToken=T#/room/a?b");
  EXPECT_EQ(withLoginToken("im.app://sso?loginTokenX=1", "a b"),
            "im.app://sso?loginTokenX=1&loginToken=a%20b");
}

}  // namespace
}  // namespace mxauth::compat
