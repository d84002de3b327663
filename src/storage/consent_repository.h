#pragma once

// Consent a user gave a client, remembered (OIDC Core §3.1.2.4; security
// checklist B.14): a later authorization request of that client for no
// more than the consented scope may be answered without asking again, and
// prompt=none can then succeed silently (web/consent.h decides when).
//
// One row per (user, client). `scope` is a space-separated, sorted set of
// scope tokens; Matrix device scopes are kept as their family
// ("urn:matrix:client:device:*"), since each login asks for another device.
// A consent ends when the user revokes it (the account pages) or when the
// user's last active session with the client ends (oauth/session_end.h).
//
// Every backend honours this contract, and storage/testing/ checks it:
//  - lookup of a missing consent succeeds with an empty optional;
//  - record() replaces the scope and keeps created_at;
//  - forgetting a missing consent answers false.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "domain/id.h"
#include "storage/storage_error.h"

namespace mxauth::storage {

struct OAuthConsent {
  domain::UserId user_id;
  domain::ClientId client_id;
  std::string scope;
  Timestamp created_at;
  Timestamp updated_at;
};

class OAuthConsentRepository {
 public:
  virtual ~OAuthConsentRepository() = default;

  virtual Result<std::optional<OAuthConsent>, StorageError> lookup(
      const domain::UserId& user, const domain::ClientId& client) = 0;
  // Records `scope` as the whole consent of `user` to `client` (the caller
  // passes the union with what was consented before).
  virtual Result<OAuthConsent, StorageError> record(const Clock& clock, const domain::UserId& user,
                                                    const domain::ClientId& client,
                                                    std::string_view scope) = 0;
  // The user's consents, most recently updated first (the account pages).
  virtual Result<std::vector<OAuthConsent>, StorageError> listForUser(
      const domain::UserId& user) = 0;
  // Forgets the consent; false when there was none.
  virtual Result<bool, StorageError> forget(const domain::UserId& user,
                                            const domain::ClientId& client) = 0;
  // Forgets the consent unless the user still has an active OAuth session
  // with the client; true when one was forgotten.
  virtual Result<bool, StorageError> forgetUnlessInUse(const domain::UserId& user,
                                                       const domain::ClientId& client) = 0;
};

}  // namespace mxauth::storage
