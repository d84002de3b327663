// /_double/*: the test controls, over HTTP, for tests that cannot call the
// C++ API (the Node end-to-end suite). No Synapse serves these paths; they
// need no secret and are neither recorded nor subject to faults. README.md
// documents each one.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "tests/synapse_double/impl.h"

namespace mxauth::test {
namespace {

constexpr std::int64_t kDefaultWaitMs = 5000;
constexpr std::int64_t kMaxWaitMs = 60000;

boost::json::value nullable(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return boost::json::string(*text);
}

boost::json::object userJson(const DoubleUser& user) {
  boost::json::object devices;
  for (const auto& [device_id, device] : user.devices) {
    devices[device_id] = boost::json::object{{"display_name", nullable(device.display_name)},
                                             {"dehydrated", device.dehydrated}};
  }
  boost::json::array emails(user.emails.begin(), user.emails.end());
  boost::json::value allowed_until = nullptr;
  if (user.cross_signing_reset_allowed_until) {
    allowed_until = toUnixMillis(*user.cross_signing_reset_allowed_until);
  }
  return boost::json::object{
      {"user_id", user.user_id},
      {"display_name", nullable(user.display_name)},
      {"avatar_url", nullable(user.avatar_url)},
      {"emails", std::move(emails)},
      {"locked", user.locked},
      {"suspended", user.suspended},
      {"deactivated", user.deactivated},
      {"erased", user.erased},
      {"cross_signing_reset_allowances", user.cross_signing_reset_allowances},
      {"cross_signing_reset_allowed_until", std::move(allowed_until)},
      {"devices", std::move(devices)},
  };
}

boost::json::object callJson(const RecordedCall& call) {
  boost::json::array headers;
  for (const http::HeaderField& field : call.headers.fields()) {
    headers.push_back(
        boost::json::array{boost::json::string(field.name), boost::json::string(field.value)});
  }
  return boost::json::object{
      {"method", call.method},   {"path", call.path}, {"query", call.query},
      {"headers", headers},      {"body", call.body}, {"status", call.status},
      {"faulted", call.faulted},
  };
}

boost::json::object faultJson(const Fault& fault) {
  boost::json::value count = nullptr;
  if (fault.count) count = *fault.count;
  return boost::json::object{
      {"path", fault.path},        {"status", fault.status},
      {"body", fault.body},        {"delay_ms", fault.delay.count()},
      {"count", std::move(count)},
  };
}

MatrixError badRequest(std::string message) {
  return MatrixError{400, "M_INVALID_PARAM", std::move(message), {}};
}

// A device given as "ID" or {"device_id", "display_name"?, "dehydrated"?}.
Result<DoubleDevice, MatrixError> parseDevice(const boost::json::value& value) {
  if (value.is_string()) return DoubleDevice{std::string(value.as_string()), {}, false};
  if (!value.is_object()) return unexpected(badRequest("a device is a string or an object"));
  FieldReader fields(value.as_object());
  DoubleDevice device{fields.requiredString("device_id"), fields.optionalString("display_name"),
                      fields.boolOrFalse("dehydrated")};
  if (fields.error()) return unexpected(*fields.error());
  return device;
}

}  // namespace

boost::json::object SynapseDouble::Impl::stateJson() const {
  std::lock_guard lock(mutex);
  boost::json::object users_json;
  for (const auto& [localpart, user] : users) users_json[localpart] = userJson(user);
  boost::json::object counts;
  boost::json::array calls_json;
  for (const CallEntry& entry : calls) {
    boost::json::value& count = counts[entry.call.path];
    count = count.is_int64() ? count.as_int64() + 1 : 1;
    calls_json.push_back(callJson(entry.call));
  }
  boost::json::array faults_json;
  for (const Fault& fault : faults) faults_json.push_back(faultJson(fault));
  return boost::json::object{
      {"server_name", options.server_name}, {"mxauth_base", mxauth_base},
      {"users", std::move(users_json)},     {"call_counts", std::move(counts)},
      {"calls", std::move(calls_json)},     {"faults", std::move(faults_json)},
      {"introspections", introspections},
  };
}

void SynapseDouble::Impl::mountControlApi() {
  using http::Method;

  mountControl(Method::Get, "/_double/state",
               [this](http::Request&) { return jsonResponse(200, stateJson()); });

  // {"localpart", "display_name"?, "avatar_url"?, "emails"?, "locked"?,
  //  "suspended"?, "deactivated"?, "devices"?: ["ID" | {device}]}
  mountControl(Method::Post, "/_double/users", [this](http::Request& request) {
    auto object = parseJsonObject(request.body);
    if (!object) return errorResponse(object.error());
    FieldReader fields(*object);
    DoubleUser user;
    user.localpart = fields.requiredString("localpart");
    user.display_name = fields.optionalString("display_name");
    user.avatar_url = fields.optionalString("avatar_url");
    user.emails = fields.optionalStringList("emails").value_or(std::vector<std::string>{});
    user.locked = fields.boolOrFalse("locked");
    user.suspended = fields.boolOrFalse("suspended");
    user.deactivated = fields.boolOrFalse("deactivated");
    if (fields.error()) return errorResponse(*fields.error());
    if (const boost::json::value* devices = object->if_contains("devices")) {
      if (!devices->is_array()) return errorResponse(badRequest("devices: expected a list"));
      for (const boost::json::value& item : devices->as_array()) {
        auto device = parseDevice(item);
        if (!device) return errorResponse(device.error());
        std::string device_id = device->device_id;
        user.devices[std::move(device_id)] = std::move(*device);
      }
    }
    const bool existed = owner->user(user.localpart).has_value();
    owner->addUser(std::move(user));
    return jsonResponse(existed ? 200 : 201, boost::json::object{});
  });

  // {"localpart", "device_id", "display_name"?, "dehydrated"?}
  mountControl(Method::Post, "/_double/devices", [this](http::Request& request) {
    auto object = parseJsonObject(request.body);
    if (!object) return errorResponse(object.error());
    FieldReader fields(*object);
    std::string localpart = fields.requiredString("localpart");
    if (fields.error()) return errorResponse(*fields.error());
    auto device = parseDevice(*object);
    if (!device) return errorResponse(device.error());
    const bool existed = owner->hasDevice(localpart, device->device_id);
    if (!owner->addDevice(localpart, std::move(*device))) {
      return errorResponse({404, "M_NOT_FOUND", "User not found", {}});
    }
    return jsonResponse(existed ? 200 : 201, boost::json::object{});
  });

  // {"path", "status"?, "body"?, "delay_ms"?, "count"?}
  mountControl(Method::Post, "/_double/faults", [this](http::Request& request) {
    auto object = parseJsonObject(request.body);
    if (!object) return errorResponse(object.error());
    FieldReader fields(*object);
    Fault fault;
    fault.path = fields.requiredString("path");
    const std::int64_t status = fields.optionalInteger("status").value_or(0);
    const std::int64_t delay_ms = fields.optionalInteger("delay_ms").value_or(0);
    const std::optional<std::int64_t> count = fields.optionalInteger("count");
    if (fields.error()) return errorResponse(*fields.error());
    if (status != 0 && (status < 100 || status > 599)) {
      return errorResponse(badRequest("status: expected 0 or 100-599"));
    }
    if (delay_ms < 0 || delay_ms > kMaxWaitMs * 10) {
      return errorResponse(badRequest("delay_ms: expected 0-600000"));
    }
    if (count && *count < 1) return errorResponse(badRequest("count: expected at least 1"));
    fault.status = static_cast<int>(status);
    fault.delay = Duration(delay_ms);
    if (count) fault.count = static_cast<int>(std::min<std::int64_t>(*count, 1 << 30));
    if (const boost::json::value* body = object->if_contains("body"); body && !body->is_null()) {
      fault.body = boost::json::serialize(*body);
    }
    owner->addFault(std::move(fault));
    return jsonResponse(201, boost::json::object{});
  });

  mountControl(Method::Delete, "/_double/faults", [this](http::Request&) {
    owner->clearFaults();
    return http::Response::noContent();
  });

  // {"mxauth_base": "http://127.0.0.1:PORT/"}
  mountControl(Method::Post, "/_double/config", [this](http::Request& request) {
    auto object = parseJsonObject(request.body);
    if (!object) return errorResponse(object.error());
    FieldReader fields(*object);
    std::string base = fields.requiredString("mxauth_base");
    if (fields.error()) return errorResponse(*fields.error());
    owner->setMxauthBase(std::move(base));
    return jsonResponse(200, boost::json::object{});
  });

  mountControl(Method::Delete, "/_double/calls", [this](http::Request&) {
    owner->clearCalls();
    return http::Response::noContent();
  });

  mountControl(Method::Delete, "/_double/caches", [this](http::Request&) {
    owner->clearCaches();
    return http::Response::noContent();
  });

  // ?path=/_synapse/mas/sync_devices&count=1&timeout_ms=5000&phase=answered
  mountControl(Method::Get, "/_double/wait", [this](http::Request& request) {
    const std::optional<std::string_view> path = request.queryParam("path");
    if (!path) return errorResponse({400, "M_MISSING_PARAM", "path: Field required", {}});
    auto number = [&](std::string_view name, std::int64_t fallback) -> std::int64_t {
      const std::optional<std::string_view> text = request.queryParam(name);
      if (!text) return fallback;
      try {
        return std::stoll(std::string(*text));
      } catch (const std::exception&) {
        return -1;
      }
    };
    const std::int64_t count = number("count", 1);
    const std::int64_t timeout_ms = number("timeout_ms", kDefaultWaitMs);
    if (count < 0 || timeout_ms < 0 || timeout_ms > kMaxWaitMs) {
      return errorResponse(badRequest("count and timeout_ms (at most 60000) are non-negative"));
    }
    const std::string_view phase_name = request.queryParam("phase").value_or("answered");
    if (phase_name != "answered" && phase_name != "arrived") {
      return errorResponse(badRequest("phase: expected answered or arrived"));
    }
    const CallPhase phase = phase_name == "arrived" ? CallPhase::Arrived : CallPhase::Answered;
    const bool reached =
        owner->waitForCalls(*path, static_cast<std::size_t>(count), Duration(timeout_ms), phase);
    return jsonResponse(
        200, boost::json::object{{"reached", reached}, {"count", owner->callCount(*path)}});
  });
}

}  // namespace mxauth::test
