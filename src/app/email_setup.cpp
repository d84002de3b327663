#include "app/email_setup.h"

#include <utility>

#include "app/logging.h"
#include "domain/email_address.h"
#include "email/smtp_transport.h"
#include "templates/emails.h"

namespace mxauth::app {
namespace {

email::SmtpSecurity securityOf(config::SmtpMode mode) {
  switch (mode) {
    case config::SmtpMode::Plain:
      return email::SmtpSecurity::Plain;
    case config::SmtpMode::StartTls:
      return email::SmtpSecurity::StartTls;
    case config::SmtpMode::Tls:
      return email::SmtpSecurity::Tls;
  }
  return email::SmtpSecurity::Plain;
}

}  // namespace

std::string publicHost(const config::Config& config) {
  std::string_view base = config.http.public_base;
  const std::size_t scheme = base.find("://");
  if (scheme != std::string_view::npos) base.remove_prefix(scheme + 3);
  base = base.substr(0, base.find_first_of("/?#"));
  if (base.starts_with('[')) return std::string(base.substr(0, base.find(']') + 1));
  return std::string(base.substr(0, base.find(':')));
}

std::unique_ptr<email::Transport> makeEmailTransport(const config::Config& config) {
  switch (config.email.transport) {
    case config::EmailTransport::Blackhole:
      return std::make_unique<email::BlackholeTransport>();
    case config::EmailTransport::Smtp: {
      email::SmtpOptions options;
      options.host = config.email.smtp.host;
      options.port = config.email.smtp.port;
      options.security = securityOf(config.email.smtp.mode);
      options.username = config.email.smtp.username;
      options.password = config.email.smtp.password;
      options.helo_name = publicHost(config);
      return std::make_unique<email::SmtpTransport>(std::move(options));
    }
  }
  return std::make_unique<email::BlackholeTransport>();
}

Result<email::MailerOptions, std::string> mailerOptions(const config::Config& config) {
  auto from = email::parseMailbox(config.email.from);
  if (!from) return unexpected("email.from: " + from.error());
  email::MailerOptions options;
  options.from = std::move(*from);
  options.host = publicHost(config);
  options.log_error = [](std::string_view message) { logError(message); };
  return options;
}

Result<void, std::string> sendTestEmail(const config::Config& config, const Clock& clock, Rng& rng,
                                        std::string_view address, std::string_view language) {
  if (!domain::isValidEmailAddress(address)) {
    return unexpected("\"" + std::string(address) + "\" is not an e-mail address");
  }
  auto options = mailerOptions(config);
  if (!options) return unexpected(options.error());
  auto templates = templates::EmailTemplates::load();
  if (!templates)
    return unexpected("cannot load the e-mail templates: " + templates.error().message);
  if (!templates->catalogue().supports(language)) {
    std::string known;
    for (const std::string& tag : templates->catalogue().languages()) {
      known += known.empty() ? tag : ", " + tag;
    }
    return unexpected("no messages in the language \"" + std::string(language) +
                      "\" (known: " + known + ")");
  }
  templates::TestEmail test;
  test.layout.service_name = config.branding.service_name;
  test.layout.lang = std::string(language);
  test.public_base = config.http.public_base;
  const templates::RenderedEmail rendered = templates->render(test);
  const std::unique_ptr<email::Transport> transport = makeEmailTransport(config);
  email::Mailer mailer(*transport, rng, clock, std::move(*options));
  auto sent = mailer.sendNow(
      email::Message{std::string(address), rendered.subject, rendered.text, rendered.html});
  if (!sent) return unexpected(sent.error().message);
  return {};
}

}  // namespace mxauth::app
