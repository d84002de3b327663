#pragma once

// How a built message leaves mxauth (email.transport): a Transport takes
// the envelope (RFC 5321 MAIL FROM / RCPT TO) and the MIME text of
// buildMime() and hands them on, or says why not.

#include <string>
#include <string_view>

#include "core/result.h"

namespace mxauth::email {

struct Envelope {
  std::string from;  // the reverse path: email.from's address
  std::string to;    // the one recipient
};

// Why a message was not handed on. `message` is for logs and the operator
// (`mxauth email test`): it names the server and the SMTP reply, never a
// password. `permanent` is true when sending again cannot help (RFC 5321
// §4.2.1: a 5yz reply, such as an unknown recipient); the job queue then
// gives up at once instead of retrying.
struct SendError {
  std::string message;
  bool permanent = false;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Hands one message on; returns once the server has accepted it (SMTP:
  // 250 after the data) or failed. Blocks for at most the transport's
  // timeouts. Thread-safe.
  virtual Result<void, SendError> send(const Envelope& envelope, std::string_view mime) = 0;

  // Checks that messages could be sent (SMTP: connect, TLS, EHLO, AUTH),
  // without sending one; for `mxauth doctor`.
  virtual Result<void, SendError> check() = 0;

  // For logs: "blackhole", "smtp://host:25 (starttls)".
  virtual std::string describe() const = 0;
};

// email.transport: blackhole. Accepts every message and drops it.
class BlackholeTransport final : public Transport {
 public:
  Result<void, SendError> send(const Envelope&, std::string_view) override { return {}; }
  Result<void, SendError> check() override { return {}; }
  std::string describe() const override { return "blackhole"; }
};

}  // namespace mxauth::email
