#pragma once

// MSC4191 deep links into the account pages (spec-digest §3.9):
// GET /account/?action=<action>[&device_id=…][&login_hint=…] sends the
// browser to the page of that action. One table maps each action (stable
// name and unstable aliases) to its page; a later page (profile, sessions,
// devices) is one more row, and the metadata's
// account_management_actions_supported is read from the same table
// (supportedAccountActions()), so it advertises exactly what is served.
//
// A deep link only navigates: the pages it lands on show what will happen
// and act only on their own CSRF-protected POST, after step-up for the
// destructive ones (anyone can craft these links). An unknown or disabled
// action shows the account page.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"
#include "web/web_context.h"

namespace mxauth::web {

// Where `action` leads for this request (a local path with the parameters
// its page reads), or nullopt when the action is unknown or disabled.
std::optional<std::string> accountActionTarget(const WebSettings& settings, std::string_view action,
                                               const http::Request& request);

// Every action name accountActionTarget() answers with these settings, in
// table order (for account_management_actions_supported).
std::vector<std::string> supportedAccountActions(const WebSettings& settings);

}  // namespace mxauth::web
