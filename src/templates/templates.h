#pragma once

// The page renderer (design §1, §11): mustache templates and static assets
// compiled into the binary from resources/, parsed once by load(), rendered
// from the typed contexts of pages.h.
//
// Contract:
//  - every value is HTML-escaped ({{x}}); the templates never use {{{x}}} or
//    {{& x}}, and checkAllTemplates() fails if one does;
//  - partials ({{> name}}, from components/) are expanded when the pages are
//    loaded, so rendering parses nothing;
//  - render() is thread-safe;
//  - every word is a message of the catalogue (i18n/catalogue.h): templates
//    hold {{t:key}} tags, replaced when loading by the message of each
//    language (templates/translation.h), so there is one compiled set per
//    language; render() uses the set of page.layout.lang (English when the
//    catalogue has no such language) and writes the page's Text fields in
//    that language;
//  - pages reference static assets by a URL carrying a hash of their
//    contents (/assets/mxauth.css?v=…), so assets can be cached for a year.

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.h"
#include "core/result.h"
#include "i18n/catalogue.h"
#include "templates/email_pages.h"
#include "templates/pages.h"

namespace mxauth::templates {

// A file served under /assets/.
struct StaticAsset {
  std::string path;          // "/assets/mxauth.css"
  std::string content_type;  // "text/css; charset=utf-8"
  std::string_view body;
  std::string href;  // path plus "?v=<hash of body>", for pages to link
};

// A template that does not parse, names a missing partial, or uses
// unescaped output. The message names the file.
struct TemplateError {
  std::string message;
};

class Templates {
 public:
  // The templates and assets compiled into the binary.
  static Result<Templates, TemplateError> load();
  // From other files (names relative to resources/templates, e.g.
  // "pages/login.mustache"), for tests of the loader itself; with the
  // built-in catalogues, or with others.
  static Result<Templates, TemplateError> loadFrom(std::span<const core::EmbeddedFile> templates,
                                                   std::span<const core::EmbeddedFile> assets);
  static Result<Templates, TemplateError> loadFrom(std::span<const core::EmbeddedFile> templates,
                                                   std::span<const core::EmbeddedFile> assets,
                                                   i18n::Catalogue catalogue);

  Templates(Templates&&) noexcept;
  Templates& operator=(Templates&&) noexcept;
  ~Templates();

  std::string render(const LoginPage& page) const;
  std::string render(const RegisterPage& page) const;
  std::string render(const RegisterVerifyPage& page) const;
  std::string render(const ConsentPage& page) const;
  std::string render(const ErrorPage& page) const;
  std::string render(const LogoutPage& page) const;
  std::string render(const SignedOutPage& page) const;
  std::string render(const SsoConfirmPage& page) const;
  std::string render(const DeviceLinkPage& page) const;
  std::string render(const DeviceConsentPage& page) const;
  std::string render(const DeviceDonePage& page) const;
  std::string render(const SignedInPage& page) const;
  std::string render(const ReauthPage& page) const;
  std::string render(const PasswordChangePage& page) const;
  std::string render(const DeactivatePage& page) const;
  std::string render(const CrossSigningResetPage& page) const;
  std::string render(const ProfilePage& page) const;
  std::string render(const SessionsPage& page) const;
  std::string render(const SessionPage& page) const;
  std::string render(const SessionEndPage& page) const;
  std::string render(const NoticePage& page) const;
  // templates/email_pages.h
  std::string render(const EmailsPage& page) const;
  std::string render(const EmailVerifyPage& page) const;
  std::string render(const RecoverPage& page) const;
  std::string render(const RecoverPasswordPage& page) const;
  std::string render(const FormPostPage& page) const;

  const std::vector<StaticAsset>& assets() const;
  // The message catalogues the pages were translated with (languages,
  // negotiation, and the messages handlers write outside pages).
  const i18n::Catalogue& catalogue() const;
  // The asset with this path, or nullptr.
  const StaticAsset* asset(std::string_view path) const;

 private:
  struct State;
  explicit Templates(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Renders every sample of every page in every language and checks that the
// result is well-formed HTML (checkHtml) in that language, and that no
// template holds words outside {{t:…}} tags (untranslatedText). For `mxauth templates check` and
// CI; the error lists each problem with the page and sample that caused it.
Result<void, std::string> checkAllTemplates();

}  // namespace mxauth::templates
