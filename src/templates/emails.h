#pragma once

// E-mail templates (resources/templates/emails/), compiled into the binary
// like the pages. Each e-mail is three files, <name>.subject.mustache,
// <name>.text.mustache and <name>.html.mustache, rendered from one typed
// context with samples() (style §6.14). Every word the reader sees is a
// message of the catalogue (resources/i18n/, {{t:key}} tags translated when
// loading, as for the pages): each e-mail is written in its layout's
// language, the language of the request that caused it (English for
// `mxauth email test` unless --lang says otherwise). The rendered parts are
// what the e-mail job's payload carries.
//
// Escaping: the HTML part escapes every value ({{x}}), as the pages do; the
// subject and the text part are not HTML, so their values go in as they
// are. The subject is one line: the rendered text is trimmed, and a value
// holding a line break is refused later by email::buildMime().

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/embedded_file.h"
#include "core/result.h"
#include "templates/templates.h"

namespace mxauth::templates {

// What every e-mail shares.
struct EmailLayout {
  std::string service_name = "mxauth";  // branding.service_name
  std::string lang = "en";              // English when the catalogue has no such language
};

// The 6-digit code that proves an address is the user's (adding an
// address, registration, a step-up stage).
struct VerificationCodeEmail {
  EmailLayout layout;
  std::string code;
  std::string address;  // the address being verified
  int valid_minutes = 10;

  static std::vector<VerificationCodeEmail> samples();
};

// A link that lets the user choose a new password.
struct PasswordRecoveryEmail {
  EmailLayout layout;
  std::string username;  // the Matrix ID, so the reader knows which account
  std::string link;      // built from http.public_base, never from a request
  int valid_minutes = 10;

  static std::vector<PasswordRecoveryEmail> samples();
};

// `mxauth email test`: proves the transport works.
struct TestEmail {
  EmailLayout layout;
  std::string public_base;

  static std::vector<TestEmail> samples();
};

struct RenderedEmail {
  std::string subject;
  std::string text;
  std::string html;
};

class EmailTemplates {
 public:
  // The e-mail templates compiled into the binary.
  static Result<EmailTemplates, TemplateError> load();
  // From other files (names relative to resources/templates, such as
  // "emails/test.text.mustache"), for tests of the loader.
  static Result<EmailTemplates, TemplateError> loadFrom(std::span<const core::EmbeddedFile> files);
  static Result<EmailTemplates, TemplateError> loadFrom(std::span<const core::EmbeddedFile> files,
                                                        i18n::Catalogue catalogue);

  EmailTemplates(EmailTemplates&&) noexcept;
  EmailTemplates& operator=(EmailTemplates&&) noexcept;
  ~EmailTemplates();

  const i18n::Catalogue& catalogue() const;

  // Thread-safe.
  RenderedEmail render(const VerificationCodeEmail& email) const;
  RenderedEmail render(const PasswordRecoveryEmail& email) const;
  RenderedEmail render(const TestEmail& email) const;

 private:
  struct State;
  explicit EmailTemplates(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Renders every sample of every e-mail in every language: a non-empty
// one-line subject, a non-empty text part, and an HTML part that passes
// checkHtml() in that language; and checks that the templates hold no
// words outside {{t:…}} tags.
Result<void, std::string> checkAllEmailTemplates();

}  // namespace mxauth::templates
