// Fuzz target: the server's path from raw bytes to http::Request
// (src/http/server.cpp parseRawRequestForTesting: Beast's request_parser
// with the server's header and body limits, then the conversion a live
// connection makes, X-Forwarded-For walk included), pipelined requests one
// after the other as on a kept-alive connection, then the Router and the
// request's own parsers (form body, cookies).
// Input: a byte of flags (small limits, trusted proxies), then the bytes.
// Invariants: either a Request or one of the statuses the server answers
// (400, 405, 413, 431) or nothing (the bytes ended); the parser never reads
// past the input; a Request's path starts with '/', its body is within the
// limit, and its target is what its path and query were parsed from.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/server.h"
#include "http/url_encoding.h"

namespace {

namespace http = mxauth::http;

const http::Router& router() {
  static const http::Router table = [] {
    http::Router r;
    const auto ok = [](http::Request&) { return http::Response{}; };
    r.add(http::Method::Get, "/health", ok);
    r.add(http::Method::Post, "/oauth2/token", ok);
    r.add(http::Method::Get, "/oauth2/authorize", ok);
    r.add(http::Method::Get, "/device/{id}", ok);
    r.add(http::Method::Post, "/device/{id}", ok);
    r.add(http::Method::Get, "/_matrix/client/{version}/login", ok);
    return r;
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxauth::fuzz::Input input(data, size);
  const std::uint8_t flags = input.byte();
  const std::string_view bytes = input.rest();

  http::ServerOptions options;
  if ((flags & 1) != 0) {
    options.max_header_bytes = 256;
    options.max_body_bytes = 64;
  }
  if ((flags & 2) != 0) {
    auto trusted = http::TrustedProxies::parse({"10.0.0.0/8", "2001:db8::/32"});
    MXAUTH_FUZZ_CHECK(trusted.has_value());
    options.trusted_proxies = std::move(*trusted);
  }
  const std::string peer = (flags & 4) != 0 ? "2001:db8::1" : "10.1.2.3";

  std::size_t offset = 0;
  for (int requests = 0; requests < 8 && offset < bytes.size(); ++requests) {
    const http::RawRequestResult result =
        http::parseRawRequestForTesting(bytes.substr(offset), options, peer);
    MXAUTH_FUZZ_CHECK(result.consumed <= bytes.size() - offset);
    if (result.status) {
      const int status = *result.status;
      MXAUTH_FUZZ_CHECK(status == 400 || status == 405 || status == 413 || status == 431);
      MXAUTH_FUZZ_CHECK(!result.request.has_value());
    }
    if (!result.request) return 0;
    const http::Request& request = *result.request;
    MXAUTH_FUZZ_CHECK(request.path.starts_with('/'));
    MXAUTH_FUZZ_CHECK(request.body.size() <= options.max_body_bytes);
    MXAUTH_FUZZ_CHECK(request.peer_address == peer);
    if (options.trusted_proxies.empty()) MXAUTH_FUZZ_CHECK(request.remote_address == peer);
    auto again = http::parseRequestTarget(request.target);
    MXAUTH_FUZZ_CHECK(again.has_value() && again->path == request.path);

    const http::RouteMatch match = router().match(request.method, request.path);
    if (match.kind == http::RouteMatch::Kind::Found) {
      for (const auto& [name, value] : match.params) MXAUTH_FUZZ_CHECK(!value.empty());
    }
    if (auto form = request.form()) {
      for (const auto& entry : form->entries()) MXAUTH_FUZZ_CHECK(http::isValidUtf8(entry.second));
    }
    (void)request.cookies();
    if (result.consumed == 0) return 0;
    offset += result.consumed;
  }
  return 0;
}
