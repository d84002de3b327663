#include "accounts/login_throttle.h"

#include <utility>

#include "domain/localpart.h"

namespace mxauth::accounts {
namespace {

core::RateLimiterOptions limiterOptions(const core::RateLimit& limit) {
  core::RateLimiterOptions options;
  options.limit = limit;
  return options;
}

}  // namespace

std::string_view metricLabel(LoginLimit limit) {
  switch (limit) {
    case LoginLimit::PerAddress:
      return "login_ip";
    case LoginLimit::PerAccount:
      return "login_account";
  }
  return "login";
}

LoginThrottle::LoginThrottle(const Clock& clock, LoginThrottleOptions options,
                             std::function<void(LoginLimit)> on_limited)
    : per_address_(clock, limiterOptions(options.per_address)),
      per_account_(clock, limiterOptions(options.per_account)),
      settle_wait_(options.settle_wait),
      on_limited_(std::move(on_limited)) {}

core::RateDecision LoginThrottle::admitAddress(std::string_view address_key) {
  const core::RateDecision decision = per_address_.tryAcquire(address_key);
  if (!decision.allowed && on_limited_) on_limited_(LoginLimit::PerAddress);
  return decision;
}

core::RateDecision LoginThrottle::admitAccount(std::string_view account_key) {
  std::unique_lock lock(in_flight_mutex_);
  const auto give_up = std::chrono::steady_clock::now() + settle_wait_;
  for (;;) {
    const core::RateDecision decision = per_account_.tryAcquire(account_key);
    if (decision.allowed) {
      const auto it = in_flight_.find(account_key);
      if (it == in_flight_.end()) {
        in_flight_.emplace(std::string(account_key), 1);
      } else {
        ++it->second;
      }
      return decision;
    }
    // The bucket is empty. If attempts in flight hold tokens, one of them
    // may give its token back (a right password): wait for it to settle.
    const bool others_in_flight = in_flight_.find(account_key) != in_flight_.end();
    if (!others_in_flight || settled_cv_.wait_until(lock, give_up) == std::cv_status::timeout) {
      lock.unlock();
      if (on_limited_) on_limited_(LoginLimit::PerAccount);
      return decision;
    }
  }
}

void LoginThrottle::forgiveAccount(std::string_view account_key) {
  per_account_.refund(account_key);
  settled(account_key);
}

void LoginThrottle::settleAccount(std::string_view account_key) { settled(account_key); }

void LoginThrottle::settled(std::string_view account_key) {
  {
    std::lock_guard lock(in_flight_mutex_);
    const auto it = in_flight_.find(account_key);
    if (it != in_flight_.end() && --it->second == 0) in_flight_.erase(it);
  }
  settled_cv_.notify_all();
}

std::string accountKey(const domain::User* user, std::string_view username,
                       std::string_view homeserver) {
  if (user != nullptr) return domain::asciiLowercase(user->localpart);
  // "@name:this.server" is looked up as "name" (password_login.cpp).
  if (username.starts_with('@')) {
    const std::size_t colon = username.find(':');
    if (colon != std::string_view::npos && username.substr(colon + 1) == homeserver) {
      return domain::asciiLowercase(username.substr(1, colon - 1));
    }
  }
  return domain::asciiLowercase(username);
}

}  // namespace mxauth::accounts
