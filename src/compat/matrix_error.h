#pragma once

// Errors of the legacy Matrix client-server API: {"errcode", "error"}
// (Matrix spec, "Standard error response"; spec-digest §4.9), never cached.

#include <cstdint>
#include <string_view>

#include "http/response.h"

namespace mxauth::compat {

http::Response matrixError(int status, std::string_view errcode, std::string_view message);

// 429 M_LIMIT_EXCEEDED with retry_after_ms, and Retry-After in whole
// seconds rounded up (RFC 9110 §10.2.3) for clients that read the header.
http::Response limitExceeded(std::int64_t retry_after_ms);

// A JSON success body, never cached.
http::Response matrixJson(int status, std::string body);

}  // namespace mxauth::compat
