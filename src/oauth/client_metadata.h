#pragma once

// OAuth 2.0 client metadata (RFC 7591 §2, OIDC Registration §2, MSC2966,
// spec-digest §3.2): what a client registers, in typed form.
//
// Three ways in, one way out:
//  - parseRegistrationRequest(): a dynamic registration body. Malformed JSON
//    (or not an object) is invalid_request; a field of the wrong type or
//    value, or a rule of MSC2966 broken, is invalid_client_metadata; a
//    redirect-URI problem (including none registered when the
//    authorization_code grant is asked for, and a bad entry of
//    post_logout_redirect_uris) is invalid_redirect_uri.
//    Unknown fields, unknown grant_types and response_types and localized
//    variants with a malformed language tag are dropped, never refused
//    (RFC 7591 §2, spec schema: "MUST ignore").
//  - static clients (static_clients.h) build a ClientMetadata directly.
//  - parseStoredMetadata(): the canonical JSON we stored ourselves, read back
//    without the registration rules (they may tighten later; an old client
//    must keep working).
// canonicalMetadataJson() is the one serialisation: fixed member order,
// defaults written out, localized variants sorted by tag. It is what we store,
// what the registration response echoes (RFC 7591 §3.2.1) and what
// metadataDigest() hashes to de-duplicate identical public registrations.

#include <boost/json/object.hpp>

#include <compare>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/jwk_set.h"
#include "crypto/keys.h"
#include "oauth/oauth_error.h"

namespace mxauth::oauth {

enum class ApplicationType { Web, Native };

// The grant types a client may register that this server knows. Others are
// ignored at registration (RFC 7591 §2).
enum class GrantType { AuthorizationCode, RefreshToken, ClientCredentials, DeviceCode };

// RFC 7591 §2 token_endpoint_auth_method values we support: a secret
// (client_secret_basic/_post), a JWT signed with the secret
// (client_secret_jwt) or with the client's private key (private_key_jwt,
// OIDC Core §9, RFC 7523 §2.2), or nothing (a public client).
enum class TokenEndpointAuthMethod {
  None,
  ClientSecretBasic,
  ClientSecretPost,
  ClientSecretJwt,
  PrivateKeyJwt,
};

// The methods in enum order (discovery lists them so).
inline constexpr TokenEndpointAuthMethod kTokenEndpointAuthMethods[] = {
    TokenEndpointAuthMethod::None, TokenEndpointAuthMethod::ClientSecretBasic,
    TokenEndpointAuthMethod::ClientSecretPost, TokenEndpointAuthMethod::ClientSecretJwt,
    TokenEndpointAuthMethod::PrivateKeyJwt};

// The JWS algorithms each assertion method accepts.
std::span<const crypto::JwsAlgorithm> assertionAlgorithms(TokenEndpointAuthMethod method);

std::string_view wireName(ApplicationType type);
std::string_view wireName(GrantType grant);
std::string_view wireName(TokenEndpointAuthMethod method);
std::optional<GrantType> grantTypeFromName(std::string_view name);
std::optional<TokenEndpointAuthMethod> authMethodFromName(std::string_view name);

// A human-readable value with its localized variants (`client_name#fr`,
// RFC 7591 §2.2). Tags are BCP 47 and compare without regard to case.
struct LocalizedValue {
  struct TagLess {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };

  std::optional<std::string> value;  // the member without a tag
  std::map<std::string, std::string, TagLess> localized;

  bool empty() const { return !value && localized.empty(); }

  // The best value for a reader whose languages are `preferred` (most
  // preferred first, e.g. from Accept-Language): an exact tag, then a tag
  // that one of them extends or that extends one of them ("fr-CA" ↔ "fr"),
  // then the untagged value, then any variant. nullopt when there is none.
  std::optional<std::string_view> resolve(std::span<const std::string> preferred) const;

