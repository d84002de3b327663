#pragma once

// The end-session endpoint of OpenID Connect RP-Initiated Logout 1.0: an
// application sends the browser here to sign the user out. Advertised as
// `end_session_endpoint`; MAS has no such endpoint, so it is an extension
// of interface.md §4 (docs/oauth.md, "Signing out from an application").
//
// GET /oauth2/logout with id_token_hint, client_id, post_logout_redirect_uri,
// state and ui_locales (accepted; pages are in English), others ignored.
// POST /oauth2/logout (form) answers 303 to the same request as a GET: the
// session cookie is SameSite=Lax, so a browser posting from the
// application's site does not send it, and the GET that follows does.
//
// The request is checked in this order; a refusal is an HTML 400 page, on
// which nobody is signed out and nothing is redirected (§4):
//  1. a repeated parameter, or a state or hint over its length limit;
//  2. id_token_hint must verify as an ID token we issued
//     (oauth::verifyIdTokenHint: our keys, our issuer, expired allowed) to
//     the client it names, signed with that client's registered algorithm.
//     A hint that fails is not a refusal but counts as no hint, and the
//     post-logout redirect is dropped with it: §4 forbids redirecting on
//     information that failed validation;
//  3. the client is the hint's aud; a client_id given with a valid hint
//     must be the same (§2) → else refused. Without a valid hint, a
//     client_id names the client (the user confirms, see below) and must be
//     registered → else refused;
//  4. post_logout_redirect_uri must be registered by that client
//     (oauth::matchPostLogoutRedirectUri) → else refused. Without a client
//     it cannot be checked, and no redirect happens at all.
// Then:
//  - a valid hint whose sub is the signed-in user: the browser session
//    ends at once, and the browser goes (303) to the post-logout redirect
//    URI with `state`, or sees the signed-out page (templates::SignedOutPage);
//  - anyone else signed in (no hint, a hint that failed, another user's):
//    form#logout asks first (§2: the OP MUST ask then), naming the
//    application when it is known and the address it returns to. Its hidden
//    fields carry end_session=1 and the checked redirect; it posts to
//    /logout (AccountPages::submitLogout, then submitConfirmation below);
//  - nobody signed in: the signed-out page, with a button to the checked
//    redirect. Anyone can register a client and hold an ID token of an
//    account of their own, so sending a signed-out stranger straight to that
//    client's URI would make this server an open redirector (security
//    checklist A.2); only an operator-added client with a valid hint is
//    redirected at once.
//
// What ends is the browser session, exactly as POST /logout ends it: the
// user's OAuth and compat sessions — the Matrix devices of their apps,
// with their encryption keys — stay, as with MAS. The application that
// asked revokes its own tokens (RFC 7009) if it wants them gone.

#include <string_view>

#include "http/request.h"
#include "http/response.h"
#include "http/url_encoding.h"
#include "web/page_kit.h"

namespace mxauth::web {

// The CSRF purpose of form#logout, wherever it is shown.
inline constexpr std::string_view kLogoutCsrfPurpose = "logout";

class EndSessionPages {
 public:
  explicit EndSessionPages(const PageKit& kit) : kit_(kit) {}

  // GET and POST /oauth2/logout (see the header comment).
  http::Response endSession(const http::Request& request) const;

  // POST /logout with a form#logout that the end-session endpoint showed
  // (isEndSessionForm): checks the CSRF token (403 and the form again when
  // it fails), ends the browser session, and answers 303 to the
  // post-logout redirect the form carries when that client still has that
  // URI registered, else the signed-out page. The cookie is cleared.
  http::Response submitConfirmation(const http::Request& request,
                                    const http::FormParams& form) const;

 private:
  const PageKit& kit_;
};

// The form came from the end-session endpoint (it carries end_session=1).
bool isEndSessionForm(const http::FormParams& form);

}  // namespace mxauth::web
