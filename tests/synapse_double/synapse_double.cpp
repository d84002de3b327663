#include "tests/synapse_double/synapse_double.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <utility>

#include "tests/synapse_double/impl.h"

namespace mxauth::test {
namespace {

constexpr std::size_t kWorkerThreads = 8;
constexpr std::size_t kWorkerQueue = 512;

// Synapse's CORS headers on client-facing answers ([SYN synapse/http/server.py]
// set_cors_headers).
void addCorsHeaders(http::Response& response) {
  response.setHeader("Access-Control-Allow-Origin", "*");
  response.setHeader("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  response.setHeader("Access-Control-Allow-Headers",
                     "X-Requested-With, Content-Type, Authorization, Date");
  response.setHeader("Access-Control-Expose-Headers", "Synapse-Trace-Id, Server");
}

http::Response faultResponse(const Fault& fault) {
  if (fault.status == 204) return http::Response::noContent();
  if (!fault.body.empty()) return http::Response::json(fault.status, fault.body);
  if (fault.status >= 400) {
    return errorResponse({fault.status, "M_UNKNOWN", "Fault injected by the Synapse double", {}});
  }
  return jsonResponse(fault.status, boost::json::object{});
}

}  // namespace

std::string userIdOf(std::string_view localpart, std::string_view server_name) {
  std::string id = "@";
  id += localpart;
  id += ':';
  id += server_name;
  return id;
}

std::vector<std::string> sortedUnique(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

std::string joinUrl(std::string_view base, std::string_view path_and_query) {
  while (base.ends_with('/')) base.remove_suffix(1);
  return std::string(base) + std::string(path_and_query);
}

SynapseDouble::Impl::Impl(SynapseDoubleOptions opts)
    : options(std::move(opts)),
      own_clock(options.clock == nullptr ? std::make_unique<SystemClock>() : nullptr),
      clock(options.clock == nullptr ? *own_clock : *options.clock),
      http_client(http::HttpClientOptions{
          .connect_timeout = options.outbound_timeout,
          .total_timeout = options.outbound_timeout,
          .max_response_bytes = std::size_t{1} << 20,  // Synapse's introspection limit (§5.4)
          .user_agent = "Synapse (synapse-double)",
          .https_only = false,
          .public_addresses_only = false,
          .ca_file = {},
      }),
      mxauth_base(options.mxauth_base),
      pool("synapse-double", kWorkerThreads, kWorkerQueue) {
  for (const std::string& localpart : options.existing_localparts) {
    DoubleUser user;
    user.localpart = localpart;
    user.user_id = userIdOf(localpart, options.server_name);
    user.display_name = localpart;
    users[localpart] = std::move(user);
  }
}

void SynapseDouble::Impl::start() {
  router.setNotFound([](http::Request&) {
    return errorResponse({404, "M_UNRECOGNIZED", "Unrecognized request", {}});
  });
  mountMasApi();
  mountClientApi();
  mountControlApi();
  http::ServerOptions server_options;
  server_options.listen = options.listen;
  server_options.shutdown_grace = std::chrono::seconds(2);
  http::ServerHooks hooks;
  hooks.error_log = [](std::string_view message) {
    std::fprintf(stderr, "synapse-double: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  };
  server = std::make_unique<RunningServer>(server_options, router, pool, std::move(hooks));
}

void SynapseDouble::Impl::shutdown() {
  {
    std::lock_guard lock(mutex);
    stopping = true;
    touch();
  }
  changed.notify_all();
  if (server) server->stop();
}

void SynapseDouble::Impl::mount(http::Method method, const std::string& pattern, Handler handler) {
  router.add(method, pattern, [this, handler = std::move(handler)](http::Request& request) {
    return serveRecorded(request, handler);
  });
}

void SynapseDouble::Impl::mountClient(http::Method method, const std::string& pattern,
                                      Handler handler) {
  auto with_cors = [handler = std::move(handler)](http::Request& request) {
    http::Response response = handler(request);
    addCorsHeaders(response);
    return response;
  };
  mount(method, pattern, std::move(with_cors));
  // Synapse answers a preflight on any client path with 200 {}.
  mount(http::Method::Options, pattern, [](http::Request&) {
    http::Response response = jsonResponse(200, boost::json::object{});
    addCorsHeaders(response);
    return response;
  });
}

void SynapseDouble::Impl::mountControl(http::Method method, const std::string& pattern,
                                       Handler handler) {
  router.add(method, pattern, std::move(handler));
}

SynapseDouble::Impl::Handler SynapseDouble::Impl::handlerFor(
    http::Response (Impl::*endpoint)(http::Request&)) {
  return [this, endpoint](http::Request& request) { return (this->*endpoint)(request); };
}

http::Response SynapseDouble::Impl::serveRecorded(http::Request& request, const Handler& handler) {
  std::uint64_t id = 0;
  std::optional<Fault> fault;
  {
    std::lock_guard lock(mutex);
    id = next_call_id++;
    RecordedCall call;
    call.method = std::string(http::methodName(request.method));
    call.path = request.path;
    if (const std::size_t q = request.target.find('?'); q != std::string::npos) {
      call.query = request.target.substr(q + 1);
    }
    call.headers = request.headers;
    call.body = request.body;
    fault = takeFault(request.path);
    call.faulted = fault.has_value();
    calls.push_back(CallEntry{id, std::move(call)});
    touch();
  }
  changed.notify_all();

  bool interrupted = false;
  if (fault && fault->delay > Duration::zero()) {
    std::unique_lock lock(mutex);
    interrupted = changed.wait_for(lock, fault->delay, [this] { return stopping; });
  }
  http::Response response;
  if (interrupted) {
    response = errorResponse({503, "M_UNKNOWN", "The Synapse double is stopping", {}});
  } else if (fault && fault->status != 0) {
    response = faultResponse(*fault);
  } else {
    response = handler(request);
  }

  {
    std::lock_guard lock(mutex);
    // Search from the end: the call is recent, unless clearCalls() removed it.
    auto entry = std::find_if(calls.rbegin(), calls.rend(),
                              [id](const CallEntry& candidate) { return candidate.id == id; });
    if (entry != calls.rend()) entry->call.status = response.status;
    touch();
  }
  changed.notify_all();
  return response;
}

std::size_t SynapseDouble::Impl::countCalls(std::string_view path, CallPhase phase) const {
  return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [&](const auto& e) {
    return e.call.path == path && (phase == CallPhase::Arrived || e.call.status != 0);
  }));
}

std::optional<Fault> SynapseDouble::Impl::takeFault(std::string_view path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (it->path != path) continue;
    Fault taken = *it;
    if (it->count && --*it->count <= 0) faults.erase(it);
    return taken;
  }
  return std::nullopt;
}

SynapseDouble::SynapseDouble(SynapseDoubleOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->owner = this;
  impl_->start();
}

SynapseDouble::~SynapseDouble() { impl_->shutdown(); }

std::uint16_t SynapseDouble::port() const { return impl_->server->port(); }

std::string SynapseDouble::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/";
}

