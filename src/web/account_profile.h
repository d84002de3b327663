#pragma once

// The profile page (issue 5; interface.md §5): GET/POST /account/profile,
// form#profile with `display_name`.
//
// It needs a signed-in browser session but no step-up: the display name is
// public, and UIA never protected changing it. The POST carries a CSRF
// token of its own purpose and answers 303 to the page. A display name is
// at most kMaxDisplayNameLength code points of valid UTF-8 without control
// characters, with surrounding spaces removed; an empty one clears it.
// Saving stores it and, in the same transaction, queues the homeserver's
// provision_user job with the display name (jobs/homeserver_jobs.h), so the
// homeserver learns of it even when it is down at the time.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

inline constexpr std::string_view kProfilePath = "/account/profile";
// Synapse's limit on display names (MAX_DISPLAYNAME_LEN), in code points.
inline constexpr std::size_t kMaxDisplayNameLength = 256;

// Why `display_name` (already trimmed) cannot be stored, or nullopt.
std::optional<templates::Text> displayNameProblem(std::string_view display_name);

class ProfilePages {
 public:
  explicit ProfilePages(const PageKit& kit) : kit_(kit) {}

  // GET /account/profile[?saved=1]
  http::Response showProfile(const http::Request& request) const;
  // POST /account/profile: csrf, display_name.
  http::Response submitProfile(const http::Request& request) const;

 private:
  const PageKit& kit_;
};

}  // namespace mxauth::web
