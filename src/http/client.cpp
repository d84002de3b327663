#include "http/client.h"

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <charconv>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/outbound_connection.h"

namespace mxauth::http {
namespace {

namespace beast_http = boost::beast::http;

// Ranges no fetch on someone else's behalf may reach (isPublicUnicast).
// IPv4 ranges also cover the IPv4-mapped IPv6 form (IpAddress stores IPv4
// that way).
constexpr std::array kNonPublicRanges = {
    "0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
    "::/96",         "64:ff9b::/96",    "64:ff9b:1::/48", "100::/64",       "2001::/23",
    "2001:db8::/32", "2002::/16",       "fc00::/7",       "fe80::/10",      "fec0::/10",
    "ff00::/8",
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

TransportError failed(std::string message) {
  return {TransportErrorCode::Failed, std::move(message)};
}

// Where a URL points: what connecting needs and what the request line and
// Host header say.
struct Target {
  bool https = false;
  std::string host;  // a name or an IP address, without brackets
  std::uint16_t port = 0;
  std::string authority;  // for Host: the host (bracketed if IPv6), ":port" if not the default
  std::string path;       // origin form: path and query, never empty
};

bool isHostNameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

bool isIpv6Character(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

// RFC 9110 §5.6.2: a token (method and header names).
bool isToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

bool hasControlCharacters(std::string_view text, bool allow_space) {
  return std::any_of(text.begin(), text.end(), [allow_space](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f || (!allow_space && byte == ' ');
  });
}

// An absolute http:// or https:// URL. Forbidden for another scheme (or
// http:// when only https:// is allowed); Failed when it cannot be read,
// or carries credentials.
Result<Target, TransportError> parseTarget(std::string_view url, bool https_only) {
  const std::size_t separator = url.find("://");
  if (separator == std::string_view::npos) return unexpected(failed("not an absolute URL"));
  const std::string scheme = lowercase(url.substr(0, separator));
  if (scheme != "https" && (scheme != "http" || https_only)) {
    return unexpected(TransportError{TransportErrorCode::Forbidden, "scheme not allowed"});
  }
  Target target;
  target.https = scheme == "https";
  std::string_view rest = url.substr(separator + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  path = path.substr(0, path.find('#'));
  if (authority.find('@') != std::string_view::npos) {
    return unexpected(failed("credentials in the URL are not supported"));
  }

  std::string_view host;
  std::string_view port_text;
  bool ipv6 = false;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return unexpected(failed("bad host in URL"));
    host = authority.substr(1, close - 1);
    ipv6 = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return unexpected(failed("bad host in URL"));
    if (!after.empty()) port_text = after.substr(1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), isIpv6Character)) {
      return unexpected(failed("bad host in URL"));
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), isHostNameCharacter)) {
      return unexpected(failed("bad host in URL"));
    }
  }
  const std::uint16_t default_port = target.https ? 443 : 80;
  target.port = default_port;
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return unexpected(failed("bad port in URL"));
    }
    target.port = static_cast<std::uint16_t>(port);
  }
  if (hasControlCharacters(path, false)) return unexpected(failed("bad path in URL"));

  target.host = std::string(host);
  target.authority = ipv6 ? "[" + target.host + "]" : target.host;
  if (target.port != default_port) target.authority += ":" + std::to_string(target.port);
  target.path = path.empty() || path.starts_with('?') ? "/" + std::string(path) : std::string(path);
  return target;
}

bool hasHeader(const OutboundRequest& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return lowercase(header.first) == name; });
}

