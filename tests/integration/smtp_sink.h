#pragma once

// A real SMTP server on loopback for tests: tests/smtp/smtp_sink.py
// (Debian's python3-aiosmtpd) as a child process on a port the kernel
// picks. It writes each accepted message to a directory before it answers
// 250, so a message is readable here as soon as the sender has returned.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mxauth::test {

struct SmtpSinkOptions {
  std::optional<std::string> credentials;     // "user:password": AUTH required
  std::optional<std::string> auth_mechanism;  // offer only this one: "PLAIN" or "LOGIN"
  int fail_first = 0;                         // answer the first N messages' data with…
  int fail_code = 451;                        // …this reply
  // "starttls" (required before MAIL) or "tls" (smtps); caFile() is then
  // the server's self-signed certificate.
  std::optional<std::string> tls;
};

struct ReceivedEmail {
  std::string mail_from;
  std::vector<std::string> rcpt_tos;
  bool authenticated = false;
  std::string login;  // the AUTH user name, empty without AUTH
  bool tls = false;   // it came over TLS (STARTTLS or smtps)
  std::string data;   // the message as received (headers and body)
};

class SmtpSink {
 public:
  explicit SmtpSink(SmtpSinkOptions options = {});
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  // 0 when the server did not start; then error() says why.
  std::uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  // The certificate to trust with SmtpSinkOptions::tls.
  std::string caFile() const { return (dir_ / "cert.pem").string(); }

  // The messages accepted so far, in order.
  std::vector<ReceivedEmail> messages() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string error_;
};

}  // namespace mxauth::test
