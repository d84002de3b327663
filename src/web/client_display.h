#pragma once

// How pages that ask the user about a client (the consent pages of the
// authorization endpoint and of the device grant) present it and the user.

#include <string>
#include <string_view>

#include "domain/user.h"
#include "http/request.h"
#include "oauth/client_store.h"
#include "templates/pages.h"

namespace mxauth::web {

// The client's name, logo, home page and policy links in the browser's
// language (Accept-Language). Only http(s) links are kept, the logo only
// over https; the name falls back to the client_id.
templates::ClientDisplay clientDisplay(const oauth::RegisteredClient& client,
                                       const http::Request& request);

// The consent pages' line for one scope token (oauth::describeScope).
templates::Text scopeText(std::string_view token);

// "@localpart:server_name".
std::string matrixUserId(const domain::User& user, std::string_view homeserver);

}  // namespace mxauth::web
