#include "oauth/client_metadata.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "http/client.h"
#include "http/client_address.h"
#include "oauth/redirect_uri.h"

namespace mxauth::oauth {
namespace {

constexpr std::string_view kClientName = "client_name";
constexpr std::string_view kLogoUri = "logo_uri";
constexpr std::string_view kTosUri = "tos_uri";
constexpr std::string_view kPolicyUri = "policy_uri";
constexpr std::array<std::string_view, 4> kLocalizableFields = {kClientName, kLogoUri, kTosUri,
                                                                kPolicyUri};

char toLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return toLower(x) == toLower(y);
         });
}

OAuthError metadataError(std::string description, std::string detail = {}) {
  return oauthError(OAuthErrorCode::InvalidClientMetadata, std::move(description),
                    std::move(detail));
}

// A BCP 47 language tag in its common shape (RFC 5646 §2.1, simplified):
// subtags of 1–8 letters or digits joined by '-', the first all letters.
bool isLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 35) return false;
  bool first = true;
  std::size_t start = 0;
  while (start <= tag.size()) {
    std::size_t end = tag.find('-', start);
    if (end == std::string_view::npos) end = tag.size();
    std::string_view subtag = tag.substr(start, end - start);
    if (subtag.empty() || subtag.size() > 8) return false;
    for (char c : subtag) {
      bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      bool digit = c >= '0' && c <= '9';
      if (!letter && !(digit && !first)) return false;
    }
    first = false;
    start = end + 1;
  }
  return true;
}

// Text shown to users: non-empty, bounded, and free of control characters
// (which would let one client's name spoof layout on the consent page).
bool isDisplayText(std::string_view text) {
  if (text.empty() || text.size() > kMaxTextLength) return false;
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by
// single spaces.
bool isScopeString(std::string_view scope) {
  if (scope.empty() || scope.size() > 1024) return false;
  if (scope.front() == ' ' || scope.back() == ' ') return false;
  char previous = 'x';
  for (char c : scope) {
    if (c == ' ') {
      if (previous == ' ') return false;
    } else if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
      return false;
    }
    previous = c;
  }
  return true;
}

Result<std::string, OAuthError> readString(const boost::json::value& value,
                                           std::string_view field) {
  if (!value.is_string()) {
    return unexpected(metadataError(std::string(field) + " must be a string"));
  }
  return std::string(value.get_string());
}

