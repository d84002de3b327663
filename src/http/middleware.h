#pragma once

// What the server does to every request and response, as pure functions so
// that they can be tested (and fuzzed) without sockets: the defaults every
// response gets, the request-id rule and the access-log line.

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/response.h"

namespace mxauth::http {

// Adds what every response carries unless the handler set it already:
//  - X-Request-Id, X-Content-Type-Options: nosniff, Server: mxauth;
//  - on text/html: a Content-Security-Policy that allows only our own
//    origin and forbids framing, X-Frame-Options: DENY and
//    Referrer-Policy: no-referrer;
//  - on JSON (application/json, */*+json): Cache-Control: no-store, since
//    API answers carry tokens and personal data (RFC 6749 §5.1);
//  - Strict-Transport-Security with `strict_transport_security` when it is
//    not empty (the service is public over https; RFC 6797).
void applyDefaultHeaders(Response& response, std::string_view request_id,
                         std::string_view strict_transport_security = {});

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'";

// An incoming X-Request-Id is kept only if it is 1–64 visible ASCII
// characters, so that a client cannot flood our logs through it.
bool isAcceptableRequestId(std::string_view id);

// The fields of one access-log line. Strings may hold anything a client
// sent; formatAccessLog() escapes them.
struct AccessLogEntry {
  std::optional<Timestamp> time;  // left out of the line when unknown
  std::string_view method;
  std::string_view route;  // the route's pattern, or "unmatched"
  std::string_view path;
  int status = 0;
  double duration_ms = 0;
  std::string_view request_id;
  std::string_view remote;  // the client (Request::remote_address)
  // The TCP peer when it is not the client (a trusted proxy); else empty
  // and left out of the line.
  std::string_view peer;
  std::size_t bytes = 0;  // response body size
  std::string_view user_agent;
};

// One JSON object on one line, without the trailing newline:
// {"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"request",...}
std::string formatAccessLog(const AccessLogEntry& entry);
// The same line appended to `out` (the server formats into a buffer it
// reuses, so a request's log line costs no allocation).
void appendAccessLog(std::string& out, const AccessLogEntry& entry);

// Appends `text` as a JSON string literal (with quotes). Bytes that are not
// valid UTF-8 become U+FFFD so that the line stays valid JSON.
void appendJsonString(std::string& out, std::string_view text);

// "2026-01-01T00:00:00.000Z"
std::string formatIso8601(Timestamp time);
void appendIso8601(std::string& out, Timestamp time);

}  // namespace mxauth::http
