#pragma once

// MSC4191 deep links into the account pages (spec-digest §3.9):
// GET /account/?action=<action>[&device_id=…][&login_hint=…] sends the
// browser to the page of that action. One table maps each action (stable
// name and unstable aliases) to its page: org.matrix.profile to the profile
// (web/account_profile.h); org.matrix.devices_list / sessions_list to the
// sessions list; device_view / session_view and device_delete / session_end
// with device_id to that device's session page or its confirmation
// (web/account_sessions.h), without one to the list; account_deactivate
// and cross_signing_reset to their pages (web/account_security.h). A new
// page is one more row, and the metadata's
// account_management_actions_supported is read from the same table
// (supportedAccountActions()), so it advertises exactly what is served.
//
// A deep link only navigates: the pages it lands on show what will happen
// and act only on their own CSRF-protected POST, after step-up for the
// destructive ones (anyone can craft these links). An unknown or disabled
// action shows the account page.
//
// login_hint (MSC4198, "mxid:@alice:<server name>"): with nobody signed in,
// the login page is pre-filled with it and continues to the action's page;
// when another user is signed in, a page says which account the link was
// for and offers to continue as the signed-in user or to sign out.

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

// MSC4198 login_hint (or its unstable name) on a deep link: the localpart
// of "mxid:@localpart:<our server name>", lower-cased; nullopt for any other
// hint or none. The account page pre-fills the login form with it, and
// says so when another user is signed in (spec-digest §3.9).
std::optional<std::string> localpartFromLoginHint(const http::Request& request,
                                                  std::string_view homeserver);

// Every action name accountActionTarget() answers with these settings, in
// table order (for account_management_actions_supported).
std::vector<std::string> supportedAccountActions(const WebSettings& settings);

}  // namespace mxauth::web
