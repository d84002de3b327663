#include "oauth/scope.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace mxauth::oauth {
namespace {

OAuthError invalidScope(std::string description) {
  return oauthError(OAuthErrorCode::InvalidScope, std::move(description));
}

bool isDeviceIdCharacter(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  static constexpr std::string_view kExtra = "._~!$&'()*+,;=:@/-";
  return kExtra.find(c) != std::string_view::npos;
}

struct Classified {
  ScopeTokenKind kind;
  bool unstable = false;
  std::string device_id;  // for MatrixDevice
};

// Classifies one token; nullopt when the server does not know it or its
// device id is not acceptable.
std::optional<Classified> classify(std::string_view token) {
  if (token == kMatrixApiScope) return Classified{ScopeTokenKind::MatrixApi, false, {}};
  if (token == kUnstableMatrixApiScope) return Classified{ScopeTokenKind::MatrixApi, true, {}};
  if (token == kSynapseAdminScope) return Classified{ScopeTokenKind::SynapseAdmin, false, {}};
  if (token == kOpenIdScope) return Classified{ScopeTokenKind::OpenId, false, {}};
  if (token == kProfileScope) return Classified{ScopeTokenKind::Profile, false, {}};
  if (token == kEmailScope) return Classified{ScopeTokenKind::Email, false, {}};
  for (bool unstable : {false, true}) {
    std::string_view prefix =
        unstable ? kUnstableMatrixDeviceScopePrefix : kMatrixDeviceScopePrefix;
    if (!token.starts_with(prefix)) continue;
    std::string_view device_id = token.substr(prefix.size());
    if (!isValidDeviceId(device_id)) return std::nullopt;
    return Classified{ScopeTokenKind::MatrixDevice, unstable, std::string(device_id)};
  }
  return std::nullopt;
}

bool isMatrixKind(ScopeTokenKind kind) {
  switch (kind) {
    case ScopeTokenKind::MatrixApi:
    case ScopeTokenKind::MatrixDevice:
      return true;
    case ScopeTokenKind::SynapseAdmin:
    case ScopeTokenKind::OpenId:
    case ScopeTokenKind::Profile:
    case ScopeTokenKind::Email:
      return false;
  }
  std::abort();  // unreachable: every enumerator is handled above
}

}  // namespace

bool isInteractive(GrantKind grant) {
  switch (grant) {
    case GrantKind::AuthorizationCode:
    case GrantKind::DeviceCode:
      return true;
    case GrantKind::RefreshToken:
    case GrantKind::ClientCredentials:
      return false;
  }
  std::abort();  // unreachable: every enumerator is handled above
}

bool isValidScopeToken(std::string_view token) {
  if (token.empty()) return false;
  return std::all_of(token.begin(), token.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
  });
}

bool isValidDeviceId(std::string_view device_id) {
  return device_id.size() >= kMinDeviceIdLength &&
         std::all_of(device_id.begin(), device_id.end(), isDeviceIdCharacter);
}

Result<ScopeSet, OAuthError> ScopeSet::parse(std::string_view text) {
  if (text.empty()) return unexpected(invalidScope("The scope is empty."));
  ScopeSet set;
  bool has_stable = false;
  bool has_unstable = false;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(' ', start);
    std::string_view token =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    // RFC 6749 §3.3: tokens are separated by single spaces; an empty token
    // means a leading, trailing or doubled space.
    if (!isValidScopeToken(token)) {
      return unexpected(
          invalidScope("The scope is not a list of scope tokens separated by "
                       "single spaces."));
    }
    if (set.contains(token)) {
      return unexpected(invalidScope("The scope names a token twice."));
    }
    std::optional<Classified> classified = classify(token);
    if (!classified) {
      return unexpected(
          invalidScope("The scope \"" + std::string(token) + "\" is unknown or malformed."));
    }
    if (isMatrixKind(classified->kind)) {
      (classified->unstable ? has_unstable : has_stable) = true;
    }
    if (classified->kind == ScopeTokenKind::MatrixDevice) {
      if (set.device_id_) return unexpected(invalidScope("The scope names more than one device."));
      set.device_id_ = std::move(classified->device_id);
    }
    set.tokens_.push_back(Token{std::string(token), classified->kind});
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (has_stable && has_unstable) {
    return unexpected(invalidScope("The scope mixes stable and unstable Matrix scopes."));
  }
  if (set.device_id_ && !set.hasMatrixApi()) {
    return unexpected(invalidScope("A device scope needs the Matrix API scope."));
  }
  set.unstable_ = has_unstable;
  return set;
}

bool ScopeSet::contains(std::string_view token) const {
  return std::any_of(tokens_.begin(), tokens_.end(),
                     [token](const Token& t) { return t.value == token; });
}

bool ScopeSet::isSubsetOf(const ScopeSet& other) const {
  return std::all_of(tokens_.begin(), tokens_.end(),
                     [&other](const Token& t) { return other.contains(t.value); });
}

bool ScopeSet::has(ScopeTokenKind kind) const {
  return std::any_of(tokens_.begin(), tokens_.end(),
                     [kind](const Token& t) { return t.kind == kind; });
}

std::string ScopeSet::toString() const {
  std::string out;
  for (const Token& token : tokens_) {
    if (!out.empty()) out += ' ';
    out += token.value;
  }
  return out;
}

std::string ScopeSet::introspectionScope() const {
  std::string out = toString();
  auto append = [&out](std::string_view token) {
    if (!out.empty()) out += ' ';
    out += token;
  };
  if (hasMatrixApi()) append(unstable_ ? kMatrixApiScope : kUnstableMatrixApiScope);
  if (device_id_) {
    append(unstable_ ? kMatrixDeviceScopePrefix : kUnstableMatrixDeviceScopePrefix);
    out += *device_id_;
  }
  return out;
}

Result<void, OAuthError> validateScope(const ScopeSet& scope, GrantKind grant, bool user_is_admin) {
  if (grant == GrantKind::ClientCredentials && (scope.hasMatrixApi() || scope.deviceId())) {
    return unexpected(
        invalidScope("The Matrix API and device scopes need a user and an interactive grant."));
  }
  if (scope.isAdmin() && !(isInteractive(grant) && user_is_admin)) {
    return unexpected(invalidScope("The server administration scope is not available."));
  }
  return {};
}

ScopeDescription describeScope(std::string_view token) {
  std::optional<Classified> classified = classify(token);
  if (!classified) return {"scope.other", "scope", std::string(token)};
  switch (classified->kind) {
    case ScopeTokenKind::MatrixApi:
      return {"scope.matrix_api", {}, {}};
    case ScopeTokenKind::MatrixDevice:
      return {"scope.matrix_device", "device_id", classified->device_id};
    case ScopeTokenKind::SynapseAdmin:
      return {"scope.synapse_admin", {}, {}};
    case ScopeTokenKind::OpenId:
      return {"scope.openid", {}, {}};
    case ScopeTokenKind::Profile:
      return {"scope.profile", {}, {}};
    case ScopeTokenKind::Email:
      return {"scope.email", {}, {}};
  }
  std::abort();  // unreachable: every enumerator is handled above
}

}  // namespace mxauth::oauth
