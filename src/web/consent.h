#pragma once

// Remembered consent at the authorization endpoint (OIDC Core §3.1.2.1
// prompt=none, §3.1.2.4; security checklist A.7, B.14, I.54).
//
// What is remembered: per user and client, the set of scope tokens the user
// allowed (storage/consent_repository.h). A Matrix device scope names a new
// device at every login, so it is remembered as its family
// ("urn:matrix:client:device:*", or the unstable MSC2967 form): consent to
// "a device of this client", whatever its id.
//
// When it is used: a request whose scope the remembered set covers is
// answered without the consent page (and prompt=none succeeds) only when
//  - the client's identity is proven: an operator-added client, a
//    confidential client (the code is useless without its secret), or a
//    response sent to an https redirect URI (its host is the client's).
//    A public client with a loopback or private-use-scheme redirect could
//    be any application on the device that claims the same URI, so RFC 8252
//    §8.6 has it processed "as if no previous request had been approved":
//    it sees the consent page every time, and prompt=none answers
//    consent_required;
//  - and the device the scope names (if any) is not one of the user's
//    existing devices of another client or of a legacy login: taking over
//    an existing device needs the user's explicit consent (checklist I.54).
//    A device this client already holds for the user may be reused.
// The admin scope is checked for the user separately, as for any grant.

#include <string>
#include <string_view>

#include "core/result.h"
#include "domain/id.h"
#include "oauth/client_store.h"
#include "oauth/scope.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"

namespace mxauth::web {

// The scope to remember for a grant of `scope`: its tokens with device
// scopes replaced by their family, sorted, space-separated.
std::string consentScopeOf(const oauth::ScopeSet& scope);
// The union of two remembered scopes (each as consentScopeOf() makes them).
std::string mergeConsentScopes(std::string_view remembered, std::string_view added);
// True when `remembered` covers every token of `requested`.
bool consentCovers(std::string_view remembered, const oauth::ScopeSet& requested);
// True when consent to `client` may be reused for an answer sent to
// `redirect_uri` (the header comment says why).
bool mayReuseConsent(const oauth::RegisteredClient& client, std::string_view redirect_uri);

// The consent `user` gave `client` as recorded (none: never, or revoked),
// for a caller that read it already (lookupForConsent reads it with the
// grant); the functions below without it read it themselves.
using RecordedConsent = std::optional<storage::OAuthConsent>;

// Whether `user` may be given a code for `scope` without being asked: every
// rule of the header comment, against the database in `tx`.
Result<bool, storage::StorageError> consentAlreadyGiven(storage::Transaction& tx,
                                                        const domain::UserId& user,
                                                        const oauth::RegisteredClient& client,
                                                        std::string_view redirect_uri,
                                                        const oauth::ScopeSet& scope);
Result<bool, storage::StorageError> consentAlreadyGiven(
    storage::Transaction& tx, const domain::UserId& user, const oauth::RegisteredClient& client,
    std::string_view redirect_uri, const oauth::ScopeSet& scope, const RecordedConsent& recorded);

// Remembers that `user` allowed `scope` to `client`, in addition to what
// they allowed before.
Result<void, storage::StorageError> rememberConsent(storage::Transaction& tx, const Clock& clock,
                                                    const domain::UserId& user,
                                                    const domain::ClientId& client,
                                                    const oauth::ScopeSet& scope);
Result<void, storage::StorageError> rememberConsent(storage::Transaction& tx, const Clock& clock,
                                                    const domain::UserId& user,
                                                    const domain::ClientId& client,
                                                    const oauth::ScopeSet& scope,
                                                    const RecordedConsent& recorded);

}  // namespace mxauth::web
