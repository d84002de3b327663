// What Synapse serves to clients when an auth service is in charge: the
// versions list, the auth service's metadata (spec-digest §5.3), whoami
// after introspecting the token (§5.4), and, in front of it all, the reverse
// proxy that sends the legacy login paths to the auth service (§2).

#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "http/headers.h"
#include "http/url_encoding.h"
#include "tests/synapse_double/impl.h"

namespace mxauth::test {
namespace {

// [SYN synapse/api/auth/mas.py]
constexpr std::string_view kStableApiScope = "urn:matrix:client:api:*";
constexpr std::string_view kUnstableApiScope = "urn:matrix:org.matrix.msc2967.client:api:*";
constexpr std::string_view kStableDevicePrefix = "urn:matrix:client:device:";
constexpr std::string_view kUnstableDevicePrefix = "urn:matrix:org.matrix.msc2967.client:device:";
constexpr std::size_t kMaxDeviceIdLength = 255;

// What a proxy never forwards (RFC 9110 §7.6.1), plus what our HTTP client
// or our server computes itself.
bool isHopByHop(std::string_view name) {
  for (std::string_view hop :
       {"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Content-Length", "Host", "Expect"}) {
    if (http::equalsIgnoreCase(name, hop)) return true;
  }
  return false;
}

// Synapse hides what went wrong from the client: an unhandled exception is
// 500 {"errcode":"M_UNKNOWN","error":"Internal server error"}.
http::Response internalServerError() {
  return errorResponse({500, "M_UNKNOWN", "Internal server error", {}});
}

// 401 M_UNKNOWN_TOKEN, soft_logout false ([SYN synapse/api/errors.py]
// InvalidClientTokenError).
http::Response unknownToken(std::string message) {
  return errorResponse({401, "M_UNKNOWN_TOKEN", std::move(message), false});
}

// AuthError(500, …): its errcode defaults to M_FORBIDDEN.
http::Response authError500(std::string message) {
  return errorResponse({500, "M_FORBIDDEN", std::move(message), {}});
}

std::set<std::string, std::less<>> scopeSet(const std::optional<std::string>& scope) {
  std::set<std::string, std::less<>> tokens;
  if (!scope) return tokens;
  std::string_view rest = *scope;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view token = rest.substr(0, space);
    if (!token.empty()) tokens.emplace(token);
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
  }
  return tokens;
}

// IntrospectionResponse's strict schema: `active` a bool; scope, username,
// sub and device_id strings or null; expires_in an integer or null.
Result<Introspection, std::string> parseIntrospection(std::string_view body, Timestamp now) {
  std::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return unexpected(std::string("introspection answer is not JSON"));
  if (!parsed.is_object()) return unexpected(std::string("introspection answer is not an object"));
  const boost::json::object& object = parsed.as_object();
  Introspection answer;
  answer.retrieved_at = now;
  const boost::json::value* active = object.if_contains("active");
  if (active == nullptr || !active->is_bool()) {
    return unexpected(std::string("introspection answer has no boolean 'active'"));
  }
  answer.active = active->as_bool();
  auto string_field = [&](std::string_view name,
                          std::optional<std::string>& out) -> Result<void, std::string> {
    const boost::json::value* value = object.if_contains(name);
    if (value == nullptr || value->is_null()) return {};
    if (!value->is_string()) return unexpected("'" + std::string(name) + "' is not a string");
    out = std::string(value->as_string());
    return {};
  };
  std::optional<std::string> sub;
  for (auto [name, out] :
       {std::pair<std::string_view, std::optional<std::string>*>{"scope", &answer.scope},
        {"username", &answer.username},
        {"sub", &sub},
        {"device_id", &answer.device_id}}) {
    auto read = string_field(name, *out);
    if (!read) return unexpected(read.error());
  }
  if (const boost::json::value* expires_in = object.if_contains("expires_in");
      expires_in != nullptr && !expires_in->is_null()) {
    if (expires_in->is_int64()) {
      answer.expires_in = expires_in->as_int64();
    } else if (expires_in->is_uint64()) {
      answer.expires_in = static_cast<std::int64_t>(expires_in->as_uint64());
    } else {
      return unexpected(std::string("'expires_in' is not an integer"));
    }
  }
  return answer;
}

// IntrospectionResponse.is_active: without expires_in (compat tokens that
// never expire) an active token stays active.
bool isActive(const Introspection& answer, Timestamp now) {
  if (!answer.active) return false;
  if (!answer.expires_in) return true;
  return now < answer.retrieved_at + std::chrono::seconds(*answer.expires_in);
}

}  // namespace

