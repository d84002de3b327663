#include "templates/translation.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "templates/embedded.h"
#include "templates/templates.h"

namespace mxauth::templates {
namespace {

i18n::Catalogue twoLanguages() {
  const std::array<core::EmbeddedFile, 2> files{
      core::EmbeddedFile{"en.json", R"({"who": "Signed in as <strong>{user_id}</strong>",
                                       "amp": "Terms & \"conditions\" {n}"})"},
      core::EmbeddedFile{"fr.json", R"({"who": "Session ouverte avec <strong>{user_id}</strong>",
                                       "amp": "Conditions d’utilisation {n} <b>"})"}};
  auto catalogue = i18n::Catalogue::loadFrom(files);
  if (!catalogue) ADD_FAILURE() << catalogue.error();
  return std::move(catalogue).value();
}

TEST(TranslationTest, ReplacesTagsByTheEscapedMessageWithMustacheVariables) {
  const i18n::Catalogue catalogue = twoLanguages();
  auto french = translateTemplate("<p>{{t:who}}</p><p>{{t:amp}}</p>", catalogue, "fr", "x",
                                  TemplateKind::Html);
  ASSERT_TRUE(french) << french.error();
  EXPECT_EQ(*french,
            "<p>Session ouverte avec <strong>{{user_id}}</strong></p>"
            "<p>Conditions d’utilisation {{n}} &lt;b&gt;</p>");
  auto english = translateTemplate("{{t:amp}}", catalogue, "en", "x", TemplateKind::Html);
  ASSERT_TRUE(english) << english.error();
  EXPECT_EQ(*english, "Terms &amp; &quot;conditions&quot; {{n}}");
  auto text = translateTemplate("{{t:who}}", catalogue, "en", "x", TemplateKind::PlainText);
  ASSERT_TRUE(text) << text.error();
  EXPECT_EQ(*text, "Signed in as {{user_id}}");
}

TEST(TranslationTest, AnUnknownKeyOrAnUnterminatedTagFailsNamingTheFile) {
  const i18n::Catalogue catalogue = twoLanguages();
  auto unknown = translateTemplate("<p>{{t:nope}}</p>", catalogue, "fr", "pages/x.mustache",
                                   TemplateKind::Html);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), "pages/x.mustache: unknown message key \"nope\"");
  EXPECT_FALSE(translateTemplate("{{t:who", catalogue, "fr", "x", TemplateKind::Html));
}

TEST(TranslationTest, TheLoaderRefusesATemplateNamingAnUnknownMessage) {
  const std::array<core::EmbeddedFile, 1> files{
      core::EmbeddedFile{"pages/login.mustache", "<p>{{t:login.no_such_message}}</p>"}};
  const auto loaded = Templates::loadFrom(files, embeddedStaticFiles());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("unknown message key \"login.no_such_message\""),
            std::string::npos);
}

TEST(TranslationTest, FindsWordsWrittenIntoATemplate) {
  EXPECT_EQ(untranslatedText("<p>{{t:a}}</p>\n<p>Sign in</p>", TemplateKind::Html), "Sign in");
  EXPECT_EQ(untranslatedText("<img src=\"{{logo}}\" alt=\"Company logo\">", TemplateKind::Html),
            "Company logo");
  EXPECT_EQ(untranslatedText("<nav aria-label=\"Account\">", TemplateKind::Html), "Account");
  EXPECT_EQ(untranslatedText("Hello {{name}},\n", TemplateKind::PlainText), "Hello ,");
  // Markup, attribute values that are data, mustache tags, character
  // references and punctuation are not words.
  EXPECT_EQ(untranslatedText("<!DOCTYPE html>\n<html lang=\"{{layout.lang}}\">\n"
                             "<a class=\"button secondary\" href=\"/account/\">{{t:x}}</a>\n"
                             "<input type=\"hidden\" name=\"csrf\" value=\"{{csrf}}\">"
                             "<title>{{title}} · {{layout.service_name}}</title>&nbsp;—",
                             TemplateKind::Html),
            std::nullopt);
  EXPECT_EQ(untranslatedText("<nav aria-label=\"{{t:menu}}\">", TemplateKind::Html), std::nullopt);
}

TEST(TranslationTest, NoTemplateHoldsWordsOutsideTheCatalogue) {
  for (const core::EmbeddedFile& file : embeddedTemplateFiles()) {
    EXPECT_EQ(untranslatedText(file.contents, TemplateKind::Html), std::nullopt) << file.name;
  }
}

TEST(TranslationTest, PagesAreRenderedInTheLanguageOfTheirLayout) {
  auto templates = Templates::load();
  ASSERT_TRUE(templates) << templates.error().message;
  LoginPage page = LoginPage::samples().at(1);
  page.layout.lang = "fr";
  const std::string french = templates->render(page);
  EXPECT_NE(french.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(french.find("<title>Se connecter · mxauth</title>"), std::string::npos);
  EXPECT_NE(french.find("Nom d’utilisateur ou mot de passe incorrect"), std::string::npos);
  EXPECT_NE(french.find(">Mot de passe oublié\u202f?</a>"), std::string::npos);
  EXPECT_EQ(french.find("Forgot password"), std::string::npos);

  page.layout.lang = "de";  // not in the catalogue: English
  const std::string fallback = templates->render(page);
  EXPECT_NE(fallback.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(fallback.find("Wrong username or password"), std::string::npos);
}

TEST(TranslationTest, MessageArgumentsAreEscapedAndNestedMessagesTranslated) {
  auto templates = Templates::load();
  ASSERT_TRUE(templates) << templates.error().message;
  ReauthPage page = ReauthPage::samples().at(1);
  page.layout.lang = "fr";
  page.lead = Text("reauth.email_lead", {{"address", "<a@b>"}});
  const std::string html = templates->render(page);
  EXPECT_NE(html.find("Étape 1 sur 2"), std::string::npos);
  EXPECT_NE(html.find("Trop de tentatives. Veuillez patienter 30 secondes, puis réessayer."),
            std::string::npos);
  EXPECT_NE(html.find("envoyé un code à 6 chiffres à &lt;a@b&gt;."), std::string::npos);
}

}  // namespace
}  // namespace mxauth::templates
