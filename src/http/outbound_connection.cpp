#include "http/outbound_connection.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace mxauth::http {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

struct OutboundConnection::Impl {
  explicit Impl(Clock::time_point until) : deadline(until) {}

  // The socket, whether or not TLS runs over it.
  tcp::socket& socket() { return tls_stream ? tls_stream->next_layer() : plain_socket; }

  // Calls `use` with the stream to read and write: TLS or the socket.
  template <class Use>
  auto withStream(Use use) {
    return tls_stream ? use(*tls_stream) : use(plain_socket);
  }

  // Runs the operation started before the call until its handler has set
  // `done` or `until` has passed. On timeout the connection is closed and
  // marked broken, and the io_context never runs again: the abandoned
  // handler (which refers to its caller's locals) is destroyed with it,
  // never called.
  bool wait(const bool& done, Clock::time_point until) {
    io.restart();
    io.run_until(until);
    if (done) return true;
    fail();
    return false;
  }

  void fail() {
    broken = true;
    error_code ignored;
    static_cast<void>(socket().close(ignored));
  }

  Clock::time_point deadline;
  bool broken = false;
  // Declared first, destroyed last: the objects below use it.
  asio::io_context io{1};
  tcp::socket plain_socket{io};
  std::optional<asio::ssl::context> tls_context;
  std::optional<asio::ssl::stream<tcp::socket>> tls_stream;
};

namespace {

std::mutex test_lookup_mutex;
std::shared_ptr<const NameLookupForTesting> test_lookup;  // guarded by test_lookup_mutex

std::shared_ptr<const NameLookupForTesting> currentTestLookup() {
  const std::lock_guard lock(test_lookup_mutex);
  return test_lookup;
}

// A name lookup (getaddrinfo) on a thread of its own, which cannot be
// interrupted: a caller that stops waiting leaves the thread to finish on
// its own, holding only this state, so no deadline waits for the resolver.
struct Lookup {
  // Null when no thread could be started.
  static std::shared_ptr<Lookup> start(const std::string& host, std::uint16_t port) {
    auto lookup = std::make_shared<Lookup>();
    try {
      std::thread(run, lookup, host, port, currentTestLookup()).detach();
    } catch (const std::system_error&) {
      return nullptr;
    }
    return lookup;
  }

  static void run(const std::shared_ptr<Lookup>& lookup, const std::string& host,
                  std::uint16_t port, const std::shared_ptr<const NameLookupForTesting>& replaced) {
    error_code error;
    std::vector<tcp::endpoint> endpoints;
    if (replaced) {
      auto found = (*replaced)(host);
      if (!found) {
        error = asio::error::host_not_found;
      } else {
        for (const std::string& literal : *found) {
          endpoints.emplace_back(asio::ip::make_address(literal, error), port);
          if (error) break;
        }
      }
    } else {
      asio::io_context io(1);
      tcp::resolver resolver(io);
      auto addresses =
          resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, error);
      for (const auto& entry : addresses) endpoints.push_back(entry.endpoint());
    }
    const std::lock_guard lock(lookup->mutex);
    lookup->error = error;
    lookup->endpoints = std::move(endpoints);
    lookup->done = true;
    lookup->finished.notify_all();
  }

  // False when `until` passed first.
  bool waitUntil(OutboundConnection::Clock::time_point until) {
    std::unique_lock lock(mutex);
    return finished.wait_until(lock, until, [this] { return done; });
  }

  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  error_code error;
  std::vector<tcp::endpoint> endpoints;
};

TransportError timedOut(std::string_view what) {
  return {TransportErrorCode::Timeout, std::string(what) + " timed out"};
}

TransportError brokenConnection() {
  return {TransportErrorCode::Failed, "the connection has already failed"};
}

// Why the handshake failed: the verification result when there is one
// (certificate untrusted, expired, for another name), otherwise the error.
std::string handshakeFailure(SSL* ssl, const error_code& error) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return std::string("TLS certificate verification failed: ") +
           X509_verify_cert_error_string(verify);
  }
  return "TLS handshake failed: " + error.message();
}

}  // namespace

void setNameLookupForTesting(NameLookupForTesting lookup) {
  auto replaced =
      lookup ? std::make_shared<const NameLookupForTesting>(std::move(lookup)) : nullptr;
  const std::lock_guard lock(test_lookup_mutex);
  test_lookup = std::move(replaced);
}

OutboundConnection::OutboundConnection(Clock::time_point deadline)
    : impl_(std::make_unique<Impl>(deadline)) {}

OutboundConnection::~OutboundConnection() = default;

bool OutboundConnection::tls() const { return impl_->tls_stream.has_value(); }

void OutboundConnection::setDeadline(Clock::time_point deadline) { impl_->deadline = deadline; }

