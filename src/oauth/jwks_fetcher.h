#pragma once

// The JWK sets of private_key_jwt clients that registered a `jwks_uri`
// (RFC 7591 §2, OIDC Core §9), fetched when an assertion must be checked.
//
// The URL is the client's choice, so the fetch is guarded against SSRF
// (security checklist B.18) by http::HttpClient's options: https only
// (unless clients.jwks_uri.allow_http), never to a loopback, private,
// link-local or otherwise non-public address — checked on the addresses the
// name resolves to, right before connecting — unless
// clients.jwks_uri.allow_private_addresses; no redirects; a short deadline
// and a size cap. Only a 200 whose body is a usable JWK set counts.
//
// Sets are cached per URL for `cache_ttl`. A caller that finds no key for
// an assertion's "kid" asks again with `refresh` (the client may have
// rotated its keys); a refresh, and a retry after a failed fetch, happen at
// most once per `min_refetch_interval` per URL, so assertions with made-up
// kids cannot make us hammer the client's server. The cache holds at most
// `max_entries` URLs (the oldest entry goes first).
//
// Runs on the blocking pool (a fetch blocks its thread up to `timeout`);
// callers hold no database transaction while fetching. Thread-safe.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/jwk_set.h"
#include "http/client.h"

namespace mxauth::oauth {

using JwkSetKeys = std::shared_ptr<const std::vector<crypto::JwkSetKey>>;

// Where assertion keys come from; JwksFetcher in production, fakes in tests.
class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // The keys published at `uri`, or a reason for logs why there are none.
  virtual Result<JwkSetKeys, std::string> keys(std::string_view uri, bool refresh) = 0;
};

struct JwksFetchOptions {
  std::chrono::milliseconds timeout{5000};
  std::size_t max_bytes = std::size_t{64} * 1024;
  Duration cache_ttl = std::chrono::minutes(5);
  Duration min_refetch_interval = std::chrono::seconds(10);
  std::size_t max_entries = 1024;
  bool allow_http = false;
  bool allow_private_addresses = false;
};

class JwksFetcher final : public JwksSource {
 public:
  JwksFetcher(const Clock& clock, JwksFetchOptions options);

  Result<JwkSetKeys, std::string> keys(std::string_view uri, bool refresh) override;

 private:
  struct Entry {
    JwkSetKeys keys;         // the last set fetched; null when none was
    Timestamp fetched_at;    // when `keys` was fetched
    Timestamp attempted_at;  // the last fetch, successful or not
    std::string failure;     // why the last fetch failed; empty when it did not
  };

  Result<JwkSetKeys, std::string> fetch(const std::string& uri) const;
  void recordAttempt(const std::string& uri, const Result<JwkSetKeys, std::string>& outcome,
                     Timestamp now);

  const Clock& clock_;
  JwksFetchOptions options_;
  http::HttpClient client_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;
};

}  // namespace mxauth::oauth
