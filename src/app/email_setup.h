#pragma once

// The e-mail subsystem built from the configuration (email.*): the
// transport email.transport names, the Mailer's options, and the operator
// command `mxauth email test ADDRESS`.

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "email/mailer.h"
#include "email/transport.h"

namespace mxauth::app {

// The host of http.public_base ("auth.example.org"): the right side of
// Message-IDs and the name given in EHLO.
std::string publicHost(const config::Config& config);

// BlackholeTransport or SmtpTransport, from email.transport and email.smtp.
std::unique_ptr<email::Transport> makeEmailTransport(const config::Config& config);

// email.from (checked by the config loader) and the public host; logs a
// message given up at error level.
Result<email::MailerOptions, std::string> mailerOptions(const config::Config& config);

// `mxauth email test ADDRESS [--lang fr]`: renders the test e-mail in
// `language` (a language of the catalogues; English by default) and sends
// it at once through the configured transport, without the job queue. The
// error is the transport's (the SMTP reply), or names an unknown language,
// for the operator.
Result<void, std::string> sendTestEmail(const config::Config& config, const Clock& clock, Rng& rng,
                                        std::string_view address, std::string_view language = "en");

}  // namespace mxauth::app
