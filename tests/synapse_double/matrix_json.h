#pragma once

// How Synapse reads requests and writes errors, as far as the double needs
// it: Matrix error bodies, JSON bodies validated field by field the way
// Synapse's pydantic models do, and the access token of a request.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/request.h"
#include "http/response.h"

namespace mxauth::test {

// A Matrix error ([S] #standard-error-response). Synapse's SynapseError
// defaults to M_UNKNOWN; InvalidClientTokenError adds soft_logout
// ([SYN synapse/api/errors.py]).
struct MatrixError {
  int status = 500;
  std::string errcode = "M_UNKNOWN";
  std::string error;
  std::optional<bool> soft_logout;
};

http::Response errorResponse(const MatrixError& error);
http::Response jsonResponse(int status, const boost::json::value& body);

// Synapse's parse_json_object_from_request ([SYN synapse/http/servlet.py]):
// anything that is not UTF-8 JSON → 400 M_NOT_JSON; JSON that is not an
// object → 400 M_BAD_JSON. Content-Type is not looked at.
Result<boost::json::object, MatrixError> parseJsonObject(std::string_view body);

// Reads the fields of a request body with pydantic's strict types, in the
// order of the model's declaration, keeping the first problem as Synapse's
// validate_json_object reports it: a missing field → 400 M_MISSING_PARAM,
// any other → 400 M_INVALID_PARAM. Unknown fields are ignored. Accessors
// return an empty value once a problem is recorded; check error() last.
class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object) : object_(object) {}

  bool has(std::string_view name) const { return object_.contains(name); }

  std::string requiredString(std::string_view name);
  // StrictStr | None: absent or null → nullopt.
  std::optional<std::string> optionalString(std::string_view name);
  bool requiredBool(std::string_view name);
  // StrictBool = False: absent → false; null is invalid.
  bool boolOrFalse(std::string_view name);
  // StrictBool | None: absent or null → nullopt.
  std::optional<bool> optionalBool(std::string_view name);
  std::vector<std::string> requiredStringList(std::string_view name);
  // list[StrictStr] | None
  std::optional<std::vector<std::string>> optionalStringList(std::string_view name);
  // StrictInt | None: absent or null → nullopt; floats and booleans are invalid.
  std::optional<std::int64_t> optionalInteger(std::string_view name);
  // For a model validator's refusal (M_INVALID_PARAM).
  void refuse(std::string message);

  const std::optional<MatrixError>& error() const { return error_; }

 private:
  void missing(std::string_view name);
  void invalid(std::string_view name, std::string_view expected);

  const boost::json::object& object_;
  std::optional<MatrixError> error_;
};

// Synapse's get_access_token_from_request ([SYN synapse/api/auth/base.py]):
// one "Authorization: Bearer <token>" header, or else the access_token query
// parameter; anything else → 401 M_MISSING_TOKEN.
Result<std::string, MatrixError> accessTokenOf(const http::Request& request);

}  // namespace mxauth::test
