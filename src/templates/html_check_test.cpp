#include "templates/html_check.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::templates {
namespace {

std::string page(const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><title>t</title></head><body>" + body +
         "</body></html>";
}

TEST(CheckHtmlTest, AcceptsAWellFormedPage) {
  EXPECT_EQ(checkHtml(page("<p>a &amp; b</p><label for=\"x\">X</label><input id=\"x\" "
                           "type=\"text\" required><br>")),
            std::nullopt);
}

TEST(CheckHtmlTest, RejectsAMissingDoctype) {
  EXPECT_TRUE(checkHtml("<html lang=\"en\"></html>").has_value());
}

TEST(CheckHtmlTest, RejectsTagsClosedOutOfOrder) {
  EXPECT_TRUE(checkHtml(page("<p><strong>x</p></strong>")).has_value());
}

TEST(CheckHtmlTest, RejectsAnUnclosedElement) { EXPECT_TRUE(checkHtml(page("<div>")).has_value()); }

TEST(CheckHtmlTest, RejectsInlineScript) {
  EXPECT_TRUE(checkHtml(page("<script>alert(1)</script>")).has_value());
  EXPECT_EQ(checkHtml(page("<script src=\"/a.js\"></script>")), std::nullopt);
}

TEST(CheckHtmlTest, RejectsInlineStylesAndEventHandlers) {
  EXPECT_TRUE(checkHtml(page("<p style=\"color:red\">x</p>")).has_value());
  EXPECT_TRUE(checkHtml(page("<p onclick=\"x()\">x</p>")).has_value());
}

TEST(CheckHtmlTest, RejectsUnquotedAttributesAndBareAmpersands) {
  EXPECT_TRUE(checkHtml(page("<a href=x>x</a>")).has_value());
  EXPECT_TRUE(checkHtml(page("<p>a & b</p>")).has_value());
}

TEST(CheckHtmlTest, RejectsAnInputWithoutALabel) {
  EXPECT_TRUE(checkHtml(page("<input id=\"x\" type=\"text\">")).has_value());
  EXPECT_EQ(checkHtml(page("<input type=\"hidden\" name=\"csrf\" value=\"1\">")), std::nullopt);
}

TEST(CheckHtmlTest, RejectsAStrayLessThanSign) {
  EXPECT_TRUE(checkHtml(page("<p>1 < 2</p>")).has_value());
}

}  // namespace
}  // namespace mxauth::templates
