#include "templates/emails.h"

#include <array>
#include <kainjow/mustache.hpp>
#include <map>
#include <mutex>
#include <utility>

#include "templates/embedded.h"
#include "templates/html_check.h"

namespace mxauth::templates {
namespace {

namespace mustache = kainjow::mustache;

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

mustache::data layoutData(const EmailLayout& layout) {
  mustache::data data;
  data.set("service_name", layout.service_name);
  data.set("lang", layout.lang.empty() ? std::string("en") : layout.lang);
  return data;
}

}  // namespace

struct EmailTemplates::State {
  struct Template {
    std::unique_ptr<mustache::mustache> tmpl;
    // kainjow's render() is not const; one render at a time per template.
    std::unique_ptr<std::mutex> mutex = std::make_unique<std::mutex>();
  };
  // "test.subject" -> template
  std::map<std::string, Template, std::less<>> templates;

  std::string renderPart(std::string_view email, std::string_view part,
                         const mustache::data& data) const {
    const auto found = templates.find(std::string(email) + "." + std::string(part));
    if (found == templates.end()) return {};  // load() guarantees every part exists
    const std::lock_guard lock(*found->second.mutex);
    return found->second.tmpl->render(data);
  }

  RenderedEmail render(std::string_view email, const mustache::data& data) const {
    return RenderedEmail{trimmed(renderPart(email, "subject", data)),
                         renderPart(email, "text", data), renderPart(email, "html", data)};
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
  auto state = std::make_unique<State>();
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
    auto tmpl = std::make_unique<mustache::mustache>(std::string(file.contents));
    if (!tmpl->is_valid()) {
      return unexpected(TemplateError{std::string(name) + ": " + tmpl->error_message()});
    }
    // Subjects and text parts are not HTML: values go in as they are.
    if (!stem.ends_with(".html")) {
      tmpl->set_custom_escape([](const std::string& text) { return text; });
    }
    State::Template entry;
    entry.tmpl = std::move(tmpl);
    state->templates.emplace(std::string(stem), std::move(entry));
  }
  for (const std::string_view email : kEmails) {
    for (const std::string_view part : kParts) {
      const std::string key = std::string(email) + "." + std::string(part);
      if (!state->templates.contains(key)) {
        return unexpected(TemplateError{"missing e-mail template " + std::string(kPrefix) + key +
                                        std::string(kTemplateExtension)});
      }
    }
  }
  return EmailTemplates(std::move(state));
}

RenderedEmail EmailTemplates::render(const VerificationCodeEmail& email) const {
  mustache::data data;
  data.set("layout", layoutData(email.layout));
  data.set("code", email.code);
  data.set("address", email.address);
  data.set("valid_minutes", std::to_string(email.valid_minutes));
  return state_->render("verification_code", data);
}

RenderedEmail EmailTemplates::render(const PasswordRecoveryEmail& email) const {
  mustache::data data;
  data.set("layout", layoutData(email.layout));
  data.set("username", email.username);
  data.set("link", email.link);
  data.set("valid_minutes", std::to_string(email.valid_minutes));
  return state_->render("password_recovery", data);
}

RenderedEmail EmailTemplates::render(const TestEmail& email) const {
  mustache::data data;
  data.set("layout", layoutData(email.layout));
  data.set("public_base", email.public_base);
  return state_->render("test", data);
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
void checkSamples(const EmailTemplates& templates, std::string_view name, std::string& problems) {
  int index = 0;
  for (const Email& sample : Email::samples()) {
    const RenderedEmail rendered = templates.render(sample);
    const std::string where = std::string(name) + " sample " + std::to_string(index) + ": ";
    if (rendered.subject.empty() || rendered.subject.find('\n') != std::string::npos) {
      problems += where + "the subject is empty or more than one line\n";
    }
    if (rendered.text.empty()) problems += where + "the text part is empty\n";
    if (auto problem = checkHtml(rendered.html)) problems += where + *problem + "\n";
    ++index;
  }
}

}  // namespace

Result<void, std::string> checkAllEmailTemplates() {
  auto templates = EmailTemplates::load();
  if (!templates) return unexpected(templates.error().message);
  std::string problems;
  checkSamples<VerificationCodeEmail>(*templates, "verification_code", problems);
  checkSamples<PasswordRecoveryEmail>(*templates, "password_recovery", problems);
  checkSamples<TestEmail>(*templates, "test", problems);
  if (!problems.empty()) return unexpected(problems);
  return {};
}

}  // namespace mxauth::templates
