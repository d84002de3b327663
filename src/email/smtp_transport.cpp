#include "email/smtp_transport.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "http/outbound_connection.h"

namespace mxauth::email {
namespace {

std::string_view securityName(SmtpSecurity security) {
  switch (security) {
    case SmtpSecurity::Plain:
      return "plain";
    case SmtpSecurity::StartTls:
      return "starttls";
    case SmtpSecurity::Tls:
      return "tls";
  }
  return "plain";
}

// An address for MAIL FROM / RCPT TO: nothing that could end the command.
bool isSafeEnvelopeAddress(std::string_view address) {
  return !address.empty() &&
         address.find_first_of(std::string_view("\r\n\0<> ", 6)) == std::string_view::npos;
}

// The EHLO name: one word of printable characters.
bool isSafeHeloName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) != 0;
  });
}

std::string uppercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// The message as DATA sends it (RFC 5321 §4.5.2): every line ended by CRLF,
// a line that starts with "." given another, then the closing ".".
std::string dataSection(std::string_view mime) {
  std::string out;
  out.reserve(mime.size() + mime.size() / 64 + 8);
  std::size_t start = 0;
  while (start < mime.size()) {
    const std::size_t end = mime.find('\n', start);
    std::string_view line = mime.substr(start, end == std::string_view::npos ? end : end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.starts_with('.')) out += '.';
    out += line;
    out += "\r\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += ".\r\n";
  return out;
}

// A server's reply: its code and the text of each line.
struct Reply {
  int code = 0;
  std::vector<std::string> lines;
};

// The longest reply read (every line together): a server that sends more
// is not answering SMTP.
constexpr std::size_t kMaxReplyBytes = std::size_t{64} << 10;

// One SMTP exchange (RFC 5321) over one connection, within the deadline
// of the total timeout.
class SmtpSession {
 public:
  SmtpSession(const SmtpOptions& options, std::string server)
      : options_(options),
        server_(std::move(server)),
        connection_(http::OutboundConnection::Clock::now() + options.total_timeout) {}

  // Connects and says hello: TLS as the mode says, EHLO, then AUTH when a
  // user name is set.
  Result<void, SendError> open() {
    if (options_.port < 1 || options_.port > 65535) return unexpected(failure("bad port"));
    if (auto connected =
            connection_.connect(options_.host, static_cast<std::uint16_t>(options_.port),
                                options_.connect_timeout, false);
        !connected) {
      return unexpected(failure(connected.error().message));
    }
    if (options_.security == SmtpSecurity::Tls) {
      if (auto secured = connection_.startTls(options_.host, options_.ca_file); !secured) {
        return unexpected(failure(secured.error().message));
      }
    }
    if (auto greeting = expect(readReply(), 220, "unexpected greeting"); !greeting) return greeting;
    if (auto hello = sayHello(); !hello) return hello;
    if (options_.security == SmtpSecurity::StartTls) {
      if (auto upgraded = startTls(); !upgraded) return upgraded;
    }
    if (!options_.username.empty()) return authenticate();
    return {};
  }

  Result<void, SendError> sendMessage(const Envelope& envelope, std::string_view mime) {
    if (auto from = expect(command("MAIL FROM:<" + envelope.from + ">"), 2, "MAIL FROM refused");
        !from) {
      return from;
    }
    if (auto to = expect(command("RCPT TO:<" + envelope.to + ">"), 2, "RCPT TO refused"); !to)
      return to;
    if (auto data = expect(command("DATA"), 354, "DATA refused"); !data) return data;
    if (auto sent = connection_.write(dataSection(mime)); !sent) {
      return unexpected(failure(sent.error().message));
    }
    return expect(readReply(), 2, "the message was refused");
  }

  // Says goodbye; what the server answers changes nothing.
  void quit() {
    if (static_cast<bool>(connection_.write("QUIT\r\n"))) static_cast<void>(readReply());
  }

 private:
  SendError failure(std::string_view detail, bool permanent = false) const {
    return SendError{server_ + ": " + std::string(detail), permanent};
  }

  Result<Reply, SendError> readReply() {
    Reply reply;
    std::size_t total = 0;
    for (;;) {
      std::size_t end = 0;
      while ((end = received_.find('\n')) == std::string::npos) {
        if (received_.size() > kMaxReplyBytes) return unexpected(failure("the reply is too long"));
        auto read = connection_.readSome(received_);
        if (!read) return unexpected(failure(read.error().message));
        if (*read == 0) return unexpected(failure("the server closed the connection"));
      }
      std::string line = received_.substr(0, end);
      received_.erase(0, end + 1);
      if (line.ends_with('\r')) line.pop_back();
      total += line.size();
      // "250-text" continues the reply, "250 text" (or "250") ends it.
      const bool well_formed =
          line.size() >= 3 &&
          std::all_of(line.begin(), line.begin() + 3,
                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }) &&
          (line.size() == 3 || line[3] == ' ' || line[3] == '-');
      const int code = well_formed ? std::stoi(line.substr(0, 3)) : 0;
      if (!well_formed || (!reply.lines.empty() && code != reply.code) || total > kMaxReplyBytes) {
        return unexpected(failure("the server's reply is not SMTP"));
      }
      reply.code = code;
      reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
      if (line.size() == 3 || line[3] == ' ') return reply;
    }
  }

  Result<Reply, SendError> command(std::string_view line) {
    if (auto sent = connection_.write(std::string(line) + "\r\n"); !sent) {
      return unexpected(failure(sent.error().message));
    }
    return readReply();
  }

  // `wanted`: the exact reply code, or a single digit for its class.
  // Anything else is an error that says what went wrong (`what`) and
  // quotes the reply; permanent for a 5yz reply (RFC 5321 §4.2.1), except
  // to AUTH: a refused login is the operator's to fix, after which a retry
  // helps.
  Result<void, SendError> expect(const Result<Reply, SendError>& reply, int wanted,
                                 std::string_view what, bool permanent_if_5yz = true) const {
    if (!reply) return unexpected(reply.error());
    const int code = reply->code;
    if (wanted < 10 ? code / 100 == wanted : code == wanted) return {};
    std::string text;
    for (const std::string& line : reply->lines) {
      if (!text.empty()) text += ' ';
      text += line;
    }
    return unexpected(failure(std::string(what) + ": " + std::to_string(code) + " " + text,
                              permanent_if_5yz && code / 100 == 5));
  }

  // EHLO, remembering the extensions offered; HELO when EHLO is refused
  // and no extension is needed.
  Result<void, SendError> sayHello() {
    extensions_.clear();
    auto reply = command("EHLO " + options_.helo_name);
    if (!reply) return unexpected(reply.error());
    if (reply->code / 100 == 2) {
      for (std::size_t i = 1; i < reply->lines.size(); ++i) {
        extensions_.push_back(uppercase(reply->lines[i]));
      }
      return {};
    }
    if (options_.security == SmtpSecurity::StartTls || !options_.username.empty()) {
      return expect(reply, 2, "EHLO refused");
    }
    return expect(command("HELO " + options_.helo_name), 2, "HELO refused");
  }

  // The parameters of an extension the server offered ("AUTH PLAIN LOGIN"
  // -> "PLAIN LOGIN"), or nothing.
  std::optional<std::string> extension(std::string_view keyword) const {
    for (const std::string& line : extensions_) {
      const std::string_view name = std::string_view(line).substr(0, line.find(' '));
      if (name == keyword) return name.size() < line.size() ? line.substr(name.size() + 1) : "";
    }
    return std::nullopt;
  }

  Result<void, SendError> startTls() {
    if (!extension("STARTTLS")) {
      return unexpected(failure("the server does not offer STARTTLS, which the mode requires"));
    }
    if (auto ready = expect(command("STARTTLS"), 220, "STARTTLS refused"); !ready) return ready;
    // What arrived before the handshake was sent in the clear by someone:
    // it must not be read as the server's answers inside TLS.
    if (!received_.empty()) return unexpected(failure("the server sent data before TLS began"));
    if (auto secured = connection_.startTls(options_.host, options_.ca_file); !secured) {
      return unexpected(failure(secured.error().message));
    }
    return sayHello();  // RFC 3207 §4.2: the extensions may differ under TLS
  }

  // AUTH PLAIN, or AUTH LOGIN for a server that offers only that (RFC
  // 4954, RFC 4616). The credentials never appear in an error.
  Result<void, SendError> authenticate() {
    const std::optional<std::string> offered = extension("AUTH");
    const auto offers = [&](std::string_view mechanism) {
      if (!offered) return false;
      const std::string padded = " " + *offered + " ";
      return padded.find(" " + std::string(mechanism) + " ") != std::string::npos;
    };
    if (offers("PLAIN")) {
      std::string credentials;
      credentials += '\0';
      credentials += options_.username;
      credentials += '\0';
      credentials += options_.password;
      return expect(command("AUTH PLAIN " + core::base64Encode(credentials)), 235,
                    "Login denied (AUTH PLAIN)", false);
    }
    if (offers("LOGIN")) {
      if (auto asked = expect(command("AUTH LOGIN"), 334, "Login denied (AUTH LOGIN)", false);
          !asked) {
        return asked;
      }
      if (auto user = expect(command(core::base64Encode(options_.username)), 334,
                             "Login denied (AUTH LOGIN, user name)", false);
          !user) {
        return user;
      }
      return expect(command(core::base64Encode(options_.password)), 235,
                    "Login denied (AUTH LOGIN)", false);
    }
    return unexpected(failure("the server offers neither AUTH PLAIN nor AUTH LOGIN"));
  }

  const SmtpOptions& options_;
  std::string server_;
  http::OutboundConnection connection_;
  std::string received_;                 // read from the server, not yet taken
  std::vector<std::string> extensions_;  // from EHLO, upper case
};

