#include "web/account_actions.h"

#include <array>

#include "web/account_security.h"

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

constexpr std::array<AccountAction, 2> kActions = {{
    {"org.matrix.account_deactivate", &deactivatePage},
    {"org.matrix.cross_signing_reset", &crossSigningResetPage},
}};

}  // namespace

std::optional<std::string> accountActionTarget(const WebSettings& settings, std::string_view action,
                                               const http::Request& request) {
  for (const AccountAction& known : kActions) {
    if (known.name == action) return known.target(settings, request);
  }
  return std::nullopt;
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
