#pragma once

// Tokens an operator issues from the command line (`mxauth user
// issue-compat-token`): a legacy (compat) session on one device with a
// never-expiring "mct_" access token, for bots and scripts. Only here can a
// compat session be flagged admin, which gives its tokens the Synapse admin
// scope at introspection (spec-digest §4, issue of the compat layer).

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"
#include "domain/user.h"
#include "homeserver/homeserver_connection.h"
#include "storage/database.h"

namespace mxauth::compat {

struct OperatorTokenRequest {
  std::string localpart;                 // an existing user (case-folded here)
  std::optional<std::string> device_id;  // generated when absent
  bool admin = false;
};

struct OperatorToken {
  domain::User user;
  std::string device_id;
  std::string access_token;
};

struct OperatorTokenError {
  enum class Kind { InvalidInput, NotFound, Unavailable, Internal };
  Kind kind = Kind::Internal;
  std::string message;  // one line for the operator
};

// Provisions the user and the device on the homeserver first, then writes
// the session and its token in one transaction; a device already in use
// by the user keeps its other sessions (the operator may share it).
Result<OperatorToken, OperatorTokenError> issueOperatorToken(
    storage::Database& database, Rng& rng, const Clock& clock,
    homeserver::HomeserverConnection& homeserver, const OperatorTokenRequest& request);

}  // namespace mxauth::compat
