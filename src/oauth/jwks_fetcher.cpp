#include "oauth/jwks_fetcher.h"

#include <algorithm>
#include <utility>

namespace mxauth::oauth {
namespace {

http::HttpClientOptions clientOptions(const JwksFetchOptions& options) {
  http::HttpClientOptions out;
  out.connect_timeout = std::min(options.timeout, std::chrono::milliseconds(2000));
  out.total_timeout = options.timeout;
  out.max_response_bytes = options.max_bytes;
  out.https_only = !options.allow_http;
  out.public_addresses_only = !options.allow_private_addresses;
  return out;
}

}  // namespace

JwksFetcher::JwksFetcher(const Clock& clock, JwksFetchOptions options)
    : clock_(clock), options_(options), client_(clientOptions(options)) {}

Result<JwkSetKeys, std::string> JwksFetcher::keys(std::string_view uri, bool refresh) {
  Timestamp now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(uri);
    if (it != cache_.end()) {
      const Entry& entry = it->second;
      bool fresh = entry.keys && now - entry.fetched_at < options_.cache_ttl;
      bool may_refetch = now - entry.attempted_at >= options_.min_refetch_interval;
      if (fresh && (!refresh || !may_refetch)) return entry.keys;
      if (!may_refetch) {
        // Fetched (or tried) a moment ago: the answer of that attempt.
        if (entry.failure.empty() && entry.keys) return entry.keys;
        return unexpected(entry.failure);
      }
    }
  }
  std::string key(uri);
  auto fetched = fetch(key);
  recordAttempt(key, fetched, now);
  return fetched;
}

Result<JwkSetKeys, std::string> JwksFetcher::fetch(const std::string& uri) const {
  http::OutboundRequest request;
  request.url = uri;
  request.headers.emplace_back("Accept", "application/jwk-set+json, application/json");
  auto response = client_.send(request);
  if (!response) return unexpected("jwks_uri " + uri + ": " + response.error().message);
  if (response->status != 200) {
    return unexpected("jwks_uri " + uri + " answered " + std::to_string(response->status));
  }
  auto keys = crypto::parseJwkSet(std::string_view(response->body));
  if (!keys) return unexpected("jwks_uri " + uri + ": " + keys.error().detail);
  return std::make_shared<const std::vector<crypto::JwkSetKey>>(std::move(*keys));
}

void JwksFetcher::recordAttempt(const std::string& uri,
                                const Result<JwkSetKeys, std::string>& outcome, Timestamp now) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(uri);
  if (it == cache_.end()) {
    if (cache_.size() >= options_.max_entries) {
      auto oldest =
          std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
            return a.second.attempted_at < b.second.attempted_at;
          });
      cache_.erase(oldest);
    }
    it = cache_.emplace(uri, Entry{nullptr, now, now, {}}).first;
  }
  Entry& entry = it->second;
  entry.attempted_at = now;
  if (outcome) {
    entry.keys = *outcome;
    entry.fetched_at = now;
    entry.failure.clear();
  } else {
    entry.failure = outcome.error();
  }
}

}  // namespace mxauth::oauth
