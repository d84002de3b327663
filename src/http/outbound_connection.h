#pragma once

// One blocking TCP connection to another server, optionally upgraded to TLS,
// for the outbound clients: the HTTP client (client.h) and the SMTP
// transport (email/smtp_transport.h). Asio and OpenSSL stay inside
// outbound_connection.cpp; each connection runs on an io_context of its own
// in the calling thread, so a connection is used by one thread at a time.
//
// Every operation ends by the deadline given at construction (the whole
// exchange, which setDeadline() moves for the next exchange of a kept-alive
// connection); connect() also has a deadline of its own. The name lookup
// (getaddrinfo, which cannot be interrupted) runs on a thread of its own
// that is left to finish alone when the deadline passes first; an IP
// literal needs none. Once an operation
// has timed out or failed, the connection is closed and every later one
// fails at once.
//
// TLS is always verified: the chain against the system's trust store (or
// the given CA file), and the certificate's names against the host name or
// IP address that was asked for (SNI is sent for names); TLS 1.2 or later.
// Nothing is read from the environment: no proxy.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/client.h"

namespace mxauth::http {

// For tests: every name lookup started after the call runs `lookup`
// instead of getaddrinfo, on the lookup's own thread as getaddrinfo would;
// an empty function restores getaddrinfo. `lookup` answers the host's
// addresses as IP literals, or an error (the host is not found).
using NameLookupForTesting =
    std::function<Result<std::vector<std::string>, std::string>(const std::string& host)>;
void setNameLookupForTesting(NameLookupForTesting lookup);

class OutboundConnection {
 public:
  using Clock = std::chrono::steady_clock;

  explicit OutboundConnection(Clock::time_point deadline);
  ~OutboundConnection();
  OutboundConnection(const OutboundConnection&) = delete;
  OutboundConnection& operator=(const OutboundConnection&) = delete;

  // Resolves `host` (a name or an IP literal, without brackets) and connects
  // to the first of its addresses that answers, trying them in order. With
  // `public_addresses_only`, an address that is not public unicast
  // (isPublicUnicast) is never connected to; when that leaves none that
  // answered, the error is Forbidden. Resolving and connecting together
  // take at most `timeout` (Timeout otherwise).
  Result<void, TransportError> connect(const std::string& host, std::uint16_t port,
                                       std::chrono::milliseconds timeout,
                                       bool public_addresses_only);

  // The TLS client handshake on the connected socket, verifying the
  // server's certificate for `host` against `ca_file` (a PEM bundle) or,
  // when empty, the system's trust store. Failed when the certificate is
  // not trusted or not for `host`, with OpenSSL's reason.
  Result<void, TransportError> startTls(const std::string& host, const std::string& ca_file);

  bool tls() const;

  // The deadline of the next exchange on a connection kept alive.
  void setDeadline(Clock::time_point deadline);

  // For a connection that sat idle between exchanges: true when it is
  // still open and nothing arrived meanwhile (a server that closed it, or
  // sent anything unasked, makes it unusable). Never waits.
  bool idleAndOpen();

  // Writes all of `data`.
  Result<void, TransportError> write(std::string_view data);

  // Waits for data and appends what arrived to `into`: the number of bytes,
  // 0 at the end of the stream.
  Result<std::size_t, TransportError> readSome(std::string& into);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxauth::http
