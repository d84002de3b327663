#include "templates/emails.h"

#include <array>
#include <map>
#include <utility>

#include "i18n/catalogue.h"
#include "templates/embedded.h"
#include "templates/engine.h"
#include "templates/html_check.h"
#include "templates/translation.h"

namespace mxauth::templates {
namespace {

constexpr std::string_view kPrefix = "emails/";
constexpr std::string_view kTemplateExtension = ".mustache";

// Every e-mail, by name; each has the three parts below.
constexpr std::array<std::string_view, 3> kEmails = {"verification_code", "password_recovery",
                                                     "test"};
constexpr std::array<std::string_view, 3> kParts = {"subject", "text", "html"};

std::string trimmed(std::string text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start);
}

Value emailLayoutData(const EmailLayout& layout, std::string_view language) {
  Value data;
  data.set("service_name", layout.service_name);
  data.set("lang", std::string(language));
  return data;
}

}  // namespace

struct EmailTemplates::State {
  i18n::Catalogue catalogue;
  // "fr/test.subject" -> template: one set per language of the catalogue.
  std::map<std::string, Template, std::less<>> templates;

  // The language an e-mail is written in: its layout's, when the catalogue
  // has it, else English.
  std::string_view languageOf(const EmailLayout& layout) const {
    return catalogue.supports(layout.lang) ? std::string_view(layout.lang) : i18n::kDefaultLanguage;
  }

  std::string renderPart(std::string_view language, std::string_view email, std::string_view part,
                         const Value& data) const {
    const auto found =
        templates.find(std::string(language) + "/" + std::string(email) + "." + std::string(part));
    if (found == templates.end()) return {};  // load() guarantees every part exists
    return found->second.render(data);
  }

  RenderedEmail render(const EmailLayout& layout, std::string_view email, Value& data) const {
    const std::string_view language = languageOf(layout);
    data.set("layout", emailLayoutData(layout, language));
    return RenderedEmail{trimmed(renderPart(language, email, "subject", data)),
                         renderPart(language, email, "text", data),
                         renderPart(language, email, "html", data)};
  }
};

EmailTemplates::EmailTemplates(std::unique_ptr<State> state) : state_(std::move(state)) {}
EmailTemplates::EmailTemplates(EmailTemplates&&) noexcept = default;
EmailTemplates& EmailTemplates::operator=(EmailTemplates&&) noexcept = default;
EmailTemplates::~EmailTemplates() = default;

Result<EmailTemplates, TemplateError> EmailTemplates::load() {
  return loadFrom(embeddedEmailTemplateFiles());
}

Result<EmailTemplates, TemplateError> EmailTemplates::loadFrom(
    std::span<const core::EmbeddedFile> files) {
  auto catalogue = i18n::Catalogue::load();
  if (!catalogue) return unexpected(TemplateError{catalogue.error()});
  return loadFrom(files, std::move(catalogue).value());
}

Result<EmailTemplates, TemplateError> EmailTemplates::loadFrom(
    std::span<const core::EmbeddedFile> files, i18n::Catalogue catalogue) {
  auto state = std::make_unique<State>();
  state->catalogue = std::move(catalogue);
  for (const core::EmbeddedFile& file : files) {
    const std::string_view name = file.name;
    if (!name.starts_with(kPrefix) || !name.ends_with(kTemplateExtension)) continue;
    const std::string_view stem =
        name.substr(kPrefix.size(), name.size() - kPrefix.size() - kTemplateExtension.size());
    if (file.contents.find("{{{") != std::string_view::npos ||
        file.contents.find("{{&") != std::string_view::npos ||
        file.contents.find("{{=") != std::string_view::npos) {
      return unexpected(TemplateError{std::string(name) +
                                      ": unescaped output and delimiter changes are not allowed"});
    }
    const bool html = stem.ends_with(".html");
    for (const std::string& language : state->catalogue.languages()) {
      auto translated = translateTemplate(file.contents, state->catalogue, language, name,
                                          html ? TemplateKind::Html : TemplateKind::PlainText);
      if (!translated) return unexpected(TemplateError{translated.error()});
      // Subjects and text parts are not HTML: values go in as they are.
      auto tmpl = Template::compile(std::move(*translated), html ? Escape::Html : Escape::None);
      if (!tmpl) {
        return unexpected(
            TemplateError{std::string(name) + " (" + language + "): " + tmpl.error()});
      }
      state->templates.emplace(language + "/" + std::string(stem), std::move(*tmpl));
    }
  }
  for (const std::string_view email : kEmails) {
    for (const std::string_view part : kParts) {
      const std::string key =
          std::string(i18n::kDefaultLanguage) + "/" + std::string(email) + "." + std::string(part);
      if (!state->templates.contains(key)) {
        return unexpected(TemplateError{"missing e-mail template " + std::string(kPrefix) +
                                        std::string(email) + "." + std::string(part) +
                                        std::string(kTemplateExtension)});
      }
    }
  }
  return EmailTemplates(std::move(state));
}

