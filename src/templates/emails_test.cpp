#include "templates/emails.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxauth::templates {
namespace {

EmailTemplates loadedEmailTemplates() {
  auto templates = EmailTemplates::load();
  EXPECT_TRUE(templates.has_value()) << (templates ? "" : templates.error().message);
  return std::move(*templates);
}

TEST(EmailTemplatesTest, CheckAllEmailTemplatesPasses) {
  const auto checked = checkAllEmailTemplates();
  EXPECT_TRUE(checked.has_value()) << (checked ? "" : checked.error());
}

TEST(EmailTemplatesTest, PutsTheCodeInTheSubjectAndBothParts) {
  const EmailTemplates templates = loadedEmailTemplates();
  VerificationCodeEmail email = VerificationCodeEmail::samples().front();
  email.code = "314159";

  const RenderedEmail rendered = templates.render(email);

  EXPECT_EQ(rendered.subject, "Your mxauth verification code: 314159");
  EXPECT_NE(rendered.text.find("    314159\n"), std::string::npos) << rendered.text;
  EXPECT_NE(rendered.html.find("<p><strong>314159</strong></p>"), std::string::npos);
  EXPECT_NE(rendered.text.find("valid for 10 minutes"), std::string::npos);
}

TEST(EmailTemplatesTest, IsWrittenInTheLanguageOfItsLayout) {
  const EmailTemplates templates = loadedEmailTemplates();
  VerificationCodeEmail email = VerificationCodeEmail::samples().front();
  email.code = "314159";
  email.layout.lang = "fr";

  const RenderedEmail rendered = templates.render(email);

  EXPECT_EQ(rendered.subject, "Votre code de vérification mxauth\u00a0: 314159");
  EXPECT_NE(rendered.text.find("Bonjour,\n"), std::string::npos) << rendered.text;
  EXPECT_NE(rendered.text.find("    314159\n"), std::string::npos) << rendered.text;
  EXPECT_EQ(rendered.text.find("<strong>"), std::string::npos)
      << "the markup of a message is for the HTML part only";
  EXPECT_NE(rendered.text.find("que alice@example.org est bien votre adresse"), std::string::npos)
      << rendered.text;
  EXPECT_NE(rendered.html.find("<html lang=\"fr\">"), std::string::npos);
  EXPECT_NE(rendered.html.find("que <strong>alice@example.org</strong> est bien"),
            std::string::npos);
  EXPECT_EQ(rendered.text.find("Hello"), std::string::npos);

  email.layout.lang = "xx";  // no such catalogue: English
  EXPECT_EQ(templates.render(email).subject, "Your mxauth verification code: 314159");
}

TEST(EmailTemplatesTest, EscapesValuesInTheHtmlPartOnly) {
  const EmailTemplates templates = loadedEmailTemplates();
  PasswordRecoveryEmail email = PasswordRecoveryEmail::samples().front();
  email.layout.service_name = "A & B <Chat>";

  const RenderedEmail rendered = templates.render(email);

  EXPECT_EQ(rendered.subject, "Choose a new password for A & B <Chat>");
  EXPECT_NE(rendered.text.find("on A & B <Chat>."), std::string::npos) << rendered.text;
  EXPECT_NE(rendered.html.find("A &amp; B &lt;Chat&gt;"), std::string::npos);
  EXPECT_EQ(rendered.html.find("<Chat>"), std::string::npos);
  // The link stays intact in the text part, and escaped in the HTML.
  EXPECT_NE(rendered.text.find(email.link + "\n"), std::string::npos);
  EXPECT_NE(rendered.html.find("?token=abc&amp;x=1"), std::string::npos);
}

TEST(EmailTemplatesTest, RefusesAMissingPart) {
  const std::vector<core::EmbeddedFile> files = {
      {"emails/test.subject.mustache", "Test"},
      {"emails/test.text.mustache", "Text"},
  };

  auto loaded = EmailTemplates::loadFrom(files);

  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("missing e-mail template"), std::string::npos);
}

TEST(EmailTemplatesTest, RefusesUnescapedOutput) {
  const std::vector<core::EmbeddedFile> files = {
      {"emails/test.html.mustache", "<p>{{{public_base}}}</p>"},
  };

  auto loaded = EmailTemplates::loadFrom(files);

  ASSERT_FALSE(loaded.has_value());
  EXPECT_NE(loaded.error().message.find("emails/test.html.mustache"), std::string::npos);
}

}  // namespace
}  // namespace mxauth::templates
