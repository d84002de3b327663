#include "app/user_admin.h"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <ctime>
#include <map>

#include "accounts/account_state.h"
#include "domain/email_address.h"
#include "domain/localpart.h"

namespace mxauth::app {
namespace {

// The password-scheme version stored with each hash; bumped when the
// configured scheme changes so that logins can re-hash.
constexpr int kPasswordSchemeVersion = 1;

AdminError hashFailure(crypto::PasswordError error) {
  return {error == crypto::PasswordError::PasswordTooLong ? AdminError::Kind::InvalidInput
                                                          : AdminError::Kind::Internal,
          fmt::format("cannot hash the password: {}", crypto::describe(error))};
}

Result<std::string, AdminError> hashPassword(crypto::PasswordHasher& hasher, Rng& rng,
                                             std::string_view password) {
  if (password.empty())
    return unexpected(AdminError{AdminError::Kind::InvalidInput, "the password is empty"});
  auto hash = hasher.hash(rng, password);
  if (!hash) return unexpected(hashFailure(hash.error()));
  return std::move(*hash);
}

Result<domain::User, AdminError> findUser(storage::Transaction& tx, std::string_view name) {
  auto user = tx.users().findByLocalpart(domain::asciiLowercase(name));
  if (!user) return unexpected(storageFailure(user.error()));
  if (!*user) {
    return unexpected(AdminError{AdminError::Kind::NotFound, fmt::format("no user '{}'", name)});
  }
  return std::move(**user);
}

}  // namespace

AdminError storageFailure(const storage::StorageError& error) {
  using Code = storage::StorageErrorCode;
  switch (error.code) {
    case Code::Unavailable:
      return {AdminError::Kind::Unavailable, "database unavailable: " + error.detail};
    case Code::Conflict:
      return {AdminError::Kind::Conflict, "conflict: " + error.detail};
    case Code::Constraint:
    case Code::Internal:
      return {AdminError::Kind::Internal, "database error: " + error.detail};
  }
  return {AdminError::Kind::Internal, "database error"};
}

Result<domain::User, AdminError> addUser(storage::Database& database,
                                         crypto::PasswordHasher& hasher, Rng& rng,
                                         const Clock& clock, std::string_view server_name,
                                         const NewUser& request) {
  auto localpart = domain::Localpart::parse(request.name, server_name);
  if (!localpart) {
    return unexpected(AdminError{AdminError::Kind::InvalidInput,
                                 fmt::format("invalid user name '{}': {}", request.name,
                                             domain::describe(localpart.error()))});
  }
  if (request.email && !domain::isValidEmailAddress(*request.email)) {
    return unexpected(AdminError{AdminError::Kind::InvalidInput,
                                 fmt::format("invalid e-mail address '{}'", *request.email)});
  }
  std::optional<std::string> hash;
  if (request.password) {
    auto hashed = hashPassword(hasher, rng, *request.password);
    if (!hashed) return unexpected(hashed.error());
    hash = std::move(*hashed);
  }

  auto tx = database.begin();
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto user = (*tx)->users().add(rng, clock, *localpart, request.admin);
  if (!user) {
    if (user.error().code == storage::StorageErrorCode::Conflict) {
      return unexpected(AdminError{AdminError::Kind::Conflict,
                                   fmt::format("user '{}' already exists", localpart->str())});
    }
    return unexpected(storageFailure(user.error()));
  }
  if (hash) {
    auto added = (*tx)->userPasswords().add(rng, clock, user->id, *hash, kPasswordSchemeVersion,
                                            std::nullopt);
    if (!added) return unexpected(storageFailure(added.error()));
  }
  if (request.email) {
    auto email = (*tx)->userEmails().add(rng, clock, user->id, *request.email);
    if (!email) return unexpected(storageFailure(email.error()));
    auto confirmed = (*tx)->userEmails().confirm(clock, email->id);
    if (!confirmed) {
      if (confirmed.error().code == storage::StorageErrorCode::Conflict) {
        return unexpected(
            AdminError{AdminError::Kind::Conflict,
                       fmt::format("e-mail address '{}' belongs to another user", *request.email)});
      }
      return unexpected(storageFailure(confirmed.error()));
    }
  }
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  return std::move(*user);
}

Result<domain::User, AdminError> setPassword(storage::Database& database,
                                             crypto::PasswordHasher& hasher, Rng& rng,
                                             const Clock& clock, std::string_view name,
                                             std::string_view password) {
  auto hash = hashPassword(hasher, rng, password);
  if (!hash) return unexpected(hash.error());
  auto tx = database.begin();
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto user = findUser(**tx, name);
  if (!user) return unexpected(user.error());
  auto added =
      (*tx)->userPasswords().add(rng, clock, user->id, *hash, kPasswordSchemeVersion, std::nullopt);
  if (!added) return unexpected(storageFailure(added.error()));
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  return std::move(*user);
}

Result<domain::User, AdminError> changeAccountState(storage::Database& database, Rng& rng,
                                                    const Clock& clock, std::string_view name,
                                                    AccountAction action, bool erase) {
  auto tx = database.begin();
  if (!tx) return unexpected(storageFailure(tx.error()));
  auto user = findUser(**tx, name);
  if (!user) return unexpected(user.error());
  accounts::AccountChange change = accounts::AccountChange::Lock;
  switch (action) {
    case AccountAction::Lock:
      change = accounts::AccountChange::Lock;
      break;
    case AccountAction::Unlock:
      change = accounts::AccountChange::Unlock;
      break;
    case AccountAction::Deactivate:
      change = accounts::AccountChange::Deactivate;
      break;
    case AccountAction::Reactivate:
      change = accounts::AccountChange::Reactivate;
      break;
  }
  auto changed = accounts::changeAccount(**tx, rng, clock, user->id, change, erase);
  if (!changed) return unexpected(storageFailure(changed.error()));
  if (!*changed) {
    return unexpected(AdminError{AdminError::Kind::NotFound, fmt::format("no user '{}'", name)});
  }
  auto committed = (*tx)->commit();
  if (!committed) return unexpected(storageFailure(committed.error()));
  return std::move((*changed)->user);
}

namespace {

// "2026-01-01T00:00:00.000Z"
std::string rfc3339Millis(Timestamp at) {
  const std::int64_t millis = toUnixMillis(at);
  const auto seconds = static_cast<std::time_t>(millis / 1000);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900,
                     parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                     millis % 1000);
}

}  // namespace

