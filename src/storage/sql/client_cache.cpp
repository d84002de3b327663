#include "storage/sql/client_cache.h"

namespace mxauth::storage::sql {

std::optional<domain::OAuthClient> ClientCache::find(std::string_view id,
                                                     SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(id);
  if (found == entries_.end()) return std::nullopt;
  if (now - found->second.read_at >= ttl_) {
    entries_.erase(found);
    return std::nullopt;
  }
  return found->second.client;
}

void ClientCache::insert(const domain::OAuthClient& client, SteadyClock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_ && !entries_.contains(client.id.str())) entries_.clear();
  entries_.insert_or_assign(client.id.str(), Entry{client, now});
}

std::size_t ClientCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace mxauth::storage::sql
