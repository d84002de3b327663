#pragma once

// Registered OAuth clients, kept in memory by the database that read them.
//
// A client record never changes once written (OAuthClientRepository can
// only add; the product never updates or deletes one), and every token
// request and authorization step looks its client up: a refresh grant spent
// a transaction of its own, a round trip to PostgreSQL, on it. So a record
// read in a read-only transaction (committed data) is kept and served to
// later lookups in any transaction of the same database object.
//
// Bounded in both ways all the same: at most `capacity` records (the map is
// emptied when it is full, dynamic registration being unbounded), each for
// `ttl` after it was read, so that a row an operator removes by hand stops
// being served within that time. An unknown id is never kept (the client
// may be registered a moment later, on another instance). Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/string_map.h"
#include "domain/oauth.h"

namespace mxauth::storage::sql {

class ClientCache {
 public:
  using SteadyClock = std::chrono::steady_clock;

  ClientCache(std::size_t capacity, std::chrono::steady_clock::duration ttl)
      : capacity_(capacity), ttl_(ttl) {}

  std::optional<domain::OAuthClient> find(std::string_view id, SteadyClock::time_point now);
  void insert(const domain::OAuthClient& client, SteadyClock::time_point now);
  std::size_t size() const;

 private:
  struct Entry {
    domain::OAuthClient client;
    SteadyClock::time_point read_at;
  };

  const std::size_t capacity_;
  const std::chrono::steady_clock::duration ttl_;
  mutable std::mutex mutex_;
  core::StringMap<Entry> entries_;
};

}  // namespace mxauth::storage::sql