// The request's head and body. Defaults (User-Agent, Accept, a form
// Content-Type for a body) give way to the caller's headers, and a header
// with an empty value is not sent at all; the framing headers are ours
// alone.
Result<std::string, TransportError> serialise(const OutboundRequest& request, const Target& target,
                                              const std::string& user_agent, bool keep_alive) {
  if (!isToken(request.method)) return unexpected(failed("bad method"));
  std::string out = request.method + " " + target.path + " HTTP/1.1\r\n";
  out += "Host: " + target.authority + "\r\n";
  if (!hasHeader(request, "user-agent")) out += "User-Agent: " + user_agent + "\r\n";
  if (!hasHeader(request, "accept")) out += "Accept: */*\r\n";
  for (const auto& [name, value] : request.headers) {
    const std::string lower = lowercase(name);
    if (!isToken(name) || hasControlCharacters(value, true) || lower == "host" ||
        lower == "content-length" || lower == "transfer-encoding" || lower == "connection") {
      return unexpected(failed("bad request header " + name));
    }
    if (!value.empty()) out += name + ": " + value + "\r\n";
  }
  const bool with_body =
      request.method != "GET" && (request.method != "DELETE" || !request.body.empty());
  if (with_body) {
    if (!hasHeader(request, "content-type")) {
      out += "Content-Type: application/x-www-form-urlencoded\r\n";
    }
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  // HTTP/1.1 connections persist unless one side says otherwise.
  out += keep_alive ? "\r\n" : "Connection: close\r\n\r\n";
  if (with_body) out += request.body;
  return out;
}

// What readResponse() learnt besides the response.
struct Exchange {
  // Some byte of the answer arrived (a failure before any may be retried on
  // a new connection, HttpClientOptions::keep_alive).
  bool answered = false;
  // The answer ended where its length said and left the connection open
  // for another request.
  bool reusable = false;
};

// Reads the response (after any 1xx interim ones), its body at most
// `limit` bytes.
Result<OutboundResponse, TransportError> readResponse(OutboundConnection& connection,
                                                      std::size_t limit, bool head,
                                                      Exchange& exchange) {
  std::optional<beast_http::response_parser<beast_http::string_body>> parser;
  const auto startParser = [&] {
    parser.emplace();
    parser->header_limit(std::uint32_t{64} << 10);
    parser->body_limit(limit);
    parser->eager(true);
    parser->skip(head);  // the answer to HEAD has no body, whatever it says
  };
  startParser();
  std::string received;
  for (;;) {
    if (!received.empty()) {
      boost::system::error_code error;
      const std::size_t used =
          parser->put(boost::asio::buffer(received.data(), received.size()), error);
      received.erase(0, used);
      if (error == beast_http::error::body_limit) {
        return unexpected(
            TransportError{TransportErrorCode::TooLarge, "the response is larger than allowed"});
      }
      if (error && error != beast_http::error::need_more) {
        return unexpected(failed("malformed response: " + error.message()));
      }
      if (parser->is_done()) {
        if (parser->get().result_int() / 100 != 1) break;
        startParser();  // an interim response (100 Continue): the real one follows
        continue;
      }
      if (!error && used > 0) continue;
    }
    auto read = connection.readSome(received);
    if (!read) return unexpected(std::move(read.error()));
    if (*read > 0) exchange.answered = true;
    if (*read == 0 && !exchange.answered) {
      return unexpected(failed("the connection closed without an answer"));
    }
    if (*read == 0) {
      boost::system::error_code error;
      parser->put_eof(error);
      if (error) return unexpected(failed("the connection closed before the response ended"));
      break;
    }
  }
  exchange.reusable = parser->is_done() && parser->keep_alive() && received.empty();
  OutboundResponse response;
  const auto& message = parser->get();
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(lowercase(field.name_string()), std::string(field.value()));
  }
  response.body = message.body();
  return response;
}

}  // namespace

bool isPublicUnicast(const IpAddress& address) {
  static const std::vector<IpRange> ranges = [] {
    std::vector<IpRange> parsed;
    parsed.reserve(kNonPublicRanges.size());
    for (const char* text : kNonPublicRanges) parsed.push_back(*IpRange::parse(text));
    return parsed;
  }();
  return std::none_of(ranges.begin(), ranges.end(),
                      [&](const IpRange& range) { return range.contains(address); });
}

std::string_view OutboundResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

// Connections kept open between requests, by origin; the oldest are
// dropped first.
struct HttpClient::IdleConnections {
  struct Idle {
    std::string origin;
    std::unique_ptr<OutboundConnection> connection;
    OutboundConnection::Clock::time_point since;
  };

