#pragma once

// email.transport: smtp. Sends over SMTP (RFC 5321) on an
// http::OutboundConnection (Asio, OpenSSL): one connection per message (a
// handful of messages a minute; no pool to keep healthy), TLS as
// email.smtp.mode says (the certificate always verified, for `host`), AUTH
// when a user name is set: PLAIN, or LOGIN when the server offers only
// that. Over a plain connection it still authenticates if asked to, so use
// plain mode with a password only towards a server on the same host or
// network. Errors name the step and quote the server's reply.

#include <chrono>
#include <string>
#include <string_view>

#include "email/transport.h"

namespace mxauth::email {

enum class SmtpSecurity {
  Plain,     // smtp://, no TLS
  StartTls,  // smtp://, then STARTTLS, which must be offered and succeed
  Tls,       // smtps://, TLS from the first byte (RFC 8314)
};

struct SmtpOptions {
  std::string host = "127.0.0.1";
  int port = 25;
  SmtpSecurity security = SmtpSecurity::Plain;
  std::string username;  // empty: no AUTH
  std::string password;
  // The name this side gives in EHLO (the host of http.public_base).
  std::string helo_name = "localhost";
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // The whole exchange of one message, connection included.
  std::chrono::milliseconds total_timeout = std::chrono::seconds(60);
  // A CA bundle to trust instead of the system's (tests with a
  // self-signed certificate); empty: the system's.
  std::string ca_file;
};

class SmtpTransport final : public Transport {
 public:
  explicit SmtpTransport(SmtpOptions options);

  Result<void, SendError> send(const Envelope& envelope, std::string_view mime) override;
  Result<void, SendError> check() override;
  std::string describe() const override;

 private:
  SmtpOptions options_;
};

}  // namespace mxauth::email
