#pragma once

// Mounts the browser pages on the route table (interface.md §4, §5):
//
//   GET  /assets/mxauth.css, /assets/form_post.js   Inline (static bytes)
//   GET  /login            POST /login
//   GET  /register         POST /register
//   GET  /logout           POST /logout
//   GET  /  and  /account/                          (signed-in page, ?action= deep links)
//   GET  /account/reauth   POST /account/reauth     (step-up, web/step_up.h)
//   GET  /account/password  /account/deactivate  /account/cross-signing-reset
//        and POST to each                           (web/account_security.h)
//   GET  /authorize        POST /authorize
//   GET  /authorize/continue   POST /authorize/continue
//   GET  /oauth2/logout        POST /oauth2/logout      (web/end_session.h)
//   GET  /_matrix/client/{r0,v3}/login/sso/redirect[/{idp}]
//   GET  /complete-compat-sso/{id}   POST /complete-compat-sso/{id}
//
// Everything but the assets runs on the blocking pool (database, password
// hashing). `context` must outlive `router`.

#include "http/router.h"
#include "web/web_context.h"

namespace mxauth::web {

void mountWebRoutes(http::Router& router, WebContext& context);

// An HTML 404 page, for Router::setNotFound on browser paths if wanted.
http::Response notFoundPage(WebContext& context, const http::Request& request);

}  // namespace mxauth::web