Result<std::vector<std::string>, OAuthError> readStringArray(const boost::json::value& value,
                                                             std::string_view field,
                                                             std::size_t max_items) {
  if (!value.is_array()) {
    return unexpected(metadataError(std::string(field) + " must be an array of strings"));
  }
  const boost::json::array& array = value.get_array();
  if (array.size() > max_items) {
    return unexpected(metadataError(std::string(field) + " has too many entries"));
  }
  std::vector<std::string> out;
  for (const boost::json::value& item : array) {
    if (!item.is_string()) {
      return unexpected(metadataError(std::string(field) + " must be an array of strings"));
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

// The field and tag of a localized member "client_name#fr", if it is one of
// ours with a well-formed tag.
std::optional<std::pair<std::string_view, std::string_view>> localizedKey(std::string_view key) {
  std::size_t hash = key.find('#');
  if (hash == std::string_view::npos) return std::nullopt;
  std::string_view field = key.substr(0, hash);
  std::string_view tag = key.substr(hash + 1);
  auto known = std::find(kLocalizableFields.begin(), kLocalizableFields.end(), field);
  if (known == kLocalizableFields.end() || !isLanguageTag(tag)) return std::nullopt;
  return std::make_pair(*known, tag);
}

LocalizedValue& localizedField(ClientMetadata& metadata, std::string_view field) {
  if (field == kClientName) return metadata.client_name;
  if (field == kLogoUri) return metadata.logo_uri;
  if (field == kTosUri) return metadata.tos_uri;
  return metadata.policy_uri;
}

// Reads the members we know, checking types and enumerated values only.
// Unknown members, unknown grant/response types and malformed localized
// keys are dropped (RFC 7591 §2).
Result<ClientMetadata, OAuthError> readMetadata(const boost::json::object& object) {
  ClientMetadata metadata;
  std::size_t variants = 0;
  for (const auto& member : object) {
    std::string_view key = member.key();
    const boost::json::value& value = member.value();

    if (key == "application_type") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      if (*text == "web") {
        metadata.application_type = ApplicationType::Web;
      } else if (*text == "native") {
        metadata.application_type = ApplicationType::Native;
      } else {
        return unexpected(metadataError("application_type must be \"web\" or \"native\""));
      }
    } else if (key == "redirect_uris" || key == "post_logout_redirect_uris") {
      auto uris = readStringArray(value, key, kMaxRedirectUris);
      if (!uris) {
        return unexpected(oauthError(OAuthErrorCode::InvalidRedirectUri, uris.error().description));
      }
      std::vector<std::string>& list =
          key == "redirect_uris" ? metadata.redirect_uris : metadata.post_logout_redirect_uris;
      for (std::string& uri : *uris) {
        if (std::find(list.begin(), list.end(), uri) == list.end()) list.push_back(std::move(uri));
      }
    } else if (key == "client_uri") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      metadata.client_uri = std::move(*text);
    } else if (key == kClientName || key == kLogoUri || key == kTosUri || key == kPolicyUri) {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      localizedField(metadata, key).value = std::move(*text);
    } else if (auto localized = localizedKey(key)) {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      if (++variants > kMaxLocalizedVariants) {
        return unexpected(metadataError("too many localized values"));
      }
      LocalizedValue& field = localizedField(metadata, localized->first);
      // Tags compare without case: "client_name#fr" and "client_name#FR"
      // are one variant, and the first one wins.
      field.localized.emplace(std::string(localized->second), std::move(*text));
    } else if (key == "contacts") {
      auto contacts = readStringArray(value, key, kMaxContacts);
      if (!contacts) return unexpected(contacts.error());
      for (const std::string& contact : *contacts) {
        if (!isDisplayText(contact)) {
          return unexpected(metadataError("contacts must be short, non-empty text"));
        }
      }
      metadata.contacts = std::move(*contacts);
    } else if (key == "grant_types") {
      auto names = readStringArray(value, key, 64);
      if (!names) return unexpected(names.error());
      metadata.grant_types.clear();
      for (GrantType grant : {GrantType::AuthorizationCode, GrantType::RefreshToken,
                              GrantType::ClientCredentials, GrantType::DeviceCode}) {
        if (std::find(names->begin(), names->end(), wireName(grant)) != names->end()) {
          metadata.grant_types.push_back(grant);
        }
      }
    } else if (key == "response_types") {
      auto names = readStringArray(value, key, 64);
      if (!names) return unexpected(names.error());
      metadata.response_type_code = std::find(names->begin(), names->end(), "code") != names->end();
    } else if (key == "token_endpoint_auth_method") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      std::optional<TokenEndpointAuthMethod> method = authMethodFromName(*text);
      if (!method) {
        return unexpected(metadataError(
            "token_endpoint_auth_method must be none, client_secret_basic, client_secret_post, "
            "client_secret_jwt or private_key_jwt"));
      }
      metadata.token_endpoint_auth_method = *method;
    } else if (key == "id_token_signed_response_alg") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      std::optional<crypto::SigningAlgorithm> algorithm = crypto::algorithmFromName(*text);
      if (!algorithm) {
        return unexpected(
            metadataError("id_token_signed_response_alg must be RS256, ES256 or EdDSA"));
      }
      metadata.id_token_signed_response_alg = *algorithm;
    } else if (key == "userinfo_signed_response_alg") {
      // A client asking for signed userinfo would misread our plain JSON
      // answers, so say no rather than ignore it.
      return unexpected(metadataError("userinfo_signed_response_alg is not supported"));
    } else if (key == "scope") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      if (!isScopeString(*text)) return unexpected(metadataError("scope is malformed"));
      metadata.scope = std::move(*text);
    } else if (key == "jwks") {
      if (!value.is_object()) return unexpected(metadataError("jwks must be a JWK set object"));
      metadata.jwks = value.get_object();
    } else if (key == "jwks_uri") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      metadata.jwks_uri = std::move(*text);
    } else if (key == "token_endpoint_auth_signing_alg") {
      auto text = readString(value, key);
      if (!text) return unexpected(text.error());
      std::optional<crypto::JwsAlgorithm> algorithm = crypto::jwsAlgorithmFromName(*text);
      if (!algorithm) {
        return unexpected(metadataError(
            "token_endpoint_auth_signing_alg must be RS256, PS256, ES256, EdDSA, Ed25519, HS256, "
            "HS384 or HS512"));
      }
      metadata.token_endpoint_auth_signing_alg = *algorithm;
    }
    // Anything else (client_id, client_secret, software_statement,
    // extensions) is not registered and not echoed.
  }
  return metadata;
}