// host:port for a URL, with an IPv6 address in brackets.
std::string hostPort(const SmtpOptions& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

std::string_view schemeOf(const SmtpOptions& options) {
  return options.security == SmtpSecurity::Tls ? "smtps://" : "smtp://";
}

}  // namespace

SmtpTransport::SmtpTransport(SmtpOptions options) : options_(std::move(options)) {}

std::string SmtpTransport::describe() const {
  return std::string(schemeOf(options_)) + hostPort(options_) + " (" +
         std::string(securityName(options_.security)) + ")";
}

Result<void, SendError> SmtpTransport::send(const Envelope& envelope, std::string_view mime) {
  if (!isSafeEnvelopeAddress(envelope.from) || !isSafeEnvelopeAddress(envelope.to)) {
    return unexpected(SendError{"the envelope addresses are not plain addresses", true});
  }
  if (!isSafeHeloName(options_.helo_name)) {
    return unexpected(SendError{describe() + ": the EHLO name is not one word", false});
  }
  SmtpSession session(options_, describe());
  if (auto opened = session.open(); !opened) return opened;
  auto sent = session.sendMessage(envelope, mime);
  session.quit();
  return sent;
}

Result<void, SendError> SmtpTransport::check() {
  if (!isSafeHeloName(options_.helo_name)) {
    return unexpected(SendError{describe() + ": the EHLO name is not one word", false});
  }
  // The connection phase only: greeting, EHLO, STARTTLS, AUTH; then QUIT.
  SmtpSession session(options_, describe());
  auto opened = session.open();
  session.quit();
  return opened;
}

}  // namespace mxauth::email
