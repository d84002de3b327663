#include "web/consent.h"

#include <algorithm>
#include <set>
#include <vector>

namespace mxauth::web {
namespace {

constexpr std::string_view kDeviceMarker = "device:";

std::set<std::string, std::less<>> tokensOf(std::string_view text) {
  std::set<std::string, std::less<>> tokens;
  while (!text.empty()) {
    const std::size_t space = text.find(' ');
    const std::string_view token = text.substr(0, space);
    if (!token.empty()) tokens.emplace(token);
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return tokens;
}

std::string joined(const std::set<std::string, std::less<>>& tokens) {
  std::string out;
  for (const std::string& token : tokens) {
    if (!out.empty()) out += ' ';
    out += token;
  }
  return out;
}

// "urn:matrix:client:device:ABC" → "urn:matrix:client:device:*". A real
// device id has at least 10 characters, so the family never equals a token.
std::string remembered(const oauth::ScopeSet::Token& token) {
  if (token.kind != oauth::ScopeTokenKind::MatrixDevice) return token.value;
  const std::size_t marker = token.value.rfind(kDeviceMarker);
  return token.value.substr(0, marker + kDeviceMarker.size()) + "*";
}

}  // namespace

std::string consentScopeOf(const oauth::ScopeSet& scope) {
  std::set<std::string, std::less<>> tokens;
  for (const oauth::ScopeSet::Token& token : scope.tokens()) tokens.insert(remembered(token));
  return joined(tokens);
}

std::string mergeConsentScopes(std::string_view remembered_scope, std::string_view added) {
  std::set<std::string, std::less<>> tokens = tokensOf(remembered_scope);
  for (std::string token : tokensOf(added)) tokens.insert(std::move(token));
  return joined(tokens);
}

bool consentCovers(std::string_view remembered_scope, const oauth::ScopeSet& requested) {
  const std::set<std::string, std::less<>> tokens = tokensOf(remembered_scope);
  return std::all_of(requested.tokens().begin(), requested.tokens().end(),
                     [&](const auto& token) { return tokens.contains(remembered(token)); });
}

bool mayReuseConsent(const oauth::RegisteredClient& client, std::string_view redirect_uri) {
  return client.client.is_static || client.isConfidential() || redirect_uri.starts_with("https://");
}

Result<bool, storage::StorageError> consentAlreadyGiven(storage::Transaction& tx,
                                                        const domain::UserId& user,
                                                        const oauth::RegisteredClient& client,
                                                        std::string_view redirect_uri,
                                                        const oauth::ScopeSet& scope) {
  if (!mayReuseConsent(client, redirect_uri)) return false;
  auto consent = tx.oauthConsents().lookup(user, client.id());
  if (!consent) return unexpected(std::move(consent).error());
  return consentAlreadyGiven(tx, user, client, redirect_uri, scope, *consent);
}

Result<bool, storage::StorageError> consentAlreadyGiven(
    storage::Transaction& tx, const domain::UserId& user, const oauth::RegisteredClient& client,
    std::string_view redirect_uri, const oauth::ScopeSet& scope, const RecordedConsent& recorded) {
  if (!mayReuseConsent(client, redirect_uri)) return false;
  if (!recorded || !consentCovers(recorded->scope, scope)) return false;
  const std::optional<std::string>& device = scope.deviceId();
  if (!device) return true;
  auto devices = tx.oauthSessions().activeDeviceIds(user);
  if (!devices) return unexpected(std::move(devices).error());
  if (std::find(devices->begin(), devices->end(), *device) == devices->end()) return true;
  // An existing device: silently only when this client alone holds it
  // (a legacy login's device has no OAuth session here).
  auto holders = tx.oauthSessions().findActiveByDevice(user, *device);
  if (!holders) return unexpected(std::move(holders).error());
  return !holders->empty() &&
         std::all_of(holders->begin(), holders->end(), [&](const domain::OAuthSession& session) {
           return session.client_id == client.id();
         });
}

Result<void, storage::StorageError> rememberConsent(storage::Transaction& tx, const Clock& clock,
                                                    const domain::UserId& user,
                                                    const domain::ClientId& client,
                                                    const oauth::ScopeSet& scope) {
  auto consent = tx.oauthConsents().lookup(user, client);
  if (!consent) return unexpected(std::move(consent).error());
  return rememberConsent(tx, clock, user, client, scope, *consent);
}

Result<void, storage::StorageError> rememberConsent(storage::Transaction& tx, const Clock& clock,
                                                    const domain::UserId& user,
                                                    const domain::ClientId& client,
                                                    const oauth::ScopeSet& scope,
                                                    const RecordedConsent& recorded) {
  const std::string added = consentScopeOf(scope);
  const std::string merged = recorded ? mergeConsentScopes(recorded->scope, added) : added;
  if (recorded && recorded->scope == merged) return {};
  auto stored = tx.oauthConsents().record(clock, user, client, merged);
  if (!stored) return unexpected(std::move(stored).error());
  return {};
}

}  // namespace mxauth::web
