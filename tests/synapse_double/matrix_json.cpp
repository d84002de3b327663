#include "tests/synapse_double/matrix_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace mxauth::test {
namespace {

constexpr std::string_view kBearerPrefix = "Bearer ";

}  // namespace

http::Response errorResponse(const MatrixError& error) {
  boost::json::object body{{"errcode", error.errcode}, {"error", error.error}};
  if (error.soft_logout) body["soft_logout"] = *error.soft_logout;
  return jsonResponse(error.status, body);
}

http::Response jsonResponse(int status, const boost::json::value& body) {
  return http::Response::json(status, boost::json::serialize(body));
}

Result<boost::json::object, MatrixError> parseJsonObject(std::string_view body) {
  std::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return unexpected(MatrixError{400, "M_NOT_JSON", "Content not JSON.", {}});
  if (!parsed.is_object()) {
    return unexpected(MatrixError{400, "M_BAD_JSON", "Content must be a JSON object.", {}});
  }
  return std::move(parsed.as_object());
}

std::string FieldReader::requiredString(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr) {
    missing(name);
    return {};
  }
  if (!value->is_string()) {
    invalid(name, "a valid string");
    return {};
  }
  return std::string(value->as_string());
}

std::optional<std::string> FieldReader::optionalString(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    invalid(name, "a valid string");
    return std::nullopt;
  }
  return std::string(value->as_string());
}

bool FieldReader::requiredBool(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr) {
    missing(name);
    return false;
  }
  if (!value->is_bool()) {
    invalid(name, "a valid boolean");
    return false;
  }
  return value->as_bool();
}

bool FieldReader::boolOrFalse(std::string_view name) {
  if (!object_.contains(name)) return false;
  return requiredBool(name);
}

std::optional<bool> FieldReader::optionalBool(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return requiredBool(name);
}

std::vector<std::string> FieldReader::requiredStringList(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr) {
    missing(name);
    return {};
  }
  if (!value->is_array()) {
    invalid(name, "a valid list");
    return {};
  }
  std::vector<std::string> items;
  for (const boost::json::value& item : value->as_array()) {
    if (!item.is_string()) {
      invalid(name, "a list of valid strings");
      return {};
    }
    items.emplace_back(item.as_string());
  }
  return items;
}

std::optional<std::vector<std::string>> FieldReader::optionalStringList(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return requiredStringList(name);
}

std::optional<std::int64_t> FieldReader::optionalInteger(std::string_view name) {
  const boost::json::value* value = object_.if_contains(name);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() &&
      value->as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value->as_uint64());
  }
  invalid(name, "a valid integer");
  return std::nullopt;
}

void FieldReader::refuse(std::string message) {
  if (error_) return;
  error_ = MatrixError{400, "M_INVALID_PARAM", std::move(message), {}};
}

void FieldReader::missing(std::string_view name) {
  if (error_) return;
  error_ = MatrixError{400, "M_MISSING_PARAM", std::string(name) + ": Field required", {}};
}

void FieldReader::invalid(std::string_view name, std::string_view expected) {
  if (error_) return;
  error_ = MatrixError{
      400, "M_INVALID_PARAM", std::string(name) + ": Input should be " + std::string(expected), {}};
}

Result<std::string, MatrixError> accessTokenOf(const http::Request& request) {
  auto missing = [](std::string message) {
    return unexpected(MatrixError{401, "M_MISSING_TOKEN", std::move(message), {}});
  };
  const std::vector<std::string_view> authorization = request.headerValues("Authorization");
  const std::vector<std::string_view> query_tokens = request.query.getAll("access_token");
  if (authorization.empty()) {
    if (query_tokens.empty()) return missing("Missing access token");
    return std::string(query_tokens.front());
  }
  if (!query_tokens.empty()) {
    return missing("Mixing Authorization headers and access_token query parameters.");
  }
  if (authorization.size() > 1) return missing("Too many Authorization headers.");
  // Synapse splits on single spaces and wants exactly ["Bearer", token].
  const std::string_view value = authorization.front();
  if (!value.starts_with(kBearerPrefix)) return missing("Invalid Authorization header.");
  const std::string_view token = value.substr(kBearerPrefix.size());
  if (token.find(' ') != std::string_view::npos) return missing("Invalid Authorization header.");
  return std::string(token);
}

}  // namespace mxauth::test