// Keys and the assertion algorithm mean something only to the methods that
// use them; for the others they are dropped, as unknown members are, so a
// server never keeps (nor fetches) a jwks_uri it has no use for.
void dropAssertionMetadataOfOtherMethods(ClientMetadata& metadata) {
  if (metadata.token_endpoint_auth_method != TokenEndpointAuthMethod::PrivateKeyJwt) {
    metadata.jwks.reset();
    metadata.jwks_uri.reset();
  }
  if (assertionAlgorithms(metadata.token_endpoint_auth_method).empty()) {
    metadata.token_endpoint_auth_signing_alg.reset();
  }
}

std::string toLowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = toLower(c);
  return out;
}

Result<void, OAuthError> checkDisplayUri(std::string_view field, std::string_view uri,
                                         std::string_view client_host) {
  auto host = httpsUriHost(uri);
  if (!host) return unexpected(metadataError(std::string(field) + " " + host.error()));
  if (!isHostOrSubdomain(*host, client_host)) {
    return unexpected(
        metadataError(std::string(field) + " must be on the client_uri host or a subdomain of it"));
  }
  return {};
}

Result<void, OAuthError> checkLocalizedUri(std::string_view field, const LocalizedValue& value,
                                           std::string_view client_host) {
  if (value.value) {
    auto checked = checkDisplayUri(field, *value.value, client_host);
    if (!checked) return checked;
  }
  for (const auto& [tag, uri] : value.localized) {
    auto checked = checkDisplayUri(std::string(field) + "#" + tag, uri, client_host);
    if (!checked) return checked;
  }
  return {};
}

void putLocalized(boost::json::object& object, std::string_view field,
                  const LocalizedValue& value) {
  if (value.value) object[field] = *value.value;
  for (const auto& [tag, text] : value.localized) {
    object[std::string(field) + "#" + tag] = text;
  }
}

}  // namespace

