#pragma once

// The authorization endpoint (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2,
// RFC 9207, spec-digest §3.4) and the pages that finish it.
//
// GET or POST /authorize (form-encoded; OIDC Core §3.1.2.1 allows POST)
// checks the request in this order:
//  1. client_id and redirect_uri (and response_mode, which decides how to
//     redirect): unknown, unregistered, repeated or malformed → an HTML 400
//     page, NEVER a redirect (RFC 6749 §4.1.2.1, checklist A);
//  2. everything else is answered by redirecting to the client with error,
//     error_description, state and iss, in the chosen response mode:
//     a repeated parameter → invalid_request (RFC 6749 §3.1);
//     request / request_uri / registration → request_not_supported /
//     request_uri_not_supported / registration_not_supported;
//     response_type other than "code" → unsupported_response_type;
//     a client not registered for authorization_code → unauthorized_client;
//     scope → invalid_scope (oauth::ScopeSet, validateScope);
//     PKCE: S256 only, required for public clients (checklist B.8) →
//     invalid_request; max_age not a non-negative integer, prompt=none with
//     other values → invalid_request;
//     id_token_hint not an ID token of ours → invalid_request;
//     prompt=none → login_required without a (fresh enough) browser session
//     or when id_token_hint names another user; consent_required unless a
//     remembered consent covers the request (web/consent.h, checklist
//     B.14); otherwise the code is issued at once, with no page.
//  display, ui_locales, claims_locales and acr_values are accepted. An
//  id_token_hint naming another user than the one signed in asks for a new
//  login (prompt=login added), with the hinted user's name pre-filled.
//  Unknown parameters are ignored. The request is then stored as a pending
//  AuthorizationGrant and the browser goes to /authorize/continue?id=<id>.
//
// GET /authorize/continue?id=<grant> sends the user to log in (or to
// register for prompt=create; again for prompt=login or an exceeded
// max_age), then shows the consent page (form#consent), unless a remembered
// consent covers the request (web/consent.h): then the code is issued at
// once, as on allow. POST decides:
// action=allow creates the OAuthSession, issues a code (32 random bytes,
// base64url) stored only as its SHA-256 hex, and fulfils the grant — a
// conditional write, so a second submit fails cleanly — then redirects with
// code, state and iss; action=deny cancels the grant and redirects with
// access_denied. The consent CSRF token is bound to the grant (checklist
// F.38). A user who is not an admin is refused the admin scope here, with
// invalid_scope.

#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

class AuthorizeHandler {
 public:
  explicit AuthorizeHandler(const PageKit& kit) : kit_(kit) {}

  // GET and POST /authorize.
  http::Response authorize(const http::Request& request) const;
  // GET /authorize/continue?id=...
  http::Response showContinue(const http::Request& request) const;
  // POST /authorize/continue?id=...: csrf, action=allow|deny.
  http::Response submitContinue(const http::Request& request) const;

 private:
  struct Pending;
  http::Response continueGrant(const http::Request& request, bool submitted) const;

  const PageKit& kit_;
};

}  // namespace mxauth::web