  // The connection to `origin` that went idle last, if it has not been
  // idle too long. Those that have are closed on the way.
  std::unique_ptr<OutboundConnection> take(const std::string& origin,
                                           std::chrono::milliseconds timeout) {
    const auto now = OutboundConnection::Clock::now();
    std::vector<std::unique_ptr<OutboundConnection>> expired;
    std::unique_ptr<OutboundConnection> found;
    {
      const std::lock_guard lock(mutex);
      for (auto it = idle.begin(); it != idle.end();) {
        if (now - it->since > timeout) {
          expired.push_back(std::move(it->connection));
          it = idle.erase(it);
        } else {
          ++it;
        }
      }
      for (auto it = idle.rbegin(); it != idle.rend(); ++it) {
        if (it->origin == origin) {
          found = std::move(it->connection);
          idle.erase(std::next(it).base());
          break;
        }
      }
    }
    return found;  // `expired` closes outside the lock
  }

  void put(std::string origin, std::unique_ptr<OutboundConnection> connection, std::size_t limit) {
    std::unique_ptr<OutboundConnection> dropped;
    const std::lock_guard lock(mutex);
    if (limit == 0) return;
    if (idle.size() >= limit) {
      dropped = std::move(idle.front().connection);
      idle.erase(idle.begin());
    }
    idle.push_back(
        Idle{std::move(origin), std::move(connection), OutboundConnection::Clock::now()});
  }

  mutable std::mutex mutex;
  std::vector<Idle> idle;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)), idle_(std::make_unique<IdleConnections>()) {}

HttpClient::~HttpClient() = default;

std::size_t HttpClient::idleConnections() const {
  const std::lock_guard lock(idle_->mutex);
  return idle_->idle.size();
}

Result<OutboundResponse, TransportError> HttpClient::send(const OutboundRequest& request) const {
  const auto deadline = OutboundConnection::Clock::now() + options_.total_timeout;
  auto target = parseTarget(request.url, options_.https_only);
  if (!target) return unexpected(std::move(target.error()));
  auto message = serialise(request, *target, options_.user_agent, options_.keep_alive);
  if (!message) return unexpected(std::move(message.error()));
  const bool head = request.method == "HEAD";
  const std::string origin = (target->https ? "https://" : "http://") + target->authority;

  // Sends the request on `connection` and reads the answer; a connection
  // left reusable goes back to the idle ones.
  const auto exchange = [&](std::unique_ptr<OutboundConnection> connection,
                            Exchange& learnt) -> Result<OutboundResponse, TransportError> {
    if (auto sent = connection->write(*message); !sent) return unexpected(std::move(sent.error()));
    auto response = readResponse(*connection, options_.max_response_bytes, head, learnt);
    if (response && options_.keep_alive && learnt.reusable) {
      idle_->put(origin, std::move(connection), options_.max_idle_connections);
    }
    return response;
  };

  if (options_.keep_alive) {
    std::unique_ptr<OutboundConnection> kept = idle_->take(origin, options_.idle_timeout);
    if (kept && kept->idleAndOpen()) {
      kept->setDeadline(deadline);
      Exchange learnt;
      auto response = exchange(std::move(kept), learnt);
      // The server may have closed the connection as the request left:
      // nothing of an answer arrived, so send it again on a new one.
      if (response || learnt.answered || response.error().code == TransportErrorCode::Timeout) {
        return response;
      }
    }
  }

  auto connection = std::make_unique<OutboundConnection>(deadline);
  if (auto connected = connection->connect(target->host, target->port, options_.connect_timeout,
                                           options_.public_addresses_only);
      !connected) {
    return unexpected(std::move(connected.error()));
  }
  if (target->https) {
    if (auto secured = connection->startTls(target->host, options_.ca_file); !secured) {
      return unexpected(std::move(secured.error()));
    }
  }
  Exchange learnt;
  return exchange(std::move(connection), learnt);
}

}  // namespace mxauth::http
