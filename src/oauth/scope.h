#pragma once

// OAuth 2.0 scopes as Matrix uses them (RFC 6749 §3.3, MSC2967,
// spec-digest §3.8).
//
// ScopeSet::parse() checks the grammar and the rules that hold for every
// request whatever the grant:
//  - space-separated tokens of %x21 / %x23-5B / %x5D-7E, no empty token
//    (so no leading, trailing or doubled space) and no token twice;
//  - every token is one this server knows: the Matrix C-S API scope, a
//    Matrix device scope, the Synapse admin scope, `openid`, `profile`,
//    `email` — anything else is invalid_scope;
//  - a device scope carries a device id of at least 10 characters of
//    [A-Za-z0-9._~!$&'()*+,;=:@/-]; at most one device scope, and only
//    together with the API scope;
//  - the stable (`urn:matrix:client:…`) and the unstable
//    (`urn:matrix:org.matrix.msc2967.client:…`) forms are never mixed.
// validateScope() adds the rules that depend on the grant and the user:
// the admin scope only for admin users in interactive grants, and the
// Matrix API and device scopes never for client_credentials.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "oauth/oauth_error.h"

namespace mxauth::oauth {

inline constexpr std::string_view kMatrixApiScope = "urn:matrix:client:api:*";
inline constexpr std::string_view kMatrixDeviceScopePrefix = "urn:matrix:client:device:";
inline constexpr std::string_view kUnstableMatrixApiScope =
    "urn:matrix:org.matrix.msc2967.client:api:*";
inline constexpr std::string_view kUnstableMatrixDeviceScopePrefix =
    "urn:matrix:org.matrix.msc2967.client:device:";
inline constexpr std::string_view kSynapseAdminScope = "urn:synapse:admin:*";
inline constexpr std::string_view kOpenIdScope = "openid";
inline constexpr std::string_view kProfileScope = "profile";
inline constexpr std::string_view kEmailScope = "email";

// The shortest device id we accept in a device scope (MSC2967: ten
// characters are "enough"; shorter ones are too easy to collide or guess).
inline constexpr std::size_t kMinDeviceIdLength = 10;

enum class ScopeTokenKind {
  MatrixApi,     // urn:matrix:client:api:* (or the unstable form)
  MatrixDevice,  // urn:matrix:client:device:<id> (or the unstable form)
  SynapseAdmin,  // urn:synapse:admin:*
  OpenId,
  Profile,
  Email,
};

// Which grant a scope is requested through; decides what validateScope()
// allows.
enum class GrantKind {
  AuthorizationCode,  // interactive
  DeviceCode,         // interactive (RFC 8628)
  RefreshToken,       // keeps (or narrows) a scope already validated
  ClientCredentials,  // no user
};

bool isInteractive(GrantKind grant);

// True for a token made only of %x21 / %x23-5B / %x5D-7E and not empty.
bool isValidScopeToken(std::string_view token);
// True for a device id allowed in a device scope (see the header comment).
bool isValidDeviceId(std::string_view device_id);

// A parsed, classified scope. Keeps the tokens in the order requested.
class ScopeSet {
 public:
  struct Token {
    std::string value;
    ScopeTokenKind kind = ScopeTokenKind::OpenId;

    friend bool operator==(const Token&, const Token&) = default;
  };

  // The empty scope (what a request without a scope parameter asks for).
  ScopeSet() = default;

  // Parses a scope parameter. An empty string is invalid_scope: a request
  // that wants no scope leaves the parameter out.
  static Result<ScopeSet, OAuthError> parse(std::string_view text);

  const std::vector<Token>& tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }
  bool contains(std::string_view token) const;
  // True when every token of this set is in `other`.
  bool isSubsetOf(const ScopeSet& other) const;

  bool hasMatrixApi() const { return has(ScopeTokenKind::MatrixApi); }
  // The Matrix device the session is bound to, from the device scope.
  const std::optional<std::string>& deviceId() const { return device_id_; }
  bool isAdmin() const { return has(ScopeTokenKind::SynapseAdmin); }
  bool hasOpenId() const { return has(ScopeTokenKind::OpenId); }
  bool hasProfile() const { return has(ScopeTokenKind::Profile); }
  bool hasEmail() const { return has(ScopeTokenKind::Email); }
  // True when the Matrix scopes are the unstable MSC2967 forms.
  bool usesUnstableMatrixScopes() const { return unstable_; }

  // The tokens joined by single spaces, as requested (the granted scope
  // echoed in token responses).
  std::string toString() const;

  // The scope for introspection answers: toString() plus the other form
  // (stable or unstable) of the API and device scopes, so that a homeserver
  // that knows only one form still works (spec-digest §3.8, §5.4).
  std::string introspectionScope() const;

  friend bool operator==(const ScopeSet&, const ScopeSet&) = default;

 private:
  bool has(ScopeTokenKind kind) const;

  std::vector<Token> tokens_;
  std::optional<std::string> device_id_;
  bool unstable_ = false;
};

// The rules that depend on the grant and on the user (header comment).
// `user_is_admin` is ignored for grants without a user.
Result<void, OAuthError> validateScope(const ScopeSet& scope, GrantKind grant, bool user_is_admin);

// What the consent page says about a scope token: the key of a message of
// the catalogue (resources/i18n/: "scope.matrix_api" is "Full access to your
// Matrix account") and, for some, one argument ("scope.matrix_device" with
// its device_id). Any token the parser would refuse is "scope.other",
// quoting it as the argument `scope`.
struct ScopeDescription {
  std::string key;
  std::string argument_name;  // empty when the message has no argument
  std::string argument;
};
ScopeDescription describeScope(std::string_view token);

}  // namespace mxauth::oauth
