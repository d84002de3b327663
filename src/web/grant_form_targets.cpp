#include "web/grant_form_targets.h"

#include <utility>

namespace mxauth::web {

void GrantFormTargets::remember(const domain::AuthorizationGrantId& grant, std::string source) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  auto [entry, added] = sources_.insert_or_assign(grant.str(), std::move(source));
  if (!added) return;
  order_.push_back(entry->first);
  while (order_.size() > capacity_) {
    sources_.erase(order_.front());
    order_.pop_front();
  }
}

std::optional<std::string> GrantFormTargets::find(const domain::AuthorizationGrantId& grant) const {
  std::lock_guard lock(mutex_);
  const auto found = sources_.find(grant.str());
  if (found == sources_.end()) return std::nullopt;
  return found->second;
}

std::size_t GrantFormTargets::size() const {
  std::lock_guard lock(mutex_);
  return sources_.size();
}

}  // namespace mxauth::web