bool OutboundConnection::idleAndOpen() {
  Impl& s = *impl_;
  if (s.broken || !s.socket().is_open()) return false;
  std::array<char, 1> byte{};
  const ssize_t peeked =
      ::recv(s.socket().native_handle(), byte.data(), byte.size(), MSG_PEEK | MSG_DONTWAIT);
  if (peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  // The end of the stream, an error, or bytes nobody asked for (for TLS,
  // most likely the server's close_notify).
  s.fail();
  return false;
}

Result<void, TransportError> OutboundConnection::connect(const std::string& host,
                                                         std::uint16_t port,
                                                         std::chrono::milliseconds timeout,
                                                         bool public_addresses_only) {
  Impl& s = *impl_;
  if (s.broken) return unexpected(brokenConnection());
  const Clock::time_point until = std::min(s.deadline, Clock::now() + timeout);

  error_code error;
  std::vector<tcp::endpoint> endpoints;
  if (const asio::ip::address literal = asio::ip::make_address(host, error); !error) {
    // An IP literal: nothing to look up.
    endpoints.emplace_back(literal, port);
  } else {
    const std::shared_ptr<Lookup> lookup = Lookup::start(host, port);
    if (!lookup) {
      s.broken = true;
      return unexpected(TransportError{TransportErrorCode::Failed, "cannot start a name lookup"});
    }
    if (!lookup->waitUntil(until)) {
      s.broken = true;
      return unexpected(timedOut("resolving " + host));
    }
    error = lookup->error;
    if (error) {
      s.broken = true;
      return unexpected(TransportError{TransportErrorCode::Unreachable,
                                       "could not resolve " + host + ": " + error.message()});
    }
    endpoints = std::move(lookup->endpoints);
  }

  bool refused = false;
  std::string last_failure = "no address";
  for (const tcp::endpoint& endpoint : endpoints) {
    if (public_addresses_only) {
      // The address connected to is the one checked, whatever the name.
      const std::optional<IpAddress> address = IpAddress::parse(endpoint.address().to_string());
      if (!address || !isPublicUnicast(*address)) {
        refused = true;
        continue;
      }
    }
    error_code ignored;
    static_cast<void>(s.plain_socket.close(ignored));
    bool connected = false;
    s.plain_socket.async_connect(endpoint, [&](const error_code& e) {
      connected = true;
      error = e;
    });
    if (!s.wait(connected, until)) return unexpected(timedOut("connecting to " + host));
    if (!error) {
      static_cast<void>(s.plain_socket.set_option(tcp::no_delay(true), ignored));
      return {};
    }
    last_failure = endpoint.address().to_string() + ": " + error.message();
  }
  s.broken = true;
  if (refused) {
    return unexpected(TransportError{TransportErrorCode::Forbidden,
                                     "the host has no public address (refused before connecting)"});
  }
  return unexpected(TransportError{TransportErrorCode::Unreachable,
                                   "could not connect to " + host + " (" + last_failure + ")"});
}

Result<void, TransportError> OutboundConnection::startTls(const std::string& host,
                                                          const std::string& ca_file) {
  Impl& s = *impl_;
  if (s.broken || s.tls_stream) return unexpected(brokenConnection());
  s.tls_context.emplace(asio::ssl::context::tls_client);
  SSL_CTX* context = s.tls_context->native_handle();
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  const bool trusted = ca_file.empty()
                           ? SSL_CTX_set_default_verify_paths(context) == 1
                           : SSL_CTX_load_verify_locations(context, ca_file.c_str(), nullptr) == 1;
  if (!trusted) {
    s.fail();
    return unexpected(TransportError{TransportErrorCode::Failed,
                                     ca_file.empty()
                                         ? "cannot load the system's trusted certificates"
                                         : "cannot load the trusted certificates from " + ca_file});
  }
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);

  s.tls_stream.emplace(std::move(s.plain_socket), *s.tls_context);
  SSL* ssl = s.tls_stream->native_handle();
  error_code not_an_address;
  static_cast<void>(asio::ip::make_address(host, not_an_address));
  bool named = false;
  if (not_an_address) {
    // A name: sent in SNI and matched against the certificate's DNS names.
    named =
        SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
  } else {
    named = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!named) {
    s.fail();
    return unexpected(TransportError{TransportErrorCode::Failed, "cannot verify TLS for " + host});
  }

  bool done = false;
  error_code error;
  s.tls_stream->async_handshake(asio::ssl::stream_base::client, [&](const error_code& e) {
    done = true;
    error = e;
  });
  if (!s.wait(done, s.deadline)) return unexpected(timedOut("the TLS handshake"));
  if (error) {
    std::string reason = handshakeFailure(ssl, error);
    s.fail();
    return unexpected(TransportError{TransportErrorCode::Failed, std::move(reason)});
  }
  return {};
}

Result<void, TransportError> OutboundConnection::write(std::string_view data) {
  Impl& s = *impl_;
  if (s.broken) return unexpected(brokenConnection());
  bool done = false;
  error_code error;
  s.withStream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(data.data(), data.size()),
                      [&](const error_code& e, std::size_t) {
                        done = true;
                        error = e;
                      });
  });
  if (!s.wait(done, s.deadline)) return unexpected(timedOut("sending"));
  if (error) {
    s.fail();
    return unexpected(
        TransportError{TransportErrorCode::Failed, "could not send: " + error.message()});
  }
  return {};
}

Result<std::size_t, TransportError> OutboundConnection::readSome(std::string& into) {
  Impl& s = *impl_;
  if (s.broken) return unexpected(brokenConnection());
  std::array<char, std::size_t{16} << 10> chunk{};
  bool done = false;
  error_code error;
  std::size_t received = 0;
  s.withStream([&](auto& stream) {
    stream.async_read_some(asio::buffer(chunk), [&](const error_code& e, std::size_t bytes) {
      done = true;
      error = e;
      received = bytes;
    });
  });
  if (!s.wait(done, s.deadline)) return unexpected(timedOut("waiting for the answer"));
  into.append(chunk.data(), received);
  if (!error || received > 0) return received;
  // The end of the stream; a TLS peer that closed without close_notify
  // too (what the caller reads carries its own length where that matters).
  if (received == 0 && (error == asio::error::eof || error == asio::ssl::error::stream_truncated)) {
    s.broken = true;
    return std::size_t{0};
  }
  s.fail();
  return unexpected(
      TransportError{TransportErrorCode::Failed, "could not receive: " + error.message()});
}

}  // namespace mxauth::http