void SynapseDouble::Impl::mountClientApi() {
  using http::Method;
  mountClient(Method::Get, "/_matrix/client/versions", handlerFor(&Impl::versions));
  mountClient(Method::Get, "/_matrix/client/v1/auth_metadata", handlerFor(&Impl::authMetadata));
  mountClient(Method::Get, "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
              handlerFor(&Impl::authMetadata));
  mountClient(Method::Get, "/_matrix/client/unstable/org.matrix.msc2965/auth_issuer",
              handlerFor(&Impl::authIssuer));
  mountClient(Method::Get, "/.well-known/matrix/client", handlerFor(&Impl::wellKnownClient));
  for (std::string_view api_version : {"r0", "v3"}) {
    mountClient(Method::Get, "/_matrix/client/" + std::string(api_version) + "/account/whoami",
                handlerFor(&Impl::whoami));
  }

  // The reverse proxy's rule ^/_matrix/client/(.*)/(login|logout|refresh)
  // (MAS docs/setup/reverse-proxy.md), for the paths that exist; every
  // method goes through, HEAD as GET.
  const std::vector<std::string> compat_paths = {
      "/_matrix/client/{version}/login",
      "/_matrix/client/{version}/login/sso/redirect",
      "/_matrix/client/{version}/login/sso/redirect/{idp}",
      "/_matrix/client/{version}/login/get_token",
      "/_matrix/client/{version}/logout",
      "/_matrix/client/{version}/logout/all",
      "/_matrix/client/{version}/refresh",
      "/_matrix/client/unstable/{feature}/refresh",  // MSC2918's unstable prefix
  };
  for (const std::string& pattern : compat_paths) {
    for (Method method :
         {Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Options}) {
      mount(method, pattern, handlerFor(&Impl::forwardToMxauth));
    }
  }
}

http::Response SynapseDouble::Impl::versions(http::Request&) {
  boost::json::array list;
  for (std::string_view spec_version :
       {"r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
        "v1.1",   "v1.2",   "v1.3",   "v1.4",   "v1.5",   "v1.6",   "v1.7",   "v1.8",
        "v1.9",   "v1.10",  "v1.11",  "v1.12",  "v1.13",  "v1.14",  "v1.15"}) {
    list.emplace_back(spec_version);
  }
  return jsonResponse(200, boost::json::object{
                               {"versions", std::move(list)},
                               {"unstable_features",
                                boost::json::object{
                                    {"org.matrix.label_based_filtering", true},
                                    {"org.matrix.e2e_cross_signing", true},
                                    {"org.matrix.msc3827.stable", true},
                                    {"org.matrix.msc3916.stable", true},
                                    {"uk.half-shot.msc2666.query_mutual_rooms", false},
                                }},
                           });
}

