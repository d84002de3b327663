#pragma once

// Password recovery by e-mail (issue 5; interface.md §5: form#recover with
// `email`, form#recover-password with `new_password`,
// `new_password_confirm`), under account.password_recovery, in effect only
// when e-mail can be sent (email.transport not blackhole).
//
//   GET  /recover                  form#recover (linked from the login page)
//   POST /recover                  always the same answer ("if this is a
//                                  verified address of an account, we sent
//                                  a link"), whether or not it is (checklist
//                                  G.46). When the address is a verified one
//                                  of an active, unlocked account, a ticket
//                                  is stored (its token's SHA-256 only) and
//                                  the link <http.public_base>recover/password
//                                  ?token=... is e-mailed through the job
//                                  queue. The link is built from the
//                                  configured public base, never from Host or
//                                  X-Forwarded-Host (checklist G.49).
//   GET  /recover/password?token=  form#recover-password; an unknown, used or
//                                  expired link gets a page that says so. A
//                                  GET never uses the link up (mail scanners
//                                  open links).
//   POST /recover/password         token, the new password twice (the rules
//                                  of registration, web/password_rules.h).
//                                  In one transaction: the ticket is consumed
//                                  (single use: a conditional write), the
//                                  password set, every other pending ticket
//                                  of the user consumed, every session of the
//                                  user ended — browser, OAuth and compat
//                                  (tokens inactive at once: the
//                                  introspection cache is told after the
//                                  commit), the device sync queued for the
//                                  homeserver, the audit event
//                                  "account.password_recovery" written.
//
// Links last account.password_recovery_ttl (600 s by default). Requests are
// limited per client address (kRecoveryPerAddressBurst, then one per
// kRecoveryPerAddressInterval) and per e-mail address typed
// (kRecoveryPerEmailBurst, then one per kRecoveryPerEmailInterval), in this
// process; a limited request gets 429 whether or not the address exists.

#include <chrono>
#include <string_view>

#include "core/rate_limiter.h"
#include "http/request.h"
#include "http/response.h"
#include "web/page_kit.h"

namespace mxauth::web {

inline constexpr std::string_view kRecoverPath = "/recover";
inline constexpr std::string_view kRecoverPasswordPath = "/recover/password";
inline constexpr std::string_view kAuditPasswordRecovery = "account.password_recovery";

inline constexpr std::uint32_t kRecoveryPerAddressBurst = 10;
inline constexpr std::chrono::minutes kRecoveryPerAddressInterval{1};
inline constexpr std::uint32_t kRecoveryPerEmailBurst = 3;
inline constexpr std::chrono::minutes kRecoveryPerEmailInterval{20};

class RecoveryPages {
 public:
  explicit RecoveryPages(const PageKit& kit);

  http::Response showRecover(const http::Request& request) const;
  http::Response submitRecover(const http::Request& request) const;
  http::Response showRecoverPassword(const http::Request& request) const;
  http::Response submitRecoverPassword(const http::Request& request) const;

 private:
  http::Response unavailable(const http::Request& request) const;
  http::Response deadLink(const http::Request& request) const;
  http::Response renderRecover(const http::Request& request, int status,
                               templates::RecoverPage page) const;
  http::Response renderPassword(const http::Request& request, int status,
                                templates::RecoverPasswordPage page) const;

  const PageKit& kit_;
  // tryAcquire() is thread-safe; the limiters are mutable state of a
  // const handler, like the login throttle behind a pointer.
  mutable core::RateLimiter per_address_;
  mutable core::RateLimiter per_email_;
};

}  // namespace mxauth::web
