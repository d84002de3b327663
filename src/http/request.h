#pragma once

// The framework-neutral request that handlers see (design §3). The server
// adapter fills it from the wire; handler tests build one with
// Request::make(). Nothing here knows about sockets or Beast.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/headers.h"
#include "http/url_encoding.h"

namespace mxauth::http {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options };

inline constexpr std::size_t kMethodCount = 7;

// Method tokens are case-sensitive (RFC 9110 §9.1): "get" is not GET.
std::optional<Method> parseMethod(std::string_view token);
std::string_view methodName(Method method);

struct Request {
  Method method = Method::Get;
  std::string target;  // as received, e.g. "/authorize?client_id=x"
  std::string path;    // percent-decoded path of the target
  FormParams query;    // decoded query parameters, in order
  Headers headers;
  std::string body;
  // The client's IP address, without port: the TCP peer, or what trusted
  // proxies forwarded (http/client_address.h). Rate limits key on it.
  std::string remote_address;
  // The TCP peer's IP address; differs from remote_address only behind a
  // trusted proxy.
  std::string peer_address;
  std::string request_id;
  // Values of the route's {name} segments, filled in by the router.
  std::vector<std::pair<std::string, std::string>> path_params;

  // Builds a request from a method and a target, parsing path and query as
  // the server does. For handler tests and internal dispatch.
  static Result<Request, ParseError> make(Method method, std::string_view target);

  std::optional<std::string_view> header(std::string_view name) const { return headers.get(name); }
  std::vector<std::string_view> headerValues(std::string_view name) const {
    return headers.getAll(name);
  }
  std::optional<std::string_view> queryParam(std::string_view name) const {
    return query.get(name);
  }
  std::optional<std::string_view> pathParam(std::string_view name) const;

  // Parses the body as application/x-www-form-urlencoded. WrongContentType
  // when the Content-Type says otherwise (parameters such as
  // "; charset=UTF-8" are fine); a decoding error when the body is not
  // valid percent-encoded UTF-8.
  Result<FormParams, ParseError> form() const;

  // The cookie-pairs of every Cookie header. Views point into `headers`, so
  // they live as long as this request is unchanged.
  std::vector<Cookie> cookies() const;
  // The first cookie called `name`.
  std::optional<std::string_view> cookie(std::string_view name) const;
};

}  // namespace mxauth::http
