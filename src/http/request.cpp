#include "http/request.h"

#include <array>

namespace mxauth::http {
namespace {

constexpr std::array<std::pair<Method, std::string_view>, kMethodCount> kMethodNames = {{
    {Method::Get, "GET"},
    {Method::Head, "HEAD"},
    {Method::Post, "POST"},
    {Method::Put, "PUT"},
    {Method::Patch, "PATCH"},
    {Method::Delete, "DELETE"},
    {Method::Options, "OPTIONS"},
}};

}  // namespace

std::optional<Method> parseMethod(std::string_view token) {
  for (const auto& [method, name] : kMethodNames) {
    if (name == token) return method;
  }
  return std::nullopt;
}

std::string_view methodName(Method method) {
  switch (method) {
    case Method::Get:
      return "GET";
    case Method::Head:
      return "HEAD";
    case Method::Post:
      return "POST";
    case Method::Put:
      return "PUT";
    case Method::Patch:
      return "PATCH";
    case Method::Delete:
      return "DELETE";
    case Method::Options:
      return "OPTIONS";
  }
  return "GET";
}

Result<Request, ParseError> Request::make(Method method, std::string_view target) {
  auto parsed = parseRequestTarget(target);
  if (!parsed) return unexpected(parsed.error());
  Request request;
  request.method = method;
  request.target = std::string(target);
  request.path = std::move(parsed->path);
  request.query = std::move(parsed->query);
  return request;
}

std::optional<std::string_view> Request::pathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

Result<FormParams, ParseError> Request::form() const {
  const std::optional<std::string_view> content_type = header("Content-Type");
  if (!content_type || !isFormContentType(*content_type)) {
    return unexpected(ParseError::WrongContentType);
  }
  return parseUrlEncoded(body);
}

std::vector<Cookie> Request::cookies() const {
  std::vector<Cookie> all;
  for (const std::string_view value : headers.getAll("Cookie")) {
    std::vector<Cookie> some = parseCookieHeader(value);
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
  for (const Cookie& c : cookies()) {
    if (c.name == name) return c.value;
  }
  return std::nullopt;
}

}  // namespace mxauth::http
