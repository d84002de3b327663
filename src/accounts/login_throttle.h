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
//    To keep a victim out, an attacker has to keep sending wrong passwords
//    at the sustained rate; the block lifts one interval after they stop,
//    and there is no permanent lockout (the checklist's advice).
//
// Thread-safe.

#include <functional>
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
};

class LoginThrottle {
 public:
  // `on_limited` is told of every refused attempt, from any thread.
  LoginThrottle(const Clock& clock, LoginThrottleOptions options,
                std::function<void(LoginLimit)> on_limited = {});

  // An attempt from the client whose address key is `address_key`.
  core::RateDecision admitAddress(std::string_view address_key);
  // An attempt on the account `account_key` (accountKey()); give the token
  // back with forgiveAccount() unless the password was wrong.
  core::RateDecision admitAccount(std::string_view account_key);
  void forgiveAccount(std::string_view account_key);

 private:
  core::RateLimiter per_address_;
  core::RateLimiter per_account_;
  std::function<void(LoginLimit)> on_limited_;
};

// The per-account key of a login with `username`: the localpart of `user`
// when the username names an account, else the username normalised.
std::string accountKey(const domain::User* user, std::string_view username,
                       std::string_view homeserver);

}  // namespace mxauth::accounts
