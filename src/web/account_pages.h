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

#include <optional>
#include <string>

#include "accounts/password_login.h"
#include "domain/localpart.h"
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
  // The same page on the I/O thread when it needs no storage: no `next`
  // grant, or one this instance remembers (web/grant_form_targets.h);
  // nullopt sends the request to the worker pool (http::FastPath).
  std::optional<http::Response> showLoginWithoutStorage(const http::Request& request) const;
  // POST /login: csrf, username, password[, next]
  http::Response submitLogin(const http::Request& request) const;
  // GET /register[?next=...]
  http::Response showRegister(const http::Request& request) const;
  // POST /register: csrf, username, password, password_confirm[, email][, next]
  // With account.email_verification_required the account is not created
  // yet: see showRegisterVerify().
  http::Response submitRegister(const http::Request& request) const;
  // Mandatory e-mail verification at registration
  // (account.email_verification_required; web/registration_verify.cpp). A
  // valid registration is kept as a pending registration
  // (storage/pending_registration_repository.h) bound to the browser by a
  // cookie holding 32 random bytes (the database keeps their SHA-256), and
  // a 6-digit code is mailed to the address (the code machinery of
  // web/account_emails.h: same key, lifetime, attempts and hourly limit,
  // counted here per address).
  //   GET  /register/verify  form#email-verify (`code`) and form#register-resend
  //   POST /register/verify  the code: creates the account (createAccount(),
  //                          consuming the pending registration in its
  //                          transaction), its address verified and primary
  //   POST /register/resend  a new code (the old one stops working)
  http::Response showRegisterVerify(const http::Request& request) const;
  http::Response submitRegisterVerify(const http::Request& request) const;
  http::Response submitRegisterResend(const http::Request& request) const;
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
  // What createAccount() writes.
  struct NewAccount {
    domain::Localpart localpart;
    std::string password_hash;
    int password_scheme_version = kPasswordSchemeVersion;
    std::string email;  // empty: none
    // The address is verified (and becomes primary) rather than stored
    // unconfirmed.
    bool email_verified = false;
    // The registration token to spend one use of (its SHA-256, hex).
    std::optional<std::string> token_hash;
    std::optional<std::string> terms_uri;  // accepted terms of service
    // Consumed in the same transaction (mandatory e-mail verification).
    std::optional<domain::PendingRegistrationId> pending;
  };
  enum class AccountRefusal { Taken, TokenUnusable, EmailInUse, PendingGone, Storage };
  struct AccountFailure {
    AccountRefusal refusal = AccountRefusal::Storage;
    std::optional<storage::StorageError> error;
  };
  // Creates the account in one transaction: spends the token, consumes the
  // pending registration, stores user, terms, password and address, queues
  // homeserver.provision_user. Nothing is written when it fails.
  Result<domain::UserId, AccountFailure> createAccount(const http::Request& request,
                                                       const NewAccount& account) const;
  // The register form again after createAccount() refused.
  http::Response refuseAccount(const http::Request& request, templates::RegisterPage page,
                               const AccountFailure& failure) const;
  // Stores a pending registration for the checked form and mails its code.
  http::Response startEmailVerification(const http::Request& request, templates::RegisterPage page,
                                        const domain::Localpart& localpart,
                                        const std::string& password_hash,
                                        const std::optional<std::string>& token_hash,
                                        const std::optional<std::string>& terms_uri) const;
  http::Response renderRegisterVerify(const http::Request& request, int status,
                                      templates::RegisterVerifyPage page) const;
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
