#pragma once

// What the account pages that change an account share (web/account_security.h,
// web/account_emails.h, web/recovery.h): the audit-log entry written in the
// transaction of the change, and the end of a user's sessions with the
// introspection cache told afterwards.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/account_state.h"
#include "core/result.h"
#include "domain/id.h"
#include "http/request.h"
#include "storage/storage_error.h"
#include "storage/transaction.h"
#include "web/web_context.h"

namespace mxauth::web {

// The User-Agent header as the audit log and the sessions keep it:
// printable ASCII only, at most 512 bytes.
std::string boundedUserAgent(const http::Request& request);

// Writes one audit event for `user` in `tx`, with the request's client
// address and user agent; `details_json` must be a JSON object.
Result<void, storage::StorageError> recordAudit(storage::Transaction& tx, WebContext& context,
                                                const http::Request& request,
                                                const domain::UserId& user, std::string_view action,
                                                std::string details_json);

using EndedSessions = accounts::EndedSessions;

// accounts::endAllSessions() with the page's context: ends every OAuth and
// compat session of `user` (their tokens with them) and every browser
// session but `keep`, in `tx`; queues the device sync that removes their
// devices from the homeserver when any had one and `sync_devices` is set.
Result<EndedSessions, storage::StorageError> endUserSessions(
    storage::Transaction& tx, WebContext& context, const domain::UserId& user,
    const std::optional<domain::BrowserSessionId>& keep, bool sync_devices);

// After the commit: drops the ended sessions' answers from this process's
// introspection cache, so that their tokens introspect inactive at once
// (oauth/introspection_cache.h says how other processes catch up).
void forgetInCache(WebContext& context, const EndedSessions& ended);

}  // namespace mxauth::web
