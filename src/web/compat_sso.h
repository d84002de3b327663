#pragma once

// The browser half of the legacy SSO login (spec-digest §4.3), for clients
// that never learnt OAuth: m.login.sso, then m.login.token at POST /login
// (compat/compat_handlers.h).
//
// GET /_matrix/client/{r0,v3}/login/sso/redirect[/{idpId}]?redirectUrl=…
//     [&action=login|register] (also org.matrix.msc3824.action) checks
//     redirectUrl (compat::checkSsoRedirectUrl; refused → 400, an HTML page
//     for browsers, a Matrix error otherwise), stores a pending
//     CompatSsoLogin, and answers
//     303 to <public base>/complete-compat-sso/{id} (absolute: the request
//     usually arrived through the homeserver's address). mxauth has no upstream identity
//     providers: like MAS, the {idpId} form is the same as the plain one.
// GET /complete-compat-sso/{id} sends a browser without a session to the
//     login page (the registration page for action=register) and back; with
//     one it shows form#sso-confirm, which names the destination (host or
//     app) and the account. A login older than 30 minutes or already
//     completed is refused with a page.
//     Anyone can craft a redirect link and send it to someone (the spec's
//     "unsolicited attempt"); the confirmation naming the destination is
//     the defence. The flow cannot be bound to the browser with a cookie:
//     the redirect is answered on the homeserver's origin, the
//     confirmation on ours (docs/security.md).
// POST /complete-compat-sso/{id} (CSRF bound to the login) fulfils it with
//     a new single-use login token (24 random bytes, base64url; stored as
//     its SHA-256 only) and answers 303 to redirectUrl with
//     loginToken=<token>; the client has 30 s to exchange it.

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

class CompatSsoPages {
 public:
  explicit CompatSsoPages(const PageKit& kit) : kit_(kit) {}

  // GET /_matrix/client/{r0,v3}/login/sso/redirect[/{idpId}]
  http::Response redirect(const http::Request& request) const;
  // GET /complete-compat-sso/{id}
  http::Response showConfirm(const http::Request& request) const;
  // POST /complete-compat-sso/{id}: csrf.
  http::Response submitConfirm(const http::Request& request) const;

 private:
  http::Response confirm(const http::Request& request, bool submitted) const;

  const PageKit& kit_;
};

}  // namespace mxauth::web
