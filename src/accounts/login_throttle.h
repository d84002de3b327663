#pragma once

// Limits on password logins against online guessing (security checklist
// G.45 and I.57). One instance is shared by the browser login page (web/)
// and the legacy login API (compat/), so that attempts through either door
// add up. checkPassword() (password_login.h) applies both limits before
// any password is hashed: argon2id is what a guesser makes us spend.
//
//  - Per client address (http::addressKey of Request::remote_address): every
//    attempt counts, right or wrong. This bounds what one source can try
//    across many accounts (password spraying) and the CPU it can burn.
//  - Per account: the localpart the username resolves to or, when it names
//    no account, the username normalised the way lookups are (ASCII lower
//    case; "@name:this.server" is "name"), so that probing unknown names is
//    limited alike and the answers do not tell the two apart. Only wrong
//    passwords count: an attempt takes a token before the hash and gives it
//    back when the password was right (or could not be checked: overload,
//    database failure). A user who knows their password is never slowed by
//    their own logins, while guesses from any number of addresses add up.
//    Tokens held by attempts still being checked are not spent yet: an
//    attempt that finds the account's bucket empty while others are in
//    flight waits (up to `settle_wait`) for them to settle, and goes ahead
//    when one of them gives its token back. So many logins of one user at
//    once all succeed (issue 7, C.5), while parallel wrong guesses still
//    get no more than the burst.
//    To keep a victim out, an attacker has to keep sending wrong passwords
//    at the sustained rate; the block lifts one interval after they stop,
//    and there is no permanent lockout (the checklist's advice).
//
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/rate_limiter.h"
#include "domain/user.h"

namespace mxauth::accounts {

enum class LoginLimit { PerAddress, PerAccount };

// The `limiter` label of mxauth_rate_limited_total: "login_ip",
// "login_account".
std::string_view metricLabel(LoginLimit limit);

struct LoginThrottleOptions {
  core::RateLimit per_address;  // rate_limits.login.per_ip
  core::RateLimit per_account;  // rate_limits.login.per_account
  // How long an attempt on an account whose tokens are all held by attempts
  // in flight waits for one of them to settle before it is refused.
  std::chrono::milliseconds settle_wait{2000};
};

class LoginThrottle {
 public:
  // `on_limited` is told of every refused attempt, from any thread.
  LoginThrottle(const Clock& clock, LoginThrottleOptions options,
                std::function<void(LoginLimit)> on_limited = {});

  // An attempt from the client whose address key is `address_key`.
  core::RateDecision admitAddress(std::string_view address_key);
  // An attempt on the account `account_key` (accountKey()). When it is
  // allowed, settle it exactly once: forgiveAccount() gives the token back
  // (the password was right, or could not be checked), settleAccount()
  // keeps it spent (a wrong password). May block up to settle_wait while
  // other attempts on the account are in flight; call it from a worker.
  core::RateDecision admitAccount(std::string_view account_key);
  void forgiveAccount(std::string_view account_key);
  void settleAccount(std::string_view account_key);

 private:
  void settled(std::string_view account_key);

  core::RateLimiter per_address_;
  core::RateLimiter per_account_;
  std::chrono::milliseconds settle_wait_;
  std::function<void(LoginLimit)> on_limited_;
  // Attempts admitted and not yet settled, by account; an entry exists only
  // while its count is above zero.
  std::mutex in_flight_mutex_;
  std::condition_variable settled_cv_;
  std::map<std::string, std::size_t, std::less<>> in_flight_;
};

// The per-account key of a login with `username`: the localpart of `user`
// when the username names an account, else the username normalised.
std::string accountKey(const domain::User* user, std::string_view username,
                       std::string_view homeserver);

}  // namespace mxauth::accounts
