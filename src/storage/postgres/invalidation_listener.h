#pragma once

// Cross-process invalidations over PostgreSQL LISTEN/NOTIFY (design §8).
//
// The 20261206000000 migration adds triggers that NOTIFY the channel
// `mxauth_invalidation` when an access token is revoked ("token:<hash>"),
// an OAuth or compat session ends ("session:<id>") or a user is locked or
// deactivated ("user:<id>"). PostgreSQL delivers a notification when the
// transaction that raised it commits, to every listening connection, so
// every instance on the database — and changes made by `mxauth` commands —
// reach every instance's introspection cache within milliseconds.
//
// The listener holds one connection of its own (outside the pool) and a
// thread that waits on its socket. Once LISTEN is in place it reports
// Everything (changes committed before may have been missed); when the
// connection drops it reports Everything again (notifications sent
// meanwhile are lost) and reconnects every second until the server is
// back. Destroying the listener stops the thread (within 200 ms).

#include <memory>
#include <optional>
#include <string_view>

#include "storage/database.h"
#include "storage/postgres/postgres_database.h"

namespace mxauth::storage::postgres {

inline constexpr const char* kInvalidationChannel = "mxauth_invalidation";

// Starts listening at once (the first connection is made on the thread).
std::unique_ptr<Subscription> listenForInvalidations(const PostgresOptions& options,
                                                     InvalidationHandler handler);

}  // namespace mxauth::storage::postgres
