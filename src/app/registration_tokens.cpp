#include "app/registration_tokens.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <boost/json.hpp>

#include "app/user_admin.h"
#include "crypto/random.h"
#include "crypto/token.h"

namespace mxauth::app {
namespace {

constexpr std::size_t kTokenBytes = 18;  // 24 base64url characters

boost::json::value instant(const std::optional<Timestamp>& at) {
  if (!at) return nullptr;
  return boost::json::value(
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(*at)));
}

boost::json::object describe(const storage::RegistrationToken& token, Timestamp now) {
  boost::json::object line;
  line["id"] = token.id.str();
  line["uses_allowed"] =
      token.usage_limit ? boost::json::value(*token.usage_limit) : boost::json::value(nullptr);
  line["times_used"] = token.times_used;
  line["created_at"] = instant(token.created_at);
  line["expires_at"] = instant(token.expires_at);
  line["last_used_at"] = instant(token.last_used_at);
  line["revoked_at"] = instant(token.revoked_at);
  line["valid"] = !token.revoked_at && (!token.expires_at || *token.expires_at > now) &&
                  (!token.usage_limit || token.times_used < *token.usage_limit);
  return line;
}

}  // namespace

Result<std::string, AdminError> addRegistrationToken(storage::Database& database, Rng& rng,
                                                     const Clock& clock,
                                                     const NewRegistrationToken& request) {
  if (request.uses && *request.uses < 1) {
    return unexpected(AdminError{AdminError::Kind::InvalidInput, "--uses must be at least 1"});
  }
  if (request.expires_in && request.expires_in->count() < 1) {
    return unexpected(
        AdminError{AdminError::Kind::InvalidInput, "--expires-in must be at least 1 second"});
  }
  const std::string token = crypto::randomUrlSafeString(rng, kTokenBytes);
  std::optional<Timestamp> expires_at;
  if (request.expires_in) expires_at = clock.now() + *request.expires_in;
  auto tx = database.begin();
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto added = (*tx)->registrationTokens().add(rng, clock, crypto::tokenHashHex(token),
                                               request.uses, expires_at);
  if (!added) return unexpected(storageFailure(added.error()));
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  boost::json::object line;
  line["id"] = added->id.str();
  line["token"] = token;
  line["uses_allowed"] =
      request.uses ? boost::json::value(*request.uses) : boost::json::value(nullptr);
  line["expires_at"] = instant(expires_at);
  return boost::json::serialize(line);
}

Result<std::vector<std::string>, AdminError> listRegistrationTokens(storage::Database& database,
                                                                    const Clock& clock) {
  auto tx = database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto tokens = (*tx)->registrationTokens().list();
  if (!tokens) return unexpected(storageFailure(tokens.error()));
  std::vector<std::string> lines;
  for (const storage::RegistrationToken& token : *tokens) {
    lines.push_back(boost::json::serialize(describe(token, clock.now())));
  }
  return lines;
}

Result<std::string, AdminError> revokeRegistrationToken(storage::Database& database,
                                                        const Clock& clock,
                                                        const std::string& token_or_id) {
  auto tx = database.begin();
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto found = (*tx)->registrationTokens().findByHash(crypto::tokenHashHex(token_or_id));
  if (!found) return unexpected(storageFailure(found.error()));
  std::optional<domain::RegistrationTokenId> id;
  if (*found) {
    id = (*found)->id;
  } else if (auto parsed = domain::RegistrationTokenId::parse(token_or_id)) {
    id = *parsed;
  }
  if (!id) {
    return unexpected(AdminError{AdminError::Kind::NotFound, "no such registration token"});
  }
  auto revoked = (*tx)->registrationTokens().revoke(clock, *id);
  if (!revoked) return unexpected(storageFailure(revoked.error()));
  if (!*revoked) {
    return unexpected(AdminError{AdminError::Kind::NotFound, "no such registration token"});
  }
  auto tokens = (*tx)->registrationTokens().list();
  if (!tokens) return unexpected(storageFailure(tokens.error()));
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  for (const storage::RegistrationToken& token : *tokens) {
    if (token.id == *id) return boost::json::serialize(describe(token, clock.now()));
  }
  return std::string("{}");
}

}  // namespace mxauth::app