Result<boost::json::object, std::string> SynapseDouble::Impl::serverMetadata() {
  std::string base;
  {
    std::lock_guard lock(mutex);
    if (metadata) return *metadata;
    base = mxauth_base;
  }
  if (base.empty()) return unexpected(std::string("the mxauth base URL is not set"));
  http::OutboundRequest fetch;
  fetch.url = joinUrl(base, "/.well-known/openid-configuration");
  fetch.headers = {{"Accept", "application/json"}};
  auto response = http_client.send(fetch);
  if (!response) return unexpected("GET " + fetch.url + ": " + response.error().message);
  if (response->status < 200 || response->status > 299) {
    return unexpected("GET " + fetch.url + ": status " + std::to_string(response->status));
  }
  std::error_code ec;
  boost::json::value parsed = boost::json::parse(response->body, ec);
  if (ec || !parsed.is_object()) return unexpected("GET " + fetch.url + ": not a JSON object");
  boost::json::object& document = parsed.as_object();
  // ServerMetadata: issuer and account_management_uri are required strings
  // (§5.3; checklist §6 #15).
  for (std::string_view field : {"issuer", "account_management_uri"}) {
    const boost::json::value* value = document.if_contains(field);
    if (value == nullptr || !value->is_string()) {
      return unexpected("GET " + fetch.url + ": no string '" + std::string(field) + "'");
    }
  }
  // Cached for the life of the process; failures are retried (§5.3).
  std::lock_guard lock(mutex);
  if (mxauth_base == base) metadata = document;
  return std::move(document);
}

http::Response SynapseDouble::Impl::authMetadata(http::Request&) {
  auto document = serverMetadata();
  if (!document) return internalServerError();
  return jsonResponse(200, *document);
}

http::Response SynapseDouble::Impl::authIssuer(http::Request&) {
  auto document = serverMetadata();
  if (!document) return internalServerError();
  return jsonResponse(200, boost::json::object{{"issuer", document->at("issuer")}});
}

http::Response SynapseDouble::Impl::wellKnownClient(http::Request&) {
  auto document = serverMetadata();
  if (!document) return internalServerError();
  return jsonResponse(
      200, boost::json::object{
               {"m.homeserver", boost::json::object{{"base_url", owner->baseUrl()}}},
               {"org.matrix.msc2965.authentication",
                boost::json::object{{"issuer", document->at("issuer")},
                                    {"account", document->at("account_management_uri")}}},
           });
}

Result<Introspection, std::string> SynapseDouble::Impl::introspect(const std::string& token) {
  const bool caching = options.introspection_cache_ttl > Duration::zero();
  std::string base;
  {
    std::lock_guard lock(mutex);
    if (caching) {
      auto cached = introspection_cache.find(token);
      if (cached != introspection_cache.end()) {
        if (clock.now() < cached->second.stored_at + options.introspection_cache_ttl) {
          return cached->second.answer;
        }
        introspection_cache.erase(cached);
      }
    }
    base = mxauth_base;
    if (!base.empty()) ++introspections;
  }
  if (base.empty()) return unexpected(std::string("the mxauth base URL is not set"));

  http::OutboundRequest post;
  post.method = "POST";
  post.url = joinUrl(base, "/oauth2/introspect");
  post.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"Authorization", "Bearer " + options.secret},
      {"X-MAS-Supports-Device-Id", "1"},
  };
  post.body = http::encodeUrlEncoded({{"token", token}, {"token_type_hint", "access_token"}});
  auto response = http_client.send(post);
  if (!response) return unexpected("POST " + post.url + ": " + response.error().message);
  if (response->status < 200 || response->status > 299) {
    return unexpected("POST " + post.url + ": status " + std::to_string(response->status));
  }
  auto answer = parseIntrospection(response->body, clock.now());
  if (!answer) return unexpected("POST " + post.url + ": " + answer.error());

  // Every schema-valid answer is cached, inactive ones too; failures never.
  if (caching) {
    std::lock_guard lock(mutex);
    if (mxauth_base == base) introspection_cache[token] = {*answer, clock.now()};
  }
  return answer;
}