const i18n::Catalogue& EmailTemplates::catalogue() const { return state_->catalogue; }

RenderedEmail EmailTemplates::render(const VerificationCodeEmail& email) const {
  Value data;
  data.set("code", email.code);
  data.set("address", email.address);
  data.set("valid_minutes", std::to_string(email.valid_minutes));
  return state_->render(email.layout, "verification_code", data);
}

RenderedEmail EmailTemplates::render(const PasswordRecoveryEmail& email) const {
  Value data;
  data.set("username", email.username);
  data.set("link", email.link);
  data.set("valid_minutes", std::to_string(email.valid_minutes));
  return state_->render(email.layout, "password_recovery", data);
}

RenderedEmail EmailTemplates::render(const TestEmail& email) const {
  Value data;
  data.set("public_base", email.public_base);
  return state_->render(email.layout, "test", data);
}

std::vector<VerificationCodeEmail> VerificationCodeEmail::samples() {
  VerificationCodeEmail plain;
  plain.code = "042917";
  plain.address = "alice@example.org";
  VerificationCodeEmail branded = plain;
  branded.layout.service_name = "Exämple <Chat>";
  branded.valid_minutes = 15;
  return {plain, branded};
}

std::vector<PasswordRecoveryEmail> PasswordRecoveryEmail::samples() {
  PasswordRecoveryEmail plain;
  plain.username = "@alice:example.org";
  plain.link = "https://auth.example.org/recover/01JZ8Q3V4M6S9W2Y5B7C0D1E3F?token=abc&x=1";
  PasswordRecoveryEmail branded = plain;
  branded.layout.service_name = "Exämple <Chat>";
  return {plain, branded};
}

std::vector<TestEmail> TestEmail::samples() {
  TestEmail plain;
  plain.public_base = "https://auth.example.org/";
  return {plain};
}

namespace {

template <class Email>
void checkEmailSamples(const EmailTemplates& templates, std::string_view name,
                       std::string& problems) {
  for (const std::string& language : templates.catalogue().languages()) {
    int index = 0;
    for (Email sample : Email::samples()) {
      sample.layout.lang = language;
      const RenderedEmail rendered = templates.render(sample);
      const std::string where =
          std::string(name) + " sample " + std::to_string(index) + " (" + language + "): ";
      if (rendered.subject.empty() || rendered.subject.find('\n') != std::string::npos) {
        problems += where + "the subject is empty or more than one line\n";
      }
      if (rendered.text.empty()) problems += where + "the text part is empty\n";
      if (auto problem = checkHtml(rendered.html)) problems += where + *problem + "\n";
      if (rendered.html.find("<html lang=\"" + language + "\">") == std::string::npos) {
        problems += where + "not written in its language\n";
      }
      ++index;
    }
  }
}

}  // namespace

Result<void, std::string> checkAllEmailTemplates() {
  auto templates = EmailTemplates::load();
  if (!templates) return unexpected(templates.error().message);
  std::string problems;
  // Every word a reader sees comes from the catalogue.
  for (const core::EmbeddedFile& file : embeddedEmailTemplateFiles()) {
    const TemplateKind kind =
        file.name.ends_with(".html.mustache") ? TemplateKind::Html : TemplateKind::PlainText;
    if (auto word = untranslatedText(file.contents, kind)) {
      problems += std::string(file.name) + ": text outside the catalogue: \"" + *word + "\"\n";
    }
  }
  checkEmailSamples<VerificationCodeEmail>(*templates, "verification_code", problems);
  checkEmailSamples<PasswordRecoveryEmail>(*templates, "password_recovery", problems);
  checkEmailSamples<TestEmail>(*templates, "test", problems);
  if (!problems.empty()) return unexpected(problems);
  return {};
}

}  // namespace mxauth::templates