const std::string& SynapseDouble::serverName() const { return impl_->options.server_name; }

const std::string& SynapseDouble::secret() const { return impl_->options.secret; }

void SynapseDouble::setMxauthBase(std::string base) {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->mxauth_base = std::move(base);
    impl_->metadata.reset();
    impl_->introspection_cache.clear();
    impl_->touch();
  }
  impl_->changed.notify_all();
}

std::string SynapseDouble::mxauthBase() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->mxauth_base;
}

std::vector<DoubleUser> SynapseDouble::users() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<DoubleUser> out;
  out.reserve(impl_->users.size());
  for (const auto& [localpart, user] : impl_->users) out.push_back(user);
  return out;
}

std::optional<DoubleUser> SynapseDouble::user(std::string_view localpart) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->users.find(localpart);
  if (it == impl_->users.end()) return std::nullopt;
  return it->second;
}

bool SynapseDouble::hasDevice(std::string_view localpart, std::string_view device_id) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->users.find(localpart);
  return it != impl_->users.end() && it->second.hasDevice(device_id);
}

void SynapseDouble::addUser(DoubleUser user) {
  user.user_id = userIdOf(user.localpart, impl_->options.server_name);
  user.emails = sortedUnique(std::move(user.emails));
  for (auto& [device_id, device] : user.devices) device.device_id = device_id;
  {
    std::lock_guard lock(impl_->mutex);
    std::string localpart = user.localpart;
    impl_->users[std::move(localpart)] = std::move(user);
    impl_->touch();
  }
  impl_->changed.notify_all();
}

void SynapseDouble::addUser(std::string localpart) {
  DoubleUser user;
  user.localpart = std::move(localpart);
  addUser(std::move(user));
}

bool SynapseDouble::addDevice(std::string_view localpart, DoubleDevice device) {
  {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->users.find(localpart);
    if (it == impl_->users.end()) return false;
    std::string device_id = device.device_id;
    it->second.devices[std::move(device_id)] = std::move(device);
    impl_->touch();
  }
  impl_->changed.notify_all();
  return true;
}

std::vector<RecordedCall> SynapseDouble::calls() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<RecordedCall> out;
  out.reserve(impl_->calls.size());
  for (const auto& entry : impl_->calls) out.push_back(entry.call);
  return out;
}

std::vector<RecordedCall> SynapseDouble::calls(std::string_view path) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<RecordedCall> out;
  for (const auto& entry : impl_->calls) {
    if (entry.call.path == path) out.push_back(entry.call);
  }
  return out;
}

std::size_t SynapseDouble::callCount(std::string_view path) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->countCalls(path, CallPhase::Arrived);
}

void SynapseDouble::clearCalls() {
  std::lock_guard lock(impl_->mutex);
  impl_->calls.clear();
  impl_->touch();
}

bool SynapseDouble::waitForCalls(std::string_view path, std::size_t count, Duration timeout,
                                 CallPhase phase) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] {
    return impl_->stopping || impl_->countCalls(path, phase) >= count;
  }) && !impl_->stopping;
}

bool SynapseDouble::waitUntil(const std::function<bool()>& condition, Duration timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(impl_->mutex);
      seen = impl_->version;
    }
    if (condition()) return true;
    std::unique_lock lock(impl_->mutex);
    const bool moved = impl_->changed.wait_until(
        lock, deadline, [&] { return impl_->stopping || impl_->version != seen; });
    if (!moved || impl_->stopping) return false;
  }
}

std::size_t SynapseDouble::introspectionRequests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->introspections;
}

void SynapseDouble::addFault(Fault fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

void SynapseDouble::clearFaults() {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.clear();
}

std::vector<Fault> SynapseDouble::faults() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->faults;
}

void SynapseDouble::clearCaches() {
  std::lock_guard lock(impl_->mutex);
  impl_->metadata.reset();
  impl_->introspection_cache.clear();
}

}  // namespace mxauth::test
