#pragma once

// A stand-in for Synapse's side of the contract between a homeserver and its
// auth service (spec-digest §5), for integration and end-to-end tests of
// mxauth. It serves, over our http::Server on 127.0.0.1:
//  - /_synapse/mas/* as Synapse does (§5.5), keeping users and devices in
//    memory;
//  - what Synapse serves to clients in front of an auth service: versions,
//    auth_metadata re-served from mxauth's discovery document (§5.3), and
//    whoami, which introspects the token at mxauth like Synapse (§5.4);
//  - the legacy login/logout/refresh paths, forwarded to mxauth the way a
//    deployment's reverse proxy routes them (§2);
//  - /_double/*, test controls that no Synapse serves (README.md).
//
// Where Synapse's code says more than the digest, the double follows the
// code, and the comment names the Synapse file.
//
// Thread-safe: every method may be called from any thread while the double
// serves. The destructor stops the server (waking delayed answers) and
// waits for it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "http/headers.h"

namespace mxauth::test {

struct SynapseDoubleOptions {
  // Synapse's server_name: users are @localpart:server_name.
  std::string server_name = "example.test";
  // matrix_authentication_service.secret, used in both directions (§5.2).
  std::string secret;
  // matrix_authentication_service.endpoint: mxauth's internal base URL.
  // Usually unknown when the double starts; see setMxauthBase().
  std::string mxauth_base;
  // Users that exist on the homeserver before mxauth runs (created outside
  // it, e.g. an admin account). Any spelling is accepted, upper case too, so
  // that a case-insensitive clash can be set up.
  std::vector<std::string> existing_localparts;
  // An application service's exclusive user namespace: localparts starting
  // with this prefix are M_EXCLUSIVE. Empty: no application service.
  std::string exclusive_localpart_prefix;
  // host:port for the server; port 0 lets the kernel choose.
  std::string listen = "127.0.0.1:0";
  // How long a schema-valid introspection answer is reused (Synapse: two
  // minutes, §5.4). Zero turns the cache off.
  Duration introspection_cache_ttl = std::chrono::minutes(2);
  // Deadline of every call the double makes to mxauth.
  Duration outbound_timeout = std::chrono::seconds(10);
  // Time for the introspection cache and the cross-signing allowance. Not
  // owned; must outlive the double. nullptr: the system clock.
  const Clock* clock = nullptr;
};

struct DoubleDevice {
  std::string device_id;
  std::optional<std::string> display_name;
  // The user's dehydrated device (MSC3814): sync_devices never deletes it.
  bool dehydrated = false;
};

struct DoubleUser {
  std::string localpart;
  std::string user_id;  // filled in by the double: @localpart:server_name
  std::optional<std::string> display_name;
  std::optional<std::string> avatar_url;
  std::vector<std::string> emails;  // sorted, no duplicates
  bool locked = false;
  bool suspended = false;
  bool deactivated = false;
  bool erased = false;  // delete_user with "erase": true
  // allow_cross_signing_reset calls, and when the last one's window closes.
  int cross_signing_reset_allowances = 0;
  std::optional<Timestamp> cross_signing_reset_allowed_until;
  std::map<std::string, DoubleDevice, std::less<>> devices;  // by device id

  bool hasDevice(std::string_view device_id) const { return devices.contains(device_id); }
};

// One request the double received (not /_double/*).
struct RecordedCall {
  std::string method;
  std::string path;
  std::string query;  // undecoded, without '?'
  http::Headers headers;
  std::string body;
  int status = 0;  // 0 while the answer is still being prepared
  bool faulted = false;
};

// Changes the answers to requests for one path (exact match, any method).
struct Fault {
  std::string path;
  // Answer with this status instead of the real handler; 0 answers normally
  // (after the delay).
  int status = 0;
  // The JSON body of that answer; empty means a Matrix error (status >= 400)
  // or {} otherwise.
  std::string body;
  // Hold the answer this long first. Waits on a worker thread, never on the
  // I/O thread, and ends early when the double stops.
  Duration delay{0};
  // How many requests it applies to; nullopt: every one until cleared.
  std::optional<int> count;
};

enum class CallPhase {
  Arrived,   // the request was received
  Answered,  // its answer is final (the state change, if any, is visible)
};

class SynapseDouble {
 public:
  // Starts serving; throws std::runtime_error when it cannot listen.
  explicit SynapseDouble(SynapseDoubleOptions options);
  ~SynapseDouble();
  SynapseDouble(const SynapseDouble&) = delete;
  SynapseDouble& operator=(const SynapseDouble&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT/": what mxauth's matrix.endpoint points at.
  std::string baseUrl() const;
  const std::string& serverName() const;
  const std::string& secret() const;

  // Where mxauth listens, e.g. "http://127.0.0.1:8080/". Drops the cached
  // discovery document and introspection answers.
  void setMxauthBase(std::string base);
  std::string mxauthBase() const;

  // The homeserver's users, sorted by localpart.
  std::vector<DoubleUser> users() const;
  std::optional<DoubleUser> user(std::string_view localpart) const;
  bool hasDevice(std::string_view localpart, std::string_view device_id) const;
  // Creates the user, or replaces one with the same localpart. Not
  // validated: any localpart is accepted. user_id is filled in.
  void addUser(DoubleUser user);
  void addUser(std::string localpart);
  // Adds or replaces a device; false when there is no such user.
  bool addDevice(std::string_view localpart, DoubleDevice device);

  // Every request received so far, oldest first.
  std::vector<RecordedCall> calls() const;
  std::vector<RecordedCall> calls(std::string_view path) const;
  // Requests received for `path` (answered or not).
  std::size_t callCount(std::string_view path) const;
  void clearCalls();
  // Waits until `count` requests for `path` reached `phase`; false on timeout.
  bool waitForCalls(std::string_view path, std::size_t count,
                    Duration timeout = std::chrono::seconds(5),
                    CallPhase phase = CallPhase::Answered) const;
  // Re-evaluates `condition` after every change of state or call log until
  // it holds; false on timeout. `condition` may call this object's methods.
  bool waitUntil(const std::function<bool()>& condition,
                 Duration timeout = std::chrono::seconds(5)) const;

  // Requests the double sent to mxauth's introspection endpoint.
  std::size_t introspectionRequests() const;

  void addFault(Fault fault);
  void clearFaults();
  std::vector<Fault> faults() const;

  // Forgets the cached discovery document and introspection answers.
  void clearCaches();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxauth::test
