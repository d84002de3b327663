#include "app/doctor.h"

#include <boost/json/parse.hpp>
#include <chrono>
#include <string_view>
#include <utility>

#include "app/email_setup.h"
#include "homeserver/synapse_connection.h"
#include "http/client.h"

namespace mxauth::app {
namespace {

using http::HttpClient;

// The URL with exactly one trailing slash.
std::string withSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  url.push_back('/');
  return url;
}

DoctorCheck ok(std::string name, std::string detail) {
  return {std::move(name), CheckOutcome::Ok, std::move(detail)};
}
DoctorCheck failed(std::string name, std::string detail) {
  return {std::move(name), CheckOutcome::Failed, std::move(detail)};
}
DoctorCheck skipped(std::string name, std::string detail) {
  return {std::move(name), CheckOutcome::Skipped, std::move(detail)};
}

// GET url; the body parsed as a JSON object, or why not.
Result<boost::json::object, std::string> getJson(const HttpClient& client, const std::string& url,
                                                 int* status = nullptr) {
  auto response = client.send({"GET", url, {{"Accept", "application/json"}}, ""});
  if (!response) return unexpected("GET " + url + ": " + response.error().message);
  if (status != nullptr) *status = response->status;
  if (response->status != 200) {
    return unexpected("GET " + url + " answered " + std::to_string(response->status));
  }
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(response->body, ec);
  if (ec || !value.is_object()) return unexpected("GET " + url + " did not answer a JSON object");
  return std::move(value.as_object());
}

std::string stringOf(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

DoctorCheck checkMetadata(const HttpClient& client, const config::Config& config) {
  const std::string name = "mxauth serves its metadata at http.public_base";
  const std::string url = withSlash(config.http.public_base) + ".well-known/openid-configuration";
  auto metadata = getJson(client, url);
  if (!metadata) return failed(name, metadata.error() + " (is mxauth running, and the proxy?)");
  if (stringOf(*metadata, "issuer") != config.http.public_base) {
    return failed(name, "issuer is \"" + stringOf(*metadata, "issuer") +
                            "\", not http.public_base \"" + config.http.public_base + "\"");
  }
  for (std::string_view field : {"authorization_endpoint", "token_endpoint",
                                 "introspection_endpoint", "account_management_uri"}) {
    if (stringOf(*metadata, field).empty()) {
      return failed(name, "the metadata has no " + std::string(field));
    }
  }
  return ok(name, url);
}

}  // namespace

std::vector<DoctorCheck> runDoctor(const config::Config& config, const DoctorOptions& options) {
  http::HttpClientOptions http;
  http.connect_timeout = std::chrono::milliseconds(3000);
  http.total_timeout = std::chrono::milliseconds(5000);
  http.user_agent = "mxauth-doctor";
  HttpClient client(http);
  std::vector<DoctorCheck> checks;
  checks.push_back(checkMetadata(client, config));

  const std::string reachable = "the homeserver answers at matrix.endpoint";
  const std::string secret = "the homeserver accepts matrix.secret";
  const std::string reserved = "the homeserver re-serves mxauth's metadata";
  if (config.matrix.endpoint.empty()) {
    const std::string why = "stand-alone mode: matrix.endpoint is empty";
    checks.push_back(skipped(reachable, why));
    checks.push_back(skipped(secret, why));
    checks.push_back(skipped(reserved, why));
  } else {
    const std::string endpoint = withSlash(config.matrix.endpoint);
    auto versions = getJson(client, endpoint + "_matrix/client/versions");
    checks.push_back(versions ? ok(reachable, endpoint) : failed(reachable, versions.error()));

    homeserver::SynapseOptions synapse;
    synapse.server_name = config.matrix.homeserver;
    synapse.endpoint = endpoint;
    synapse.secret = config.matrix.secret;
    synapse.http = http;
    homeserver::SynapseConnection connection(synapse);
    auto available = connection.isLocalpartAvailable("mxauth-doctor-probe");
    if (available) {
      checks.push_back(ok(secret, "/_synapse/mas/is_localpart_available answered"));
    } else if (available.error().code == homeserver::HomeserverErrorCode::Forbidden) {
      checks.push_back(failed(secret,
                              "the homeserver refused it (403): matrix.secret must equal "
                              "Synapse's matrix_authentication_service.secret"));
    } else if (available.error().status == 404) {
      checks.push_back(failed(secret,
                              "no /_synapse/mas API (404): Synapse 1.136 or newer with "
                              "matrix_authentication_service enabled is needed"));
    } else {
      checks.push_back(failed(secret, available.error().message));
    }

    auto served = getJson(client, endpoint + "_matrix/client/v1/auth_metadata");
    if (!served) {
      checks.push_back(failed(reserved, served.error()));
    } else if (stringOf(*served, "issuer") != config.http.public_base) {
      checks.push_back(failed(reserved, "its issuer is \"" + stringOf(*served, "issuer") +
                                            "\": is Synapse's matrix_authentication_service."
                                            "endpoint pointing at this mxauth?"));
    } else {
      checks.push_back(ok(reserved, "issuer " + config.http.public_base));
    }
  }

  const std::string routed = "the legacy login paths reach mxauth";
  if (!options.client_url) {
    checks.push_back(skipped(routed, "give --client-url with the homeserver's public URL"));
  } else {
    const std::string path = "_matrix/client/v3/login";
    auto ours = client.send({"GET", withSlash(config.http.public_base) + path, {}, ""});
    auto theirs = client.send({"GET", withSlash(*options.client_url) + path, {}, ""});
    if (!theirs) {
      checks.push_back(failed(
          routed, "GET " + withSlash(*options.client_url) + path + ": " + theirs.error().message));
    } else if (!ours || ours->status != theirs->status || ours->body != theirs->body) {
      checks.push_back(failed(routed, "GET " + withSlash(*options.client_url) + path +
                                          " is not answered by mxauth: route /_matrix/client/"
                                          "*/(login|logout|refresh) to mxauth in the proxy"));
    } else {
      checks.push_back(ok(routed, withSlash(*options.client_url) + path));
    }
  }

  // Only with a transport that sends: the blackhole has nothing to reach.
  if (config.email.transport == config::EmailTransport::Smtp) {
    const std::string smtp = "the SMTP server of email.smtp accepts mxauth";
    const std::unique_ptr<email::Transport> transport = makeEmailTransport(config);
    auto checked = transport->check();
    if (!checked) {
      checks.push_back(failed(smtp, checked.error().message));
    } else if (config.email.smtp.username.empty()) {
      checks.push_back(ok(smtp, transport->describe()));
    } else {
      checks.push_back(
          ok(smtp, transport->describe() + ", logged in as " + config.email.smtp.username));
    }
  }
  return checks;
}

}  // namespace mxauth::app
