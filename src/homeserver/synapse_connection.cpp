#include "homeserver/synapse_connection.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "http/url_encoding.h"

namespace mxauth::homeserver {
namespace {

constexpr std::string_view kApiPrefix = "/_synapse/mas/";

std::string json(const boost::json::object& body) { return boost::json::serialize(body); }

// The Matrix error in a refusal body ({"errcode": …, "error": …}), if any.
void readMatrixError(std::string_view body, HomeserverError& error) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return;
  const boost::json::object& object = parsed.as_object();
  if (const auto* errcode = object.if_contains("errcode"); errcode && errcode->is_string()) {
    error.errcode = std::string(errcode->as_string());
  }
  if (const auto* text = object.if_contains("error"); text && text->is_string()) {
    error.message += ": " + std::string(text->as_string());
  }
}

HomeserverError errorFor(std::string_view name, const http::OutboundResponse& response) {
  HomeserverError error;
  error.status = response.status;
  error.message =
      "homeserver answered " + std::to_string(response.status) + " to " + std::string(name);
  if (response.status == 403) {
    error.code = HomeserverErrorCode::Forbidden;
  } else if (response.status == 404) {
    error.code = HomeserverErrorCode::UnknownUser;
  } else if (response.status >= 400 && response.status < 500) {
    error.code = HomeserverErrorCode::Rejected;
  } else {
    error.code = HomeserverErrorCode::Failed;
  }
  readMatrixError(response.body, error);
  return error;
}

Result<void, HomeserverError> expectOk(std::string_view name,
                                       Result<http::OutboundResponse, HomeserverError> response) {
  if (!response) return unexpected(std::move(response).error());
  if (response->status == 200 || response->status == 204) return {};
  return unexpected(errorFor(name, *response));
}

Result<Upsert, HomeserverError> expectUpsert(
    std::string_view name, Result<http::OutboundResponse, HomeserverError> response) {
  if (!response) return unexpected(std::move(response).error());
  if (response->status == 201) return Upsert::Created;
  if (response->status == 200) return Upsert::Existed;
  return unexpected(errorFor(name, *response));
}

std::optional<std::string> optionalString(const boost::json::object& object,
                                          std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

bool flag(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_bool() && value->as_bool();
}

}  // namespace

std::string_view toString(HomeserverErrorCode code) {
  switch (code) {
    case HomeserverErrorCode::Unreachable:
      return "unreachable";
    case HomeserverErrorCode::Forbidden:
      return "forbidden";
    case HomeserverErrorCode::UnknownUser:
      return "unknown_user";
    case HomeserverErrorCode::Rejected:
      return "rejected";
    case HomeserverErrorCode::Failed:
      return "failed";
  }
  return "failed";
}

SynapseConnection::SynapseConnection(SynapseOptions options)
    : options_(std::move(options)), base_(options_.endpoint), client_(options_.http) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

Result<http::OutboundResponse, HomeserverError> SynapseConnection::call(std::string_view method,
                                                                        std::string_view name,
                                                                        std::string_view query,
                                                                        std::string body) {
  http::OutboundRequest request;
  request.method = std::string(method);
  request.url = base_ + std::string(kApiPrefix) + std::string(name);
  if (!query.empty()) request.url += "?" + std::string(query);
  request.headers.emplace_back("Authorization", "Bearer " + options_.secret);
  request.headers.emplace_back("Accept", "application/json");
  if (method != "GET") {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
  }
  auto response = client_.send(request);
  if (!response) {
    HomeserverError error;
    error.code = response.error().code == http::TransportErrorCode::Unreachable ||
                         response.error().code == http::TransportErrorCode::Timeout
                     ? HomeserverErrorCode::Unreachable
                     : HomeserverErrorCode::Failed;
    error.message =
        "calling " + std::string(name) + " at " + base_ + ": " + response.error().message;
    if (options_.log) options_.log("homeserver: " + error.message);
    return unexpected(std::move(error));
  }
  if (response->status >= 400 && options_.log) {
    constexpr std::size_t kShownBody = 300;
    options_.log("homeserver: " + std::string(method) + " " + std::string(kApiPrefix) +
                 std::string(name) + " answered " + std::to_string(response->status) + ": " +
                 response->body.substr(0, kShownBody));
  }
  return std::move(*response);
}

Result<HomeserverUser, HomeserverError> SynapseConnection::queryUser(std::string_view localpart) {
  auto response = call("GET", "query_user", "localpart=" + http::percentEncode(localpart), "");
  if (!response) return unexpected(std::move(response).error());
  if (response->status != 200) return unexpected(errorFor("query_user", *response));
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(response->body, ec);
  const auto* user_id =
      !ec && parsed.is_object() ? parsed.as_object().if_contains("user_id") : nullptr;
  if (user_id == nullptr || !user_id->is_string()) {
    HomeserverError error;
    error.status = response->status;
    error.message = "query_user answered without a user_id";
    return unexpected(std::move(error));
  }
  const boost::json::object& object = parsed.as_object();
  HomeserverUser user;
  user.user_id = std::string(user_id->as_string());
  user.display_name = optionalString(object, "display_name");
  user.avatar_url = optionalString(object, "avatar_url");
  user.is_suspended = flag(object, "is_suspended");
  user.is_deactivated = flag(object, "is_deactivated");
  return user;
}

Result<Upsert, HomeserverError> SynapseConnection::provisionUser(const ProvisionRequest& request) {
  boost::json::object body{{"localpart", request.localpart}};
  if (request.set_displayname) body["set_displayname"] = *request.set_displayname;
  if (request.unset_displayname) body["unset_displayname"] = true;
  if (request.set_emails) {
    boost::json::array emails;
    for (const std::string& email : *request.set_emails) emails.emplace_back(email);
    body["set_emails"] = std::move(emails);
  }
  if (request.unset_emails) body["unset_emails"] = true;
  if (request.locked) body["locked"] = *request.locked;
  return expectUpsert("provision_user", call("POST", "provision_user", "", json(body)));
}

Result<LocalpartAvailability, HomeserverError> SynapseConnection::isLocalpartAvailable(
    std::string_view localpart) {
  auto response =
      call("GET", "is_localpart_available", "localpart=" + http::percentEncode(localpart), "");
  if (!response) return unexpected(std::move(response).error());
  if (response->status == 200) return LocalpartAvailability::Available;
  HomeserverError error = errorFor("is_localpart_available", *response);
  if (response->status == 400) {
    if (error.errcode == "M_USER_IN_USE") return LocalpartAvailability::InUse;
    if (error.errcode == "M_INVALID_USERNAME") return LocalpartAvailability::Invalid;
    if (error.errcode == "M_EXCLUSIVE") return LocalpartAvailability::Exclusive;
  }
  return unexpected(std::move(error));
}

Result<Upsert, HomeserverError> SynapseConnection::upsertDevice(
    std::string_view localpart, std::string_view device_id,
    const std::optional<std::string>& display_name) {
  boost::json::object body{{"localpart", localpart}, {"device_id", device_id}};
  if (display_name) body["display_name"] = *display_name;
  return expectUpsert("upsert_device", call("POST", "upsert_device", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::updateDeviceDisplayName(
    std::string_view localpart, std::string_view device_id, std::string_view display_name) {
  const boost::json::object body{
      {"localpart", localpart}, {"device_id", device_id}, {"display_name", display_name}};
  return expectOk("update_device_display_name",
                  call("POST", "update_device_display_name", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::deleteDevice(std::string_view localpart,
                                                              std::string_view device_id) {
  const boost::json::object body{{"localpart", localpart}, {"device_id", device_id}};
  return expectOk("delete_device", call("POST", "delete_device", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::syncDevices(
    std::string_view localpart, const std::vector<std::string>& device_ids) {
  boost::json::array devices;
  for (const std::string& id : device_ids) devices.emplace_back(id);
  const boost::json::object body{{"localpart", localpart}, {"devices", std::move(devices)}};
  return expectOk("sync_devices", call("POST", "sync_devices", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::deleteUser(std::string_view localpart,
                                                            bool erase) {
  const boost::json::object body{{"localpart", localpart}, {"erase", erase}};
  return expectOk("delete_user", call("POST", "delete_user", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::reactivateUser(std::string_view localpart) {
  const boost::json::object body{{"localpart", localpart}};
  return expectOk("reactivate_user", call("POST", "reactivate_user", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::setDisplayname(std::string_view localpart,
                                                                std::string_view display_name) {
  const boost::json::object body{{"localpart", localpart}, {"displayname", display_name}};
  return expectOk("set_displayname", call("POST", "set_displayname", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::unsetDisplayname(std::string_view localpart) {
  const boost::json::object body{{"localpart", localpart}};
  return expectOk("unset_displayname", call("POST", "unset_displayname", "", json(body)));
}

Result<void, HomeserverError> SynapseConnection::allowCrossSigningReset(
    std::string_view localpart) {
  const boost::json::object body{{"localpart", localpart}};
  return expectOk("allow_cross_signing_reset",
                  call("POST", "allow_cross_signing_reset", "", json(body)));
}

}  // namespace mxauth::homeserver
