#include "web/account_actions.h"

#include <array>

#include "domain/localpart.h"
#include "web/account_profile.h"
#include "web/account_security.h"
#include "web/account_sessions.h"
#include "web/page_kit.h"

namespace mxauth::web {
namespace {

struct AccountAction {
  std::string_view name;
  // The page, when the action is enabled with these settings.
  std::optional<std::string> (*target)(const WebSettings& settings, const http::Request& request);
};

std::optional<std::string> deactivatePage(const WebSettings& settings,
                                          const http::Request& /*request*/) {
  if (!settings.deactivation_enabled) return std::nullopt;
  return std::string(kDeactivatePath);
}

std::optional<std::string> crossSigningResetPage(const WebSettings& /*settings*/,
                                                 const http::Request& /*request*/) {
  return std::string(kCrossSigningResetPath);
}

std::optional<std::string> profilePage(const WebSettings& /*settings*/,
                                       const http::Request& /*request*/) {
  return std::string(kProfilePath);
}

std::optional<std::string> sessionsPage(const WebSettings& /*settings*/,
                                        const http::Request& /*request*/) {
  return std::string(kSessionsPath);
}

// The page of the session on `device_id`, or the list when the link names
// no device (MSC4191: device_id SHOULD be given, so it may not be).
std::optional<std::string> devicePage(const http::Request& request, std::string_view path) {
  const std::string_view device_id = request.queryParam("device_id").value_or("");
  if (device_id.empty()) return std::string(kSessionsPath);
  return PageKit::withQuery(std::string(path), {{"device_id", device_id}});
}

std::optional<std::string> deviceViewPage(const WebSettings& /*settings*/,
                                          const http::Request& request) {
  return devicePage(request, kSessionByDevicePath);
}

std::optional<std::string> deviceDeletePage(const WebSettings& /*settings*/,
                                            const http::Request& request) {
  return devicePage(request, kSessionEndByDevicePath);
}

// Stable names first, then the unstable aliases of the MSC4191 appendix
// (spec-digest §3.9), which clients released before the stable names use.
constexpr std::array<AccountAction, 9> kActions = {{
    {"org.matrix.profile", &profilePage},
    {"org.matrix.devices_list", &sessionsPage},
    {"org.matrix.device_view", &deviceViewPage},
    {"org.matrix.device_delete", &deviceDeletePage},
    {"org.matrix.account_deactivate", &deactivatePage},
    {"org.matrix.cross_signing_reset", &crossSigningResetPage},
    {"org.matrix.sessions_list", &sessionsPage},
    {"org.matrix.session_view", &deviceViewPage},
    {"org.matrix.session_end", &deviceDeletePage},
}};

}  // namespace

std::optional<std::string> accountActionTarget(const WebSettings& settings, std::string_view action,
                                               const http::Request& request) {
  for (const AccountAction& known : kActions) {
    if (known.name == action) return known.target(settings, request);
  }
  return std::nullopt;
}

std::optional<std::string> localpartFromLoginHint(const http::Request& request,
                                                  std::string_view homeserver) {
  auto hint = request.queryParam("login_hint");
  if (!hint) hint = request.queryParam("org.matrix.msc4198.login_hint");
  if (!hint) return std::nullopt;
  constexpr std::string_view kMxidPrefix = "mxid:";
  if (!hint->starts_with(kMxidPrefix)) return std::nullopt;
  const std::string_view mxid = hint->substr(kMxidPrefix.size());
  const std::size_t colon = mxid.find(':');
  if (!mxid.starts_with('@') || colon == std::string_view::npos || colon < 2) return std::nullopt;
  if (mxid.substr(colon + 1) != homeserver) return std::nullopt;
  const std::string_view localpart = mxid.substr(1, colon - 1);
  // A localpart is at most 255 characters of a small alphabet; anything
  // else cannot name one of our users (domain/localpart.h checks it fully
  // at login).
  if (localpart.size() > 255) return std::nullopt;
  return domain::asciiLowercase(localpart);
}

std::vector<std::string> supportedAccountActions(const WebSettings& settings) {
  std::vector<std::string> names;
  const http::Request probe;
  for (const AccountAction& known : kActions) {
    if (known.target(settings, probe)) names.emplace_back(known.name);
  }
  return names;
}

}  // namespace mxauth::web
