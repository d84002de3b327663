#pragma once

// The account pages of interface.md §5: login (form#login), registration
// (form#register), logout (form#logout), and the minimal signed-in page at
// / and /account/. Each handler takes a request and returns a response, so
// tests call them directly.
//
// Security checklist F: every form carries a CSRF token and a bad or missing
// one answers 403 with the form shown again; a successful POST answers 303
// (never 307/308, B.16); every login creates a new browser session (F.42);
// login failures say only "Wrong username or password", and an unknown
// user costs the same password-hashing time as a known one (G.46); a
// locked or deactivated account is named as such only after its correct
// password.

#include "accounts/password_login.h"
#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

// Password-scheme version stored with new hashes (domain::UserPassword);
// the same scheme as `mxauth user add` writes.
inline constexpr int kPasswordSchemeVersion = accounts::kPasswordSchemeVersion;

class AccountPages {
 public:
  explicit AccountPages(const PageKit& kit) : kit_(kit) {}

  // GET /login[?next=<local path>&username=<pre-fill>]
  http::Response showLogin(const http::Request& request) const;
  // POST /login: csrf, username, password[, next]
  http::Response submitLogin(const http::Request& request) const;
  // GET /register[?next=...]
  http::Response showRegister(const http::Request& request) const;
  // POST /register: csrf, username, password, password_confirm[, email][, next]
  http::Response submitRegister(const http::Request& request) const;
  // GET /logout: the confirmation page.
  http::Response showLogout(const http::Request& request) const;
  // POST /logout: csrf. Finishes the session and clears the cookie. A form
  // shown by the end-session endpoint (web/end_session.h) is answered there.
  http::Response submitLogout(const http::Request& request) const;
  // GET / and /account/: who is signed in and links to the account pages,
  // or a redirect to the login page; ?action= deep links (MSC4191,
  // web/account_actions.h) redirect to their page.
  http::Response showAccount(const http::Request& request) const;

 private:
  struct LoginForm;
  struct RegisterForm;
  http::Response renderLogin(const http::Request& request, int status,
                             templates::LoginPage page) const;
  http::Response renderRegister(const http::Request& request, int status,
                                templates::RegisterPage page) const;
  // An MSC4191 deep link to `target` (web/account_actions.h), honouring
  // its login_hint.
  http::Response followAccountAction(const http::Request& request,
                                     const std::optional<ActiveSession>& active,
                                     std::string target) const;
  // Creates a new browser session for `user` (finishing the one the request
  // carried) and answers 303 to `next` with the new cookie.
  http::Response startSession(const http::Request& request, const domain::UserId& user,
                              const std::optional<std::string>& next) const;

  const PageKit& kit_;
};

// GET /assets/<file>: the compiled-in CSS and JavaScript, cacheable for a
// year (the pages link them with a content hash).
http::Response serveAsset(const templates::Templates& templates, const http::Request& request);

}  // namespace mxauth::web