  friend bool operator==(const LocalizedValue& a, const LocalizedValue& b) {
    return a.value == b.value && a.localized == b.localized;
  }
};

struct ClientMetadata {
  ApplicationType application_type = ApplicationType::Web;  // spec: default web
  std::vector<std::string> redirect_uris;                   // raw strings, as registered
  std::optional<std::string> client_uri;
  LocalizedValue client_name;
  LocalizedValue logo_uri;
  LocalizedValue tos_uri;
  LocalizedValue policy_uri;
  std::vector<std::string> contacts;
  // RFC 7591 §2 default: ["authorization_code"]. Kept in enum order, once each.
  std::vector<GrantType> grant_types{GrantType::AuthorizationCode};
  // The only response type we know; RFC 7591 §2 default ["code"].
  bool response_type_code = true;
  // RFC 7591 §2 default: client_secret_basic.
  TokenEndpointAuthMethod token_endpoint_auth_method = TokenEndpointAuthMethod::ClientSecretBasic;
  // OIDC Registration §2 default: RS256.
  crypto::SigningAlgorithm id_token_signed_response_alg = crypto::SigningAlgorithm::Rs256;
  // OpenID Connect RP-Initiated Logout 1.0 §3.1: where the end-session
  // endpoint may send the browser after a logout (raw strings, as
  // registered; the redirect-URI rules of redirect_uri.h apply). Written to
  // the canonical document only when not empty, so that registrations made
  // before this member existed keep their digest.
  std::vector<std::string> post_logout_redirect_uris;
  // RFC 7591 §2 `scope`: when present, the scopes the client declared it
  // will request (space-separated; grammar of RFC 6749 §3.3 checked).
  std::optional<std::string> scope;
  // private_key_jwt: the client's public keys, inline (RFC 7591 §2 `jwks`,
  // a JWK set) or by reference (`jwks_uri`, fetched by jwks_fetcher.h);
  // exactly one of them. Dropped for the other methods.
  std::optional<boost::json::object> jwks;
  std::optional<std::string> jwks_uri;
  // RFC 7591 §2 / OIDC Registration §2: when set, the only algorithm the
  // client's assertions may use (asymmetric for private_key_jwt, HS* for
  // client_secret_jwt). Dropped for the other methods.
  std::optional<crypto::JwsAlgorithm> token_endpoint_auth_signing_alg;

  // A client that authenticates at the token endpoint (with a secret or a
  // key).
  bool isConfidential() const {
    return token_endpoint_auth_method != TokenEndpointAuthMethod::None;
  }
  bool allowsGrant(GrantType grant) const;

  friend bool operator==(const ClientMetadata&, const ClientMetadata&) = default;
};

// Limits on what one registration may carry; the body itself is already
// bounded by the server.
inline constexpr std::size_t kMaxUriLength = 2048;
inline constexpr std::size_t kMaxRedirectUris = 32;
inline constexpr std::size_t kMaxTextLength = 256;  // client_name, contacts (bytes)
inline constexpr std::size_t kMaxContacts = 16;
inline constexpr std::size_t kMaxLocalizedVariants = 64;  // over all fields together

struct MetadataRules {
  // Algorithms this server can sign ID tokens with (KeySet::algorithms()).
  // A client asking for another id_token_signed_response_alg is refused.
  // Empty: every algorithm of crypto::SigningAlgorithm is accepted.
  std::vector<crypto::SigningAlgorithm> id_token_algorithms;
  // A jwks_uri may be http:// (otherwise https:// only) and may name an IP
  // address that is not public (clients.jwks_uri.allow_http and
  // .allow_private_addresses; the fetch checks resolved addresses again).
  bool allow_http_jwks_uri = false;
  bool allow_private_jwks_uri = false;
};

// The rules on a private_key_jwt client's keys and the assertion signing
// algorithm, shared by registration and `mxauth client add`: exactly one
// of jwks and jwks_uri; jwks a usable JWK set; jwks_uri an absolute URL
// without fragment or user information, https unless allowed, not an IP
// literal of a non-public address unless allowed; the signing algorithm
// one the method accepts. invalid_client_metadata otherwise.
Result<void, OAuthError> checkAssertionMetadata(const ClientMetadata& metadata,
                                                const MetadataRules& rules);

// A dynamic registration request body (see the header comment).
Result<ClientMetadata, OAuthError> parseRegistrationRequest(std::string_view body,
                                                            const MetadataRules& rules = {});

// The MSC2966 rules on an already-read ClientMetadata (what
// parseRegistrationRequest applies after reading the fields).
Result<void, OAuthError> checkRegistrationRules(const ClientMetadata& metadata,
                                                const MetadataRules& rules = {});

// Reads metadata that canonicalMetadataJson() wrote. Fails (with a message
// for logs) only when the text is not such a document.
Result<ClientMetadata, std::string> parseStoredMetadata(std::string_view json);

// The canonical document (see the header comment).
boost::json::object canonicalMetadataObject(const ClientMetadata& metadata);
std::string canonicalMetadataJson(const ClientMetadata& metadata);

// SHA-256 (lowercase hex) of canonicalMetadataJson(): equal for two
// registrations exactly when they registered the same thing.
std::string metadataDigest(const ClientMetadata& metadata);

}  // namespace mxauth::oauth