// [SYN synapse/api/auth/mas.py] get_user_by_access_token, then
// [SYN synapse/rest/client/account.py] WhoamiRestServlet.
http::Response SynapseDouble::Impl::whoami(http::Request& request) {
  auto token = accessTokenOf(request);
  if (!token) return errorResponse(token.error());
  auto answer = introspect(*token);
  if (!answer) {
    return errorResponse({503, "M_UNKNOWN", "Unable to introspect the access token", {}});
  }
  if (!isActive(*answer, clock.now())) return unknownToken("Token is not active");

  const std::set<std::string, std::less<>> scope = scopeSet(answer->scope);
  if (!scope.contains(kStableApiScope) && !scope.contains(kUnstableApiScope)) {
    return unknownToken("Token doesn't grant access to the Matrix C-S API");
  }
  if (!answer->username) {
    return authError500("Invalid username claim in the introspection result");
  }
  const std::string& localpart = *answer->username;

  std::lock_guard lock(mutex);
  auto user = users.find(localpart);
  if (user == users.end()) return authError500("User not found");

  // The device: device_id when MAS sends it (compat sessions), else the one
  // device scope, stable or unstable.
  std::optional<std::string> device_id = answer->device_id;
  if (!device_id) {
    std::set<std::string, std::less<>> from_scope;
    for (const std::string& item : scope) {
      if (item.starts_with(kUnstableDevicePrefix)) {
        from_scope.insert(item.substr(kUnstableDevicePrefix.size()));
      } else if (item.starts_with(kStableDevicePrefix)) {
        from_scope.insert(item.substr(kStableDevicePrefix.size()));
      }
    }
    if (from_scope.size() > 1) return authError500("Multiple device IDs in scope");
    if (!from_scope.empty()) device_id = *from_scope.begin();
  }
  if (device_id) {
    if (device_id->empty() || device_id->size() > kMaxDeviceIdLength) {
      return authError500("Invalid device ID in introspection result");
    }
    // The device must still exist: this is how a logout takes effect at once
    // despite the cache, which forgets the token here (§5.4).
    if (!user->second.hasDevice(*device_id)) {
      introspection_cache.erase(*token);
      return unknownToken("Token is not active");
    }
  }
  boost::json::object body{{"user_id", user->second.user_id}, {"is_guest", false}};
  if (device_id) body["device_id"] = *device_id;
  return jsonResponse(200, body);
}

http::Response SynapseDouble::Impl::forwardToMxauth(http::Request& request) {
  const std::string base = [this] {
    std::lock_guard lock(mutex);
    return mxauth_base;
  }();
  if (base.empty() || !request.target.starts_with('/')) {
    return http::Response::text(502, "Bad Gateway");
  }

  http::OutboundRequest out;
  out.method = request.method == http::Method::Head ? std::string("GET")
                                                    : std::string(http::methodName(request.method));
  out.url = joinUrl(base, request.target);
  out.body = request.body;
  std::string forwarded_for;
  for (const http::HeaderField& field : request.headers.fields()) {
    if (isHopByHop(field.name)) continue;
    if (http::equalsIgnoreCase(field.name, "X-Forwarded-For")) {
      forwarded_for += forwarded_for.empty() ? "" : ", ";
      forwarded_for += field.value;
      continue;
    }
    out.headers.emplace_back(field.name, field.value);
  }
  // http::HttpClient adds these when the client sent none; an empty value
  // stops it, so that mxauth sees what the client sent.
  for (std::string_view name : {"Accept", "Content-Type", "User-Agent"}) {
    if (!request.headers.contains(name)) out.headers.emplace_back(std::string(name), "");
  }
  forwarded_for += forwarded_for.empty() ? "" : ", ";
  forwarded_for += request.remote_address;
  out.headers.emplace_back("X-Forwarded-For", forwarded_for);
  out.headers.emplace_back("X-Forwarded-Proto", "http");

  auto upstream = http_client.send(out);
  if (!upstream) {
    if (upstream.error().code == http::TransportErrorCode::Timeout) {
      return http::Response::text(504, "Gateway Timeout");
    }
    return http::Response::text(502, "Bad Gateway");
  }
  http::Response response;
  response.status = upstream->status;
  response.body = std::move(upstream->body);
  for (const auto& [name, value] : upstream->headers) {
    if (isHopByHop(name) || http::equalsIgnoreCase(name, "Server") ||
        http::equalsIgnoreCase(name, "Date")) {
      continue;
    }
    response.headers.add(name, value);
  }
  return response;
}

}  // namespace mxauth::test
