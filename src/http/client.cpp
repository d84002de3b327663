#include "http/client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace mxauth::http {
namespace {

void initialiseCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Sink {
  OutboundResponse* response = nullptr;
  std::size_t limit = 0;
  bool too_large = false;
};

std::size_t onBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->response->body.size() + bytes > sink->limit) {
    sink->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->response->body.append(data, bytes);
  return bytes;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    sink->response->headers.clear();  // a new response (after 100 Continue)
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  sink->response->headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

// Ranges no fetch on someone else's behalf may reach (isPublicUnicast).
// IPv4 ranges also cover the IPv4-mapped IPv6 form (IpAddress stores IPv4
// that way).
constexpr std::array kNonPublicRanges = {
    "0.0.0.0/8",     "10.0.0.0/8",      "100.64.0.0/10",  "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24",    "192.0.2.0/24",   "192.88.99.0/24", "192.168.0.0/16",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",    "240.0.0.0/4",
    "::/96",         "64:ff9b::/96",    "64:ff9b:1::/48", "100::/64",       "2001::/23",
    "2001:db8::/32", "2002::/16",       "fc00::/7",       "fe80::/10",      "fec0::/10",
    "ff00::/8",
};

// What the open-socket callback saw: whether it refused an address.
struct AddressGuard {
  bool refused = false;
};

std::optional<IpAddress> addressOf(const sockaddr* address) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* bytes = nullptr;
  if (address->sa_family == AF_INET) {
    bytes = &reinterpret_cast<const sockaddr_in*>(address)->sin_addr;
  } else if (address->sa_family == AF_INET6) {
    bytes = &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
  } else {
    return std::nullopt;
  }
  if (inet_ntop(address->sa_family, bytes, text.data(), text.size()) == nullptr) {
    return std::nullopt;
  }
  return IpAddress::parse(text.data());
}

// CURLOPT_OPENSOCKETFUNCTION: sees the resolved address of every connection
// attempt, so refusing here holds whatever the name resolved to.
curl_socket_t openPublicSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<AddressGuard*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  std::optional<IpAddress> ip = addressOf(&address->addr);
  if (!ip || !isPublicUnicast(*ip)) {
    guard->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

TransportError transportError(CURLcode code, const char* detail, bool too_large) {
  if (too_large) return {TransportErrorCode::TooLarge, "the response is larger than allowed"};
  std::string message = detail[0] != '\0' ? std::string(detail) : curl_easy_strerror(code);
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return {TransportErrorCode::Unreachable, std::move(message)};
    case CURLE_OPERATION_TIMEDOUT:
      return {TransportErrorCode::Timeout, std::move(message)};
    default:
      return {TransportErrorCode::Failed, std::move(message)};
  }
}

}  // namespace

bool isPublicUnicast(const IpAddress& address) {
  static const std::vector<IpRange> ranges = [] {
    std::vector<IpRange> parsed;
    parsed.reserve(kNonPublicRanges.size());
    for (const char* text : kNonPublicRanges) parsed.push_back(*IpRange::parse(text));
    return parsed;
  }();
  return std::none_of(ranges.begin(), ranges.end(),
                      [&](const IpRange& range) { return range.contains(address); });
}

std::string_view OutboundResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  initialiseCurlOnce();
}

Result<OutboundResponse, TransportError> HttpClient::send(const OutboundRequest& request) const {
  std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  if (!handle) return unexpected(TransportError{TransportErrorCode::Failed, "curl_easy_init"});
  CURL* curl = handle.get();

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) {
      return unexpected(TransportError{TransportErrorCode::Failed, "curl_slist_append"});
    }
    static_cast<void>(headers.release());
    headers.reset(appended);
  }
  // No "Expect: 100-continue" round trip for our small bodies.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));

  OutboundResponse response;
  Sink sink{&response, options_.max_response_bytes, false};
  char error_buffer[CURL_ERROR_SIZE] = {};
  AddressGuard guard;

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, options_.https_only ? "https" : "http,https");
  if (options_.public_addresses_only) {
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, openPublicSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  }
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method != "DELETE" || !request.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
  }

  const CURLcode code = curl_easy_perform(curl);
  if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    return unexpected(TransportError{TransportErrorCode::Forbidden, "scheme not allowed"});
  }
  if (code != CURLE_OK && guard.refused) {
    return unexpected(TransportError{TransportErrorCode::Forbidden,
                                     "the host has no public address (refused before connecting)"});
  }
  if (code != CURLE_OK) return unexpected(transportError(code, error_buffer, sink.too_large));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace mxauth::http