Result<std::vector<std::string>, AdminError> listAuditEvents(storage::Database& database,
                                                             std::string_view server_name,
                                                             const std::optional<std::string>& name,
                                                             std::size_t limit) {
  auto tx = database.begin(storage::TransactionMode::ReadOnly);
  if (!tx) return unexpected(storageFailure(tx.error()));
  storage::AuditQuery query;
  query.limit = limit;
  if (name) {
    auto user = findUser(**tx, *name);
    if (!user) return unexpected(user.error());
    query.user_id = user->id;
  }
  auto events = (*tx)->auditLog().list(query);
  if (!events) return unexpected(storageFailure(events.error()));
  // The localparts of the events' users, looked up once each.
  std::map<std::string, std::string> localparts;
  std::vector<std::string> lines;
  for (const storage::AuditEvent& event : *events) {
    auto [known, inserted] = localparts.try_emplace(event.user_id.str());
    if (inserted) {
      auto user = (*tx)->users().lookup(event.user_id);
      if (!user) return unexpected(storageFailure(user.error()));
      known->second = *user ? (*user)->localpart : event.user_id.str();
    }
    boost::json::object line;
    line["id"] = event.id.str();
    line["time"] = rfc3339Millis(event.created_at);
    line["user_id"] = "@" + known->second + ":" + std::string(server_name);
    line["action"] = event.action;
    line["ip_address"] = event.ip_address;
    line["user_agent"] = event.user_agent;
    boost::system::error_code ec;
    boost::json::value details = boost::json::parse(event.details_json, ec);
    line["details"] = ec ? boost::json::value(event.details_json) : std::move(details);
    lines.push_back(boost::json::serialize(line));
  }
  return lines;
}

}  // namespace mxauth::app