std::string_view wireName(ApplicationType type) {
  switch (type) {
    case ApplicationType::Web:
      return "web";
    case ApplicationType::Native:
      return "native";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string_view wireName(GrantType grant) {
  switch (grant) {
    case GrantType::AuthorizationCode:
      return "authorization_code";
    case GrantType::RefreshToken:
      return "refresh_token";
    case GrantType::ClientCredentials:
      return "client_credentials";
    case GrantType::DeviceCode:
      return "urn:ietf:params:oauth:grant-type:device_code";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string_view wireName(TokenEndpointAuthMethod method) {
  switch (method) {
    case TokenEndpointAuthMethod::None:
      return "none";
    case TokenEndpointAuthMethod::ClientSecretBasic:
      return "client_secret_basic";
    case TokenEndpointAuthMethod::ClientSecretPost:
      return "client_secret_post";
    case TokenEndpointAuthMethod::ClientSecretJwt:
      return "client_secret_jwt";
    case TokenEndpointAuthMethod::PrivateKeyJwt:
      return "private_key_jwt";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::span<const crypto::JwsAlgorithm> assertionAlgorithms(TokenEndpointAuthMethod method) {
  switch (method) {
    case TokenEndpointAuthMethod::ClientSecretJwt:
      return crypto::kHmacJwsAlgorithms;
    case TokenEndpointAuthMethod::PrivateKeyJwt:
      return crypto::kAsymmetricJwsAlgorithms;
    case TokenEndpointAuthMethod::None:
    case TokenEndpointAuthMethod::ClientSecretBasic:
    case TokenEndpointAuthMethod::ClientSecretPost:
      return {};
  }
  std::abort();  // unreachable: every enumerator is handled above
}

Result<void, OAuthError> checkAssertionMetadata(const ClientMetadata& metadata,
                                                const MetadataRules& rules) {
  TokenEndpointAuthMethod method = metadata.token_endpoint_auth_method;
  if (metadata.token_endpoint_auth_signing_alg) {
    std::span<const crypto::JwsAlgorithm> accepted = assertionAlgorithms(method);
    if (std::find(accepted.begin(), accepted.end(), *metadata.token_endpoint_auth_signing_alg) ==
        accepted.end()) {
      return unexpected(metadataError(
          "token_endpoint_auth_signing_alg " +
          std::string(crypto::jwsAlgorithmName(*metadata.token_endpoint_auth_signing_alg)) +
          " cannot be used with " + std::string(wireName(method))));
    }
  }
  if (method != TokenEndpointAuthMethod::PrivateKeyJwt) return {};
  if (metadata.jwks.has_value() == metadata.jwks_uri.has_value()) {
    return unexpected(metadataError("private_key_jwt needs exactly one of jwks and jwks_uri"));
  }
  if (metadata.jwks) {
    auto keys = crypto::parseJwkSet(boost::json::value(*metadata.jwks));
    if (!keys) return unexpected(metadataError("jwks: " + keys.error().detail));
    if (metadata.token_endpoint_auth_signing_alg &&
        std::none_of(keys->begin(), keys->end(), [&](const crypto::JwkSetKey& key) {
          return key.fits(*metadata.token_endpoint_auth_signing_alg);
        })) {
      return unexpected(metadataError("jwks has no key for token_endpoint_auth_signing_alg"));
    }
    return {};
  }
  const std::string& uri = *metadata.jwks_uri;
  std::optional<UriParts> parts = uri.size() <= kMaxUriLength ? splitUri(uri) : std::nullopt;
  if (!parts || !parts->has_authority || parts->host.empty()) {
    return unexpected(metadataError("jwks_uri must be an absolute http(s) URL"));
  }
  std::string scheme = toLowerAscii(parts->scheme);
  if (scheme != "https" && !(scheme == "http" && rules.allow_http_jwks_uri)) {
    return unexpected(metadataError("jwks_uri must be an https URL"));
  }
  if (parts->has_userinfo || parts->fragment) {
    return unexpected(metadataError("jwks_uri must have no user information and no fragment"));
  }
  std::string_view host = parts->host;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (std::optional<http::IpAddress> address = http::IpAddress::parse(host)) {
    if (!rules.allow_private_jwks_uri && !http::isPublicUnicast(*address)) {
      return unexpected(metadataError("jwks_uri must not name a private or local address"));
    }
  }
  return {};
}

std::optional<GrantType> grantTypeFromName(std::string_view name) {
  for (GrantType grant : {GrantType::AuthorizationCode, GrantType::RefreshToken,
                          GrantType::ClientCredentials, GrantType::DeviceCode}) {
    if (wireName(grant) == name) return grant;
  }
  return std::nullopt;
}

std::optional<TokenEndpointAuthMethod> authMethodFromName(std::string_view name) {
  for (TokenEndpointAuthMethod method : kTokenEndpointAuthMethods) {
    if (wireName(method) == name) return method;
  }
  return std::nullopt;
}

bool LocalizedValue::TagLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return toLower(x) < toLower(y); });
}

std::optional<std::string_view> LocalizedValue::resolve(
    std::span<const std::string> preferred) const {
  for (const std::string& language : preferred) {
    auto exact = localized.find(language);
    if (exact != localized.end()) return exact->second;
    // "fr-CA" reads "fr"; "fr" reads "fr-FR".
    for (const auto& [tag, text] : localized) {
      std::string_view shorter = tag.size() < language.size() ? std::string_view(tag) : language;
      std::string_view longer = tag.size() < language.size() ? std::string_view(language) : tag;
      if (longer.size() > shorter.size() && longer[shorter.size()] == '-' &&
          equalsIgnoreCase(longer.substr(0, shorter.size()), shorter)) {
        return text;
      }
    }
  }
  if (value) return *value;
  if (!localized.empty()) return localized.begin()->second;
  return std::nullopt;
}

bool ClientMetadata::allowsGrant(GrantType grant) const {
  return std::find(grant_types.begin(), grant_types.end(), grant) != grant_types.end();
}

Result<void, OAuthError> checkRegistrationRules(const ClientMetadata& metadata,
                                                const MetadataRules& rules) {
  // MSC2966: client_uri is the common base of every other URI; without it
  // nothing ties the client's links and redirects to one owner.
  if (!metadata.client_uri) return unexpected(metadataError("client_uri is required"));
  auto client_host = httpsUriHost(*metadata.client_uri);
  if (!client_host) return unexpected(metadataError("client_uri " + client_host.error()));

  if (metadata.client_name.value && !isDisplayText(*metadata.client_name.value)) {
    return unexpected(metadataError("client_name must be short, non-empty text"));
  }
  for (const auto& [tag, text] : metadata.client_name.localized) {
    if (!isDisplayText(text)) {
      return unexpected(metadataError("client_name#" + tag + " must be short, non-empty text"));
    }
  }
  for (auto [field, value] :
       {std::pair{kLogoUri, &metadata.logo_uri}, std::pair{kTosUri, &metadata.tos_uri},
        std::pair{kPolicyUri, &metadata.policy_uri}}) {
    auto checked = checkLocalizedUri(field, *value, *client_host);
    if (!checked) return checked;
  }

  // RFC 7591 §2.1: the authorization_code grant goes with response type
  // "code" and needs somewhere to send the code.
  if (metadata.allowsGrant(GrantType::AuthorizationCode)) {
    if (!metadata.response_type_code) {
      return unexpected(
          metadataError("response_types must include \"code\" for the authorization_code grant"));
    }
    if (metadata.redirect_uris.empty()) {
      return unexpected(oauthError(OAuthErrorCode::InvalidRedirectUri,
                                   "redirect_uris is required for the authorization_code grant"));
    }
  }
  // RFC 6749 §4.4: client_credentials is for clients that can authenticate.
  if (metadata.allowsGrant(GrantType::ClientCredentials) && !metadata.isConfidential()) {
    return unexpected(metadataError(
        "the client_credentials grant needs a token_endpoint_auth_method other than none"));
  }
  for (const std::string& uri : metadata.redirect_uris) {
    auto checked = validateRedirectUri(metadata.application_type, uri, *client_host);
    if (!checked) return checked;
  }
  for (const std::string& uri : metadata.post_logout_redirect_uris) {
    auto checked = validateRedirectUri(metadata.application_type, uri, *client_host,
                                       kPostLogoutRedirectUriField);
    if (!checked) return checked;
  }
  const auto& algorithms = rules.id_token_algorithms;
  if (!algorithms.empty() && std::find(algorithms.begin(), algorithms.end(),
                                       metadata.id_token_signed_response_alg) == algorithms.end()) {
    return unexpected(
        metadataError("this server cannot sign ID tokens with " +
                      std::string(crypto::algorithmName(metadata.id_token_signed_response_alg))));
  }
  return checkAssertionMetadata(metadata, rules);
}

Result<ClientMetadata, OAuthError> parseRegistrationRequest(std::string_view body,
                                                            const MetadataRules& rules) {
  boost::json::error_code error;
  boost::json::value document = boost::json::parse(body, error);
  if (error) {
    return unexpected(
        oauthError(OAuthErrorCode::InvalidRequest, "the body is not valid JSON", error.message()));
  }
  if (!document.is_object()) {
    return unexpected(oauthError(OAuthErrorCode::InvalidRequest, "the body must be a JSON object"));
  }
  auto metadata = readMetadata(document.get_object());
  if (!metadata) return unexpected(metadata.error());
  dropAssertionMetadataOfOtherMethods(*metadata);
  auto checked = checkRegistrationRules(*metadata, rules);
  if (!checked) return unexpected(checked.error());
  return metadata;
}

Result<ClientMetadata, std::string> parseStoredMetadata(std::string_view json) {
  boost::json::error_code error;
  boost::json::value document = boost::json::parse(json, error);
  if (error) return unexpected("stored client metadata is not JSON: " + error.message());
  if (!document.is_object())
    return unexpected(std::string("stored client metadata is not an object"));
  auto metadata = readMetadata(document.get_object());
  if (!metadata) {
    return unexpected("stored client metadata is unreadable: " + metadata.error().description);
  }
  return std::move(*metadata);
}

boost::json::object canonicalMetadataObject(const ClientMetadata& metadata) {
  boost::json::object object;
  object["application_type"] = wireName(metadata.application_type);
  if (metadata.client_uri) object["client_uri"] = *metadata.client_uri;
  putLocalized(object, kClientName, metadata.client_name);
  putLocalized(object, kLogoUri, metadata.logo_uri);
  putLocalized(object, kTosUri, metadata.tos_uri);
  putLocalized(object, kPolicyUri, metadata.policy_uri);
  if (!metadata.contacts.empty()) {
    boost::json::array contacts;
    for (const std::string& contact : metadata.contacts) contacts.emplace_back(contact);
    object["contacts"] = std::move(contacts);
  }
  boost::json::array redirect_uris;
  for (const std::string& uri : metadata.redirect_uris) redirect_uris.emplace_back(uri);
  object["redirect_uris"] = std::move(redirect_uris);
  if (!metadata.post_logout_redirect_uris.empty()) {
    boost::json::array post_logout;
    for (const std::string& uri : metadata.post_logout_redirect_uris) post_logout.emplace_back(uri);
    object["post_logout_redirect_uris"] = std::move(post_logout);
  }
  boost::json::array grant_types;
  for (GrantType grant : metadata.grant_types) grant_types.emplace_back(wireName(grant));
  object["grant_types"] = std::move(grant_types);
  boost::json::array response_types;
  if (metadata.response_type_code) response_types.emplace_back("code");
  object["response_types"] = std::move(response_types);
  object["token_endpoint_auth_method"] = wireName(metadata.token_endpoint_auth_method);
  object["id_token_signed_response_alg"] =
      crypto::algorithmName(metadata.id_token_signed_response_alg);
  if (metadata.scope) object["scope"] = *metadata.scope;
  // Written only when present, so that earlier registrations keep their
  // digest.
  if (metadata.jwks) object["jwks"] = *metadata.jwks;
  if (metadata.jwks_uri) object["jwks_uri"] = *metadata.jwks_uri;
  if (metadata.token_endpoint_auth_signing_alg) {
    object["token_endpoint_auth_signing_alg"] =
        crypto::jwsAlgorithmName(*metadata.token_endpoint_auth_signing_alg);
  }
  return object;
}

std::string canonicalMetadataJson(const ClientMetadata& metadata) {
  return boost::json::serialize(canonicalMetadataObject(metadata));
}

std::string metadataDigest(const ClientMetadata& metadata) {
  return core::hexEncode(crypto::sha256(canonicalMetadataJson(metadata)));
}

}  // namespace mxauth::oauth
