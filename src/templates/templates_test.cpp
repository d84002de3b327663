#include "templates/templates.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "templates/embedded.h"
#include "templates/html_check.h"

namespace mxauth::templates {
namespace {

class TemplatesTest : public ::testing::Test {
 protected:
  static Templates loaded() {
    auto templates = Templates::load();
    EXPECT_TRUE(templates.has_value()) << (templates ? "" : templates.error().message);
    return std::move(*templates);
  }
  Templates templates_ = loaded();
};

template <class Page>
void expectEverySampleIsWellFormed(const Templates& templates) {
  int index = 0;
  for (const Page& sample : Page::samples()) {
    const std::string html = templates.render(sample);
    EXPECT_EQ(checkHtml(html), std::nullopt) << "sample " << index << ":\n" << html;
    ++index;
  }
  EXPECT_GT(index, 0);
}

TEST_F(TemplatesTest, RendersEverySampleOfEveryPageAsWellFormedHtml) {
  expectEverySampleIsWellFormed<LoginPage>(templates_);
  expectEverySampleIsWellFormed<RegisterPage>(templates_);
  expectEverySampleIsWellFormed<ConsentPage>(templates_);
  expectEverySampleIsWellFormed<ErrorPage>(templates_);
  expectEverySampleIsWellFormed<LogoutPage>(templates_);
  expectEverySampleIsWellFormed<SignedOutPage>(templates_);
  expectEverySampleIsWellFormed<SsoConfirmPage>(templates_);
  expectEverySampleIsWellFormed<SignedInPage>(templates_);
  expectEverySampleIsWellFormed<FormPostPage>(templates_);
}

TEST_F(TemplatesTest, CheckAllTemplatesPasses) {
  const auto checked = checkAllTemplates();
  EXPECT_TRUE(checked.has_value()) << (checked ? "" : checked.error());
}

TEST_F(TemplatesTest, EscapesScriptInAClientName) {
  ConsentPage page = ConsentPage::samples().front();
  page.client.name = "<script>alert(1)</script>";

  const std::string html = templates_.render(page);

  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST_F(TemplatesTest, TheSsoConfirmationNamesTheDestinationAndEscapesTheAddress) {
  SsoConfirmPage page = SsoConfirmPage::samples().front();
  page.destination = "evil.example";
  page.redirect_url = "https://evil.example/?a=<b>";

  const std::string html = templates_.render(page);

  EXPECT_NE(html.find("<form id=\"sso-confirm\" method=\"post\""), std::string::npos);
  EXPECT_NE(html.find("Continue to evil.example?"), std::string::npos);
  EXPECT_NE(html.find("https://evil.example/?a=&lt;b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
}

TEST_F(TemplatesTest, TheLogoutAnApplicationAskedForNamesItAndCarriesTheRequestEscaped) {
  LogoutPage page;
  page.csrf_token = "t";
  page.from_application = true;
  page.client_name = "<i>Evil</i>";
  page.client_host = "evil.example";
  page.return_to = "https://evil.example/bye?a=<b>";
  page.fields = {{"end_session", "1"}, {"state", "\"><script>x</script>"}};

  const std::string html = templates_.render(page);

  EXPECT_NE(html.find("<form id=\"logout\" method=\"post\" action=\"/logout\">"),
            std::string::npos);
  EXPECT_NE(
      html.find("<strong>&lt;i&gt;Evil&lt;/i&gt;</strong> (evil.example) asks to sign you out"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("https://evil.example/bye?a=&lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"end_session\" value=\"1\">"),
            std::string::npos);
  EXPECT_NE(html.find("name=\"state\" value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""),
            std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("Apps and devices you signed in to stay signed in."), std::string::npos);
}

TEST_F(TemplatesTest, ThePlainLogoutPageSaysNothingAboutAnApplication) {
  const std::string html = templates_.render(LogoutPage::samples().front());

  EXPECT_EQ(html.find("asks to sign you out"), std::string::npos);
  EXPECT_EQ(html.find("type=\"hidden\" name=\"end_session\""), std::string::npos);
}

TEST_F(TemplatesTest, TheSignedOutPageOffersTheWayBackOnlyWhenThereIsOne) {
  SignedOutPage page;
  const std::string plain = templates_.render(page);
  page.return_href = "https://client.example/bye?state=a&b";
  page.return_label = Text("common.return_to", {{"destination", "client.example"}});
  const std::string returning = templates_.render(page);

  EXPECT_NE(plain.find("You are signed out of mxauth in this browser."), std::string::npos);
  EXPECT_EQ(plain.find("class=\"button\""), std::string::npos);
  EXPECT_NE(
      returning.find("<a class=\"button\" href=\"https://client.example/bye?state=a&amp;b\">Return "
                     "to client.example</a>"),
      std::string::npos)
      << returning;
}

TEST_F(TemplatesTest, EscapesQuotesInAttributeValues) {
  LoginPage page;
  page.csrf_token = "t";
  page.username = "\"><script>alert(1)</script>";

  const std::string html = templates_.render(page);

  EXPECT_EQ(html.find("\"><script>"), std::string::npos);
  EXPECT_NE(html.find("value=\"&quot;&gt;&lt;script&gt;"), std::string::npos);
}

TEST_F(TemplatesTest, LoginFormHasTheStableIdsNamesAndAutocomplete) {
  LoginPage page;
  page.csrf_token = "token-123";
  page.next = "/authorize/continue?id=x";

  const std::string html = templates_.render(page);

  EXPECT_NE(html.find("<form id=\"login\" method=\"post\""), std::string::npos);
  EXPECT_NE(html.find("name=\"username\""), std::string::npos);
  EXPECT_NE(html.find("name=\"password\" type=\"password\" autocomplete=\"current-password\""),
            std::string::npos);
  EXPECT_NE(html.find("autocomplete=\"username\""), std::string::npos);
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"csrf\" value=\"token-123\">"),
            std::string::npos);
  EXPECT_NE(html.find("name=\"next\" value=\"/authorize/continue?id=x\""), std::string::npos);
  EXPECT_NE(html.find("<button class=\"button\" type=\"submit\">"), std::string::npos);
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
}

TEST_F(TemplatesTest, FieldErrorsAreTiedToTheirFieldForAssistiveTechnology) {
  RegisterPage page;
  page.csrf_token = "t";
  page.username_error = Text("register.username_taken");

  const std::string html = templates_.render(page);

  EXPECT_NE(html.find("aria-invalid=\"true\" aria-describedby=\"username-hint username-error\""),
            std::string::npos);
  EXPECT_NE(html.find("<p class=\"field-error\" id=\"username-error\">This username is taken</p>"),
            std::string::npos);
  EXPECT_NE(html.find("autocomplete=\"new-password\""), std::string::npos);
  EXPECT_NE(html.find("autocomplete=\"email\""), std::string::npos);
  EXPECT_NE(html.find("name=\"password_confirm\""), std::string::npos);
}

TEST_F(TemplatesTest, APageLevelErrorIsNotRepeatedUnderEveryField) {
  LoginPage page;
  page.csrf_token = "t";
  page.error = Text("login.wrong_credentials");

  const std::string html = templates_.render(page);

  EXPECT_EQ(html.find("aria-invalid"), std::string::npos);
  EXPECT_EQ(html.find("field-error"), std::string::npos);
  EXPECT_EQ(html.find("Wrong username or password"), html.rfind("Wrong username or password"));
}

TEST_F(TemplatesTest, ConsentFormHasAllowAndDenyButtons) {
  const std::string html = templates_.render(ConsentPage::samples().front());

  EXPECT_NE(html.find("<form id=\"consent\" method=\"post\""), std::string::npos);
  EXPECT_NE(html.find("name=\"action\" value=\"allow\""), std::string::npos);
  EXPECT_NE(html.find("name=\"action\" value=\"deny\""), std::string::npos);
  EXPECT_NE(html.find("referrerpolicy=\"no-referrer\""), std::string::npos);
  EXPECT_NE(html.find("Server administration"), std::string::npos);
}

TEST_F(TemplatesTest, ServiceNameAndLanguageComeFromTheLayout) {
  ErrorPage page;
  page.layout.service_name = "Example <Auth>";
  page.layout.lang = "fr";
  page.message = Text::verbatim("m");

  const std::string html = templates_.render(page);

  EXPECT_NE(html.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(html.find("Example &lt;Auth&gt;"), std::string::npos);
}

TEST_F(TemplatesTest, PagesLinkTheStylesheetByAContentHash) {
  const StaticAsset* css = templates_.asset("/assets/mxauth.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_TRUE(css->href.starts_with("/assets/mxauth.css?v="));
  EXPECT_EQ(css->href.size(), std::string("/assets/mxauth.css?v=").size() + 12);

  const std::string html = templates_.render(SignedInPage::samples().front());

  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"" + css->href + "\">"), std::string::npos);
}

TEST_F(TemplatesTest, FormPostPageLoadsItsScriptFromAFileAndKeepsAButton) {
  const StaticAsset* script = templates_.asset("/assets/form_post.js");
  ASSERT_NE(script, nullptr);

  const std::string html = templates_.render(FormPostPage::samples().front());

  EXPECT_NE(html.find("<script src=\"" + script->href + "\"></script>"), std::string::npos);
  EXPECT_NE(html.find("action=\"https://client.example/callback?x=1&amp;y=2\""), std::string::npos);
  EXPECT_NE(html.find("type=\"submit\""), std::string::npos);
}

TEST_F(TemplatesTest, NoTemplateUsesUnescapedOutput) {
  for (const core::EmbeddedFile& file : embeddedTemplateFiles()) {
    EXPECT_EQ(file.contents.find("{{{"), std::string_view::npos) << file.name;
    EXPECT_EQ(file.contents.find("{{&"), std::string_view::npos) << file.name;
  }
}

TEST(TemplatesLoadTest, RefusesATemplateWithUnescapedOutput) {
  const std::array<core::EmbeddedFile, 1> files{{{"pages/login.mustache", "<p>{{{x}}}</p>"}}};

  const auto loaded = Templates::loadFrom(files, embeddedStaticFiles());

  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("pages/login.mustache"), std::string::npos);
}

TEST(TemplatesLoadTest, RefusesAnUnknownPartial) {
  const std::array<core::EmbeddedFile, 1> files{{{"pages/login.mustache", "{{> nowhere}}"}}};

  const auto loaded = Templates::loadFrom(files, embeddedStaticFiles());

  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("nowhere"), std::string::npos);
}

TEST(TemplatesLoadTest, RefusesATemplateThatDoesNotParse) {
  const std::array<core::EmbeddedFile, 1> files{
      {{"pages/login.mustache", "{{#open}} never closed"}}};

  const auto loaded = Templates::loadFrom(files, embeddedStaticFiles());

  EXPECT_FALSE(loaded.has_value());
}

TEST(TemplatesLoadTest, RefusesASetOfTemplatesMissingAPage) {
  const std::array<core::EmbeddedFile, 1> files{{{"pages/login.mustache", "<p>hi</p>"}}};

  const auto loaded = Templates::loadFrom(files, embeddedStaticFiles());

  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("register"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::templates
