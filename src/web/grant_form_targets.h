#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/id.h"

namespace mxauth::web {

// The form-action source of the client of each authorization request this
// process sent to sign in lately, by grant id. The login page of a pending
// request allows that source as a form target (a remembered consent lets
// the login form's redirects end at the client, and browsers hold them to
// form-action), and would otherwise read the grant for it: a round trip to
// the database per login. At most `capacity` entries, the oldest forgotten
// first; a grant not found here (another instance started it, or it was
// forgotten) is read from storage, which also checks that it is pending.
// A remembered source may outlive the grant's pendency: the page then
// allows one of the client's registered redirect origins, which its
// pending request allowed anyway, for a form that posts to /login.
class GrantFormTargets {
 public:
  explicit GrantFormTargets(std::size_t capacity = 4096) : capacity_(capacity) {}

  void remember(const domain::AuthorizationGrantId& grant, std::string source);
  std::optional<std::string> find(const domain::AuthorizationGrantId& grant) const;
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> sources_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace mxauth::web
