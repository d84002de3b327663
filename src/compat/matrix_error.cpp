#include "compat/matrix_error.h"

#include <algorithm>
#include <string>
#include <utility>

#include "http/middleware.h"

namespace mxauth::compat {

http::Response matrixJson(int status, std::string body) {
  http::Response response = http::Response::json(status, std::move(body));
  response.setHeader("Cache-Control", "no-store");
  return response;
}

http::Response matrixError(int status, std::string_view errcode, std::string_view message) {
  std::string body = "{\"errcode\":";
  http::appendJsonString(body, errcode);
  body += ",\"error\":";
  http::appendJsonString(body, message);
  body += '}';
  return matrixJson(status, std::move(body));
}

http::Response limitExceeded(std::int64_t retry_after_ms) {
  retry_after_ms = std::max<std::int64_t>(retry_after_ms, 0);
  http::Response response =
      matrixJson(429,
                 "{\"errcode\":\"M_LIMIT_EXCEEDED\",\"error\":\"Too many requests\","
                 "\"retry_after_ms\":" +
                     std::to_string(retry_after_ms) + "}");
  response.setHeader("Retry-After", std::to_string((retry_after_ms + 999) / 1000));
  return response;
}

}  // namespace mxauth::compat
