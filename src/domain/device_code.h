#pragma once

// The device authorization grant (RFC 8628; Matrix v1.18, MSC4341): a
// device with no browser (or a new device in a QR-code login, MSC4108) asks
// for a device code and a short user code, and polls the token endpoint
// while the user types the user code into /link on another device, logs in
// and approves. The device code is stored only as its SHA-256 hex (design
// §7); the user code is kept in its normalised form (8 letters, no
// separators), since the user must be able to type it.
//
// States: pending → approved (user, browser session) → exchanged (the
// OAuthSession the tokens belong to), or pending → denied. Any state but
// exchanged ends at expires_at.

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "domain/id.h"

namespace mxauth::domain {

using DeviceCodeGrantId = Id<struct DeviceCodeGrantIdTag>;

struct DeviceCodeGrant {
  DeviceCodeGrantId id;
  ClientId client_id;
  std::string scope;  // space-separated, validated when the grant was made
  std::string device_code_hash;
  std::string user_code;  // normalised: 8 letters of the user-code alphabet
  Timestamp created_at;
  Timestamp expires_at;
  // RFC 8628 §3.5: the minimum time between two polls; slow_down adds 5 s.
  std::int64_t interval_seconds = 5;
  std::optional<Timestamp> last_polled_at;

  // Set together when the user approved.
  std::optional<Timestamp> approved_at;
  std::optional<UserId> user_id;
  std::optional<BrowserSessionId> browser_session_id;
  std::optional<Timestamp> denied_at;
  // Set together when the device exchanged the code for tokens.
  std::optional<Timestamp> exchanged_at;
  std::optional<OAuthSessionId> session_id;

  bool isExpiredAt(Timestamp now) const { return now >= expires_at; }
  // Waiting for the user (and not yet expired).
  bool isPendingAt(Timestamp now) const { return !approved_at && !denied_at && !isExpiredAt(now); }
  friend bool operator==(const DeviceCodeGrant&, const DeviceCodeGrant&) = default;
};

}  // namespace mxauth::domain
