#pragma once

// Internals of SynapseDouble, shared by its source files: the state behind
// one mutex, the route table, and one member function per endpoint.
//   synapse_double.cpp  life cycle, routes, call log, faults, C++ controls
//   mas_api.cpp         /_synapse/mas/* (spec-digest §5.5)
//   client_api.cpp      versions, auth_metadata, whoami, compat proxy (§2, §5.3, §5.4)
//   control_api.cpp     /_double/* (README.md)

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "core/worker_pool.h"
#include "http/client.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "http/testing/running_server.h"
#include "tests/synapse_double/matrix_json.h"
#include "tests/synapse_double/synapse_double.h"

namespace mxauth::test {

// What Synapse keeps of one introspection answer ([SYN synapse/api/auth/mas.py]
// IntrospectionResponse).
struct Introspection {
  bool active = false;
  std::optional<std::string> scope;
  std::optional<std::string> username;
  std::optional<std::string> device_id;
  std::optional<std::int64_t> expires_in;
  Timestamp retrieved_at;
};

struct SynapseDouble::Impl {
  using Handler = std::function<http::Response(http::Request&)>;

  explicit Impl(SynapseDoubleOptions opts);
  void start();     // mounts the routes and starts serving
  void shutdown();  // wakes waiters and delayed answers, stops the server

  // --- routes (synapse_double.cpp) ---
  // A route whose requests are recorded and subject to faults.
  void mount(http::Method method, const std::string& pattern, Handler handler);
  // A client-facing route of Synapse's own: also answers CORS preflights.
  void mountClient(http::Method method, const std::string& pattern, Handler handler);
  // A /_double/* route: neither recorded nor faulted.
  void mountControl(http::Method method, const std::string& pattern, Handler handler);
  // A member function as a route handler.
  Handler handlerFor(http::Response (Impl::*endpoint)(http::Request&));
  http::Response serveRecorded(http::Request& request, const Handler& handler);
  std::optional<Fault> takeFault(std::string_view path);                 // with mutex held
  std::size_t countCalls(std::string_view path, CallPhase phase) const;  // with mutex held
  // Marks a change for waitUntil()/waitForCalls(); with mutex held, then
  // notify `changed`.
  void touch() { ++version; }

  // --- /_synapse/mas/* (mas_api.cpp) ---
  void mountMasApi();
  http::Response queryUser(http::Request& request);
  http::Response provisionUser(http::Request& request);
  http::Response isLocalpartAvailable(http::Request& request);
  http::Response deleteUser(http::Request& request);
  http::Response reactivateUser(http::Request& request);
  http::Response setDisplayname(http::Request& request);
  http::Response unsetDisplayname(http::Request& request);
  http::Response allowCrossSigningReset(http::Request& request);
  http::Response upsertDevice(http::Request& request);
  http::Response updateDeviceDisplayName(http::Request& request);
  http::Response deleteDevice(http::Request& request);
  http::Response syncDevices(http::Request& request);
  // Synapse's RegistrationHandler.check_username; with mutex held.
  std::optional<MatrixError> checkUsername(std::string_view localpart) const;

  // --- client-facing (client_api.cpp) ---
  void mountClientApi();
  http::Response versions(http::Request& request);
  http::Response authMetadata(http::Request& request);
  http::Response authIssuer(http::Request& request);
  http::Response wellKnownClient(http::Request& request);
  http::Response whoami(http::Request& request);
  http::Response forwardToMxauth(http::Request& request);
  // mxauth's discovery document, fetched once (§5.3); the error is for logs.
  Result<boost::json::object, std::string> serverMetadata();
  // An introspection answer, from the cache or from mxauth (§5.4).
  Result<Introspection, std::string> introspect(const std::string& token);

  // --- /_double/* (control_api.cpp) ---
  void mountControlApi();
  boost::json::object stateJson() const;

  SynapseDouble* owner = nullptr;  // for /_double/*, which drives the public API
  SynapseDoubleOptions options;
  std::unique_ptr<Clock> own_clock;
  const Clock& clock;
  http::HttpClient http_client;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::uint64_t version = 0;
  bool stopping = false;
  std::string mxauth_base;
  std::map<std::string, DoubleUser, std::less<>> users;
  struct CallEntry {
    std::uint64_t id = 0;
    RecordedCall call;
  };
  std::vector<CallEntry> calls;
  std::uint64_t next_call_id = 1;
  std::vector<Fault> faults;
  std::size_t introspections = 0;
  struct CachedIntrospection {
    Introspection answer;
    Timestamp stored_at;
  };
  std::map<std::string, CachedIntrospection, std::less<>> introspection_cache;
  std::optional<boost::json::object> metadata;

  http::Router router;
  core::WorkerPool pool;
  std::unique_ptr<RunningServer> server;  // last, so that it stops first
};

// "@localpart:server_name"
std::string userIdOf(std::string_view localpart, std::string_view server_name);

// Sorted, without duplicates (how e-mail lists are kept).
std::vector<std::string> sortedUnique(std::vector<std::string> values);

// `base` (with or without a trailing '/') followed by `path_and_query`,
// which starts with '/'.
std::string joinUrl(std::string_view base, std::string_view path_and_query);

}  // namespace mxauth::test
