#pragma once

// The browser half of the device authorization grant (RFC 8628 §3.3;
// Matrix QR-code login, MSC4108): the person holding a signed-in browser
// types the user code a device shows, and approves that device.
//
// GET /link[?code=…] shows form#link (field `code`), pre-filled from
//     verification_uri_complete. The form does not look the code up by
//     itself: a link someone sent must still be submitted by the person.
// POST /link (CSRF) normalises the code (oauth/user_code.h) and, when it
//     names a pending request, answers 303 to /device/{id}. A wrong,
//     expired or used code comes back on the form (400). Wrong codes are
//     limited per client address (rate_limits.device_link, checked before
//     the lookup; a right code gives its token back): over the limit, 429
//     with Retry-After (security checklist H.53).
// GET /device/{id} sends a browser without a session to the login page and
//     back; with one it shows the consent page (form#consent): a plain
//     warning that another device is being signed in, the client, the
//     device id of the device scope, the user code to compare with the
//     device's screen, and what the device may do. An admin scope for a
//     user who is not an admin denies the request with a page.
// POST /device/{id} (CSRF bound to the request): action=allow approves
//     the request for the signed-in user (a conditional write: one
//     decision per request), action=deny denies it; either ends on a page
//     that says what happened. The device's next poll gets its tokens or
//     access_denied (oauth/grants/device_code_grant.h).

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

class DeviceLinkPages {
 public:
  explicit DeviceLinkPages(const PageKit& kit) : kit_(kit) {}

  // GET /link
  http::Response showLink(const http::Request& request) const;
  // POST /link: csrf, code.
  http::Response submitLink(const http::Request& request) const;
  // GET /device/{id}
  http::Response showConsent(const http::Request& request) const;
  // POST /device/{id}: csrf, action=allow|deny.
  http::Response submitConsent(const http::Request& request) const;

 private:
  http::Response renderLink(const http::Request& request, int status,
                            templates::DeviceLinkPage page) const;
  http::Response consent(const http::Request& request, bool submitted) const;

  const PageKit& kit_;
};

}  // namespace mxauth::web
