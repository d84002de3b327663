#pragma once

// The in-process cache of active introspection answers (design §8): the
// homeserver may introspect on every request, so an active access token is
// answered from memory after its first lookup.
//
// Contract:
//  - keyed by the token's SHA-256 hex (the plain token is never kept);
//  - bounded: at most `capacity` entries, the least recently used evicted;
//  - an entry is never served at or after its token's `exp`, nor after
//    `max_staleness` since it was filled, so that changes made by another
//    process (`mxauth user lock`, a revocation served elsewhere) are seen
//    within that bound; changes made in this process call invalidate*();
//  - only active answers are cached; thread-safe (one mutex, held for
//    O(1) work: the fast path runs on an I/O thread).

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/string_map.h"
#include "storage/database.h"

namespace mxauth::oauth {

// What an active answer for an access token says (RFC 7662 §2.2 and the
// Matrix fields of spec-digest §5.4); expires_in is computed when served.
struct IntrospectionRecord {
  std::string scope;  // ScopeSet::introspectionScope()
  std::string client_id;
  std::string username;  // the localpart; empty for sessions without a user
  std::string subject;   // the user id; empty for sessions without a user
  std::optional<std::string> device_id;
  std::string session_id;
  Timestamp issued_at;
  Timestamp expires_at;
  // False for compat access tokens issued without a refresh token: they
  // never expire, and the answer has no exp/expires_in (spec-digest §5.4).
  bool has_expiry = true;
  // A compat session (legacy login API) rather than an OAuth session.
  bool is_compat = false;
};

class IntrospectionCache {
 public:
  IntrospectionCache(std::size_t capacity, Duration max_staleness);

  // The record for `token_hash` if present and still servable at `now`
  // (an expired or stale entry is dropped), else null. Marks it recently
  // used. Shared, not copied: a hit costs no allocation.
  std::shared_ptr<const IntrospectionRecord> find(std::string_view token_hash, Timestamp now);

  // A counter that every invalidation moves. A filler reads it before it
  // reads the database and passes it to insert(), so an answer read before
  // a concurrent revocation is not cached after it.
  std::uint64_t invalidations() const;

  // Stores (or replaces) the answer for `token_hash`, filled at `now`,
  // unless an invalidation happened since `seen_invalidations`.
  void insert(std::string token_hash, IntrospectionRecord record, Timestamp now,
              std::uint64_t seen_invalidations);

  void invalidateToken(std::string_view token_hash);
  // Drops every entry of the session (revocation, logout, refresh).
  void invalidateSession(std::string_view session_id);
  void clear();

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    std::string token_hash;
    std::shared_ptr<const IntrospectionRecord> record;
    Timestamp valid_until;
  };

  using List = std::list<Entry>;

  void eraseLocked(List::iterator it);

  const std::size_t capacity_;
  const Duration max_staleness_;
  mutable std::mutex mutex_;
  std::uint64_t invalidations_ = 0;
  List entries_;  // most recently used first
  core::StringMap<List::iterator> by_hash_;
  core::StringMap<std::vector<std::string>> by_session_;
};

// A change reported by the database (possibly made by another process):
// a revoked token or an ended session drops its entries; a locked or
// deactivated user, or a gap in the feed, drops everything.
void applyInvalidation(IntrospectionCache& cache, const storage::Invalidation& change);

}  // namespace mxauth::oauth
