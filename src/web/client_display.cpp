#include "web/client_display.h"

#include <optional>
#include <vector>

#include "oauth/redirect_uri.h"
#include "oauth/scope.h"
#include "web/navigation.h"

namespace mxauth::web {
namespace {

bool isHttpUrl(std::string_view uri) {
  return uri.starts_with("https://") || uri.starts_with("http://");
}

std::optional<std::string> resolveUrl(const oauth::LocalizedValue& value,
                                      const std::vector<std::string>& languages) {
  const auto resolved = value.resolve(languages);
  // Only web links: a javascript: or data: URI must never become an href.
  if (!resolved || !isHttpUrl(*resolved)) return std::nullopt;
  return std::string(*resolved);
}

}  // namespace

templates::ClientDisplay clientDisplay(const oauth::RegisteredClient& client,
                                       const http::Request& request) {
  const std::vector<std::string> languages =
      preferredLanguages(request.header("Accept-Language").value_or(""));
  const oauth::ClientMetadata& metadata = client.metadata;
  templates::ClientDisplay display;
  const auto name = metadata.client_name.resolve(languages);
  display.name = name ? std::string(*name) : client.id().str();
  display.logo_uri = resolveUrl(metadata.logo_uri, languages);
  if (display.logo_uri && !display.logo_uri->starts_with("https://")) display.logo_uri.reset();
  if (metadata.client_uri && isHttpUrl(*metadata.client_uri)) {
    display.client_uri = *metadata.client_uri;
    auto host = oauth::httpsUriHost(*metadata.client_uri);
    if (host) display.host = *host;
  }
  display.policy_uri = resolveUrl(metadata.policy_uri, languages);
  display.tos_uri = resolveUrl(metadata.tos_uri, languages);
  return display;
}

std::string matrixUserId(const domain::User& user, std::string_view homeserver) {
  return "@" + user.localpart + ":" + std::string(homeserver);
}

templates::Text scopeText(std::string_view token) {
  oauth::ScopeDescription description = oauth::describeScope(token);
  if (description.argument_name.empty()) return templates::Text(std::move(description.key));
  return templates::Text(std::move(description.key),
                         {{std::move(description.argument_name), std::move(description.argument)}});
}

}  // namespace mxauth::web
