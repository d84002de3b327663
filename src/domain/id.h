#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/ulid.h"

namespace mxauth::domain {

// A record id: a ULID string (core/ulid.h) wrapped in a type per kind of
// record, so that a UserId cannot be passed where a UserEmailId is expected
// (style §6.10). The Tag is an incomplete struct that only names the kind.
template <class Tag>
class Id {
 public:
  Id() = default;
  // Wraps a value without checking it; use for values the program made
  // itself (core::newUlid) or read back from its own database.
  explicit Id(std::string value) : value_(std::move(value)) {}

  // Accepts only a well-formed ULID; for ids that arrive from outside
  // (URLs, forms, the admin API).
  static std::optional<Id> parse(std::string_view text) {
    if (!core::isUlid(text)) return std::nullopt;
    return Id(std::string(text));
  }

  const std::string& str() const { return value_; }

  friend bool operator==(const Id&, const Id&) = default;
  friend auto operator<=>(const Id&, const Id&) = default;

 private:
  std::string value_;
};

using UserId = Id<struct UserIdTag>;
using UserEmailId = Id<struct UserEmailIdTag>;
using UserPasswordId = Id<struct UserPasswordIdTag>;
using ClientId = Id<struct ClientIdTag>;
using BrowserSessionId = Id<struct BrowserSessionIdTag>;
using AuthorizationGrantId = Id<struct AuthorizationGrantIdTag>;
using OAuthSessionId = Id<struct OAuthSessionIdTag>;
using AccessTokenId = Id<struct AccessTokenIdTag>;
using RefreshTokenId = Id<struct RefreshTokenIdTag>;
using DeviceReservationId = Id<struct DeviceReservationIdTag>;
using AuditEventId = Id<struct AuditEventIdTag>;
using UserEmailCodeId = Id<struct UserEmailCodeIdTag>;
using RecoveryTicketId = Id<struct RecoveryTicketIdTag>;
using RegistrationTokenId = Id<struct RegistrationTokenIdTag>;
using PendingRegistrationId = Id<struct PendingRegistrationIdTag>;

}  // namespace mxauth::domain
