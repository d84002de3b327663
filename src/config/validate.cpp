#include "config/validate.h"

#include <cstddef>
#include <string>
#include <vector>

#include "config/schema.h"

namespace mxauth::config {
namespace {

ConfigError inconsistent(std::string key, std::string message) {
  return ConfigError{
      ConfigErrorCode::Inconsistent, std::move(key), std::nullopt, "", "", std::move(message)};
}

}  // namespace

Result<void, ConfigError> validateConfig(const Config& config) {
  for (const schema::Field& field : schema::fields()) {
    auto checked = field.check(config);
    if (!checked) {
      return unexpected(ConfigError{ConfigErrorCode::InvalidValue, std::string(field.path),
                                    std::nullopt, "", "", checked.error()});
    }
  }
  // The homeserver authenticates to /oauth2/introspect with this secret;
  // without it any caller could introspect.
  if (!config.matrix.endpoint.empty() && config.matrix.secret.empty()) {
    return unexpected(inconsistent("matrix.secret", "must be set when matrix.endpoint is set"));
  }
  if (config.email.transport == EmailTransport::Smtp && config.email.smtp.host.empty()) {
    return unexpected(inconsistent("email.smtp.host", "must be set when email.transport is smtp"));
  }
  if (config.email.smtp.password.empty() != config.email.smtp.username.empty()) {
    return unexpected(inconsistent(
        config.email.smtp.username.empty() ? "email.smtp.username" : "email.smtp.password",
        "email.smtp.username and email.smtp.password must be set together"));
  }
  // The codes of mandatory verification must reach someone, or nobody
  // could register.
  if (config.account.email_verification_required && config.account.registration &&
      config.email.transport == EmailTransport::Blackhole) {
    return unexpected(inconsistent("account.email_verification_required",
                                   "needs an e-mail transport other than blackhole (the codes "
                                   "would reach nobody) while account.registration is true"));
  }
  // Step-up must ask for something, and each stage once.
  const std::vector<std::string>& stages = config.account.step_up.stages;
  if (stages.empty()) {
    return unexpected(inconsistent("account.step_up.stages", "must name at least one stage"));
  }
  for (std::size_t i = 0; i < stages.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (stages[i] == stages[j]) {
        return unexpected(
            inconsistent("account.step_up.stages", "names " + stages[i] + " more than once"));
      }
    }
  }
  // argon2 needs at least 8 KiB of memory per lane (RFC 9106 §3.1).
  if (config.passwords.argon2_memory_kib < 8 * config.passwords.argon2_parallelism) {
    return unexpected(inconsistent("passwords.argon2_memory_kib",
                                   "must be at least 8 times passwords.argon2_parallelism"));
  }
  return {};
}

}  // namespace mxauth::config
