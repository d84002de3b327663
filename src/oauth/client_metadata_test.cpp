#include "oauth/client_metadata.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

namespace mxauth::oauth {
namespace {

// A minimal valid public native client, to which tests add members.
std::string body(std::string_view extra = "") {
  std::string text =
      R"({"client_uri":"https://example.com/","redirect_uris":["com.example.app:/cb"],)"
      R"("application_type":"native","token_endpoint_auth_method":"none")";
  if (!extra.empty()) {
    text += ",";
    text += extra;
  }
  return text + "}";
}

OAuthErrorCode errorOf(std::string_view request, const MetadataRules& rules = {}) {
  auto parsed = parseRegistrationRequest(request, rules);
  EXPECT_FALSE(parsed.has_value()) << request;
  return parsed ? OAuthErrorCode::ServerError : parsed.error().code;
}

TEST(ClientMetadataTest, ParsesAMatrixClientRegistration) {
  auto parsed = parseRegistrationRequest(
      R"({"client_name":"Element","client_uri":"https://element.io/",)"
      R"("logo_uri":"https://element.io/logo.png","tos_uri":"https://element.io/tos",)"
      R"("policy_uri":"https://element.io/privacy","contacts":["ops@element.io"],)"
      R"("application_type":"web","redirect_uris":["https://app.element.io/"],)"
      R"("grant_types":["authorization_code","refresh_token"],"response_types":["code"],)"
      R"("token_endpoint_auth_method":"none","id_token_signed_response_alg":"ES256"})");

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->application_type, ApplicationType::Web);
  EXPECT_EQ(parsed->client_name.value, "Element");
  EXPECT_EQ(parsed->client_uri, "https://element.io/");
  EXPECT_EQ(parsed->logo_uri.value, "https://element.io/logo.png");
  EXPECT_EQ(parsed->contacts, std::vector<std::string>{"ops@element.io"});
  EXPECT_EQ(parsed->redirect_uris, std::vector<std::string>{"https://app.element.io/"});
  EXPECT_EQ(parsed->grant_types,
            (std::vector<GrantType>{GrantType::AuthorizationCode, GrantType::RefreshToken}));
  EXPECT_EQ(parsed->token_endpoint_auth_method, TokenEndpointAuthMethod::None);
  EXPECT_EQ(parsed->id_token_signed_response_alg, crypto::SigningAlgorithm::Es256);
  EXPECT_FALSE(parsed->isConfidential());
}

TEST(ClientMetadataTest, AppliesTheDefaultsOfRfc7591AndTheMatrixSpec) {
  auto parsed = parseRegistrationRequest(
      R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/cb"]})");

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->application_type, ApplicationType::Web);
  EXPECT_EQ(parsed->grant_types, std::vector<GrantType>{GrantType::AuthorizationCode});
  EXPECT_TRUE(parsed->response_type_code);
  EXPECT_EQ(parsed->token_endpoint_auth_method, TokenEndpointAuthMethod::ClientSecretBasic);
  EXPECT_EQ(parsed->id_token_signed_response_alg, crypto::SigningAlgorithm::Rs256);
  EXPECT_TRUE(parsed->isConfidential());
}

TEST(ClientMetadataTest, RefusesMalformedJsonAsInvalidRequest) {
  EXPECT_EQ(errorOf("{"), OAuthErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf(""), OAuthErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf("[]"), OAuthErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf("\"client\""), OAuthErrorCode::InvalidRequest);
  EXPECT_EQ(errorOf("{\"client_name\":\"\xff\"}"), OAuthErrorCode::InvalidRequest);
}

TEST(ClientMetadataTest, IgnoresUnknownGrantAndResponseTypes) {
  auto parsed = parseRegistrationRequest(
      body(R"("grant_types":["authorization_code","implicit","urn:example:custom"],)"
           R"("response_types":["code","token","code id_token"])"));

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->grant_types, std::vector<GrantType>{GrantType::AuthorizationCode});
  EXPECT_TRUE(parsed->response_type_code);
}

TEST(ClientMetadataTest, KeepsTheDeviceCodeGrant) {
  auto parsed = parseRegistrationRequest(
      body(R"("grant_types":["urn:ietf:params:oauth:grant-type:device_code","refresh_token"])"));

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_TRUE(parsed->allowsGrant(GrantType::DeviceCode));
  EXPECT_TRUE(parsed->allowsGrant(GrantType::RefreshToken));
  EXPECT_FALSE(parsed->allowsGrant(GrantType::AuthorizationCode));
}

TEST(ClientMetadataTest, RequiresResponseTypeCodeForTheAuthorizationCodeGrant) {
  EXPECT_EQ(errorOf(body(R"("response_types":["token"])")), OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, RequiresRedirectUrisForTheAuthorizationCodeGrant) {
  EXPECT_EQ(errorOf(R"({"client_uri":"https://example.com/","token_endpoint_auth_method":"none"})"),
            OAuthErrorCode::InvalidRedirectUri);
  EXPECT_EQ(errorOf(R"({"client_uri":"https://example.com/","redirect_uris":[]})"),
            OAuthErrorCode::InvalidRedirectUri);
}

TEST(ClientMetadataTest, AllowsNoRedirectUrisForADeviceOnlyClient) {
  auto parsed = parseRegistrationRequest(
      R"({"client_uri":"https://example.com/","token_endpoint_auth_method":"none",)"
      R"("grant_types":["urn:ietf:params:oauth:grant-type:device_code"]})");

  EXPECT_TRUE(parsed.has_value()) << parsed.error().description;
}

TEST(ClientMetadataTest, ReportsRedirectProblemsAsInvalidRedirectUri) {
  for (std::string_view uris :
       {R"(["https://example.com/cb#fragment"])", R"(["http://example.com/callback"])",
        R"(["example:/callback"])", R"(["com.example.app://callback"])",
        R"(["https://localhost/callback"])", R"(["http://localhost:1234/callback"])",
        R"j(["javascript:alert(1)"])j", R"([1])", R"("https://example.com/cb")"}) {
    std::string request = R"({"client_uri":"https://example.com/","application_type":"native",)"
                          R"("redirect_uris":)" +
                          std::string(uris) + "}";
    EXPECT_EQ(errorOf(request), OAuthErrorCode::InvalidRedirectUri) << uris;
  }
}

TEST(ClientMetadataTest, KeepsPostLogoutRedirectUrisOnceEachInOrder) {
  auto parsed = parseRegistrationRequest(
      body(R"("post_logout_redirect_uris":["com.example.app:/bye","http://127.0.0.1/bye",)"
           R"("com.example.app:/bye"])"));

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->post_logout_redirect_uris,
            (std::vector<std::string>{"com.example.app:/bye", "http://127.0.0.1/bye"}));
}

TEST(ClientMetadataTest, ChecksPostLogoutRedirectUrisWithTheRedirectRulesOfTheApplicationType) {
  for (std::string_view uris :
       {R"(["https://example.com/bye#fragment"])", R"(["http://example.com/bye"])",
        R"(["https://evil.example/bye"])", R"(["http://127.0.0.1:8080/bye"])",
        R"(["org.evil:/bye"])", R"j(["javascript:alert(1)"])j", R"([1])",
        R"("https://example.com/")"}) {
    auto parsed =
        parseRegistrationRequest(body(R"("post_logout_redirect_uris":)" + std::string(uris)));

    ASSERT_FALSE(parsed.has_value()) << uris;
    EXPECT_EQ(parsed.error().code, OAuthErrorCode::InvalidRedirectUri) << uris;
  }
  auto web = parseRegistrationRequest(
      R"({"client_uri":"https://example.com/","redirect_uris":["https://example.com/cb"],)"
      R"("post_logout_redirect_uris":["http://127.0.0.1/bye"]})");
  ASSERT_FALSE(web.has_value());
  EXPECT_NE(web.error().description.find("post_logout_redirect_uri"), std::string::npos)
      << web.error().description;
}

TEST(ClientMetadataTest, WritesPostLogoutRedirectUrisOnlyWhenRegistered) {
  auto without = parseRegistrationRequest(body());
  auto with =
      parseRegistrationRequest(body(R"("post_logout_redirect_uris":["com.example.app:/bye"])"));
  ASSERT_TRUE(without.has_value() && with.has_value());

  const std::string plain = canonicalMetadataJson(*without);
  const std::string registered = canonicalMetadataJson(*with);

  EXPECT_EQ(plain.find("post_logout_redirect_uris"), std::string::npos) << plain;
  EXPECT_NE(registered.find(R"("post_logout_redirect_uris":["com.example.app:/bye"])"),
            std::string::npos)
      << registered;
  EXPECT_NE(metadataDigest(*without), metadataDigest(*with));
  auto stored = parseStoredMetadata(registered);
  ASSERT_TRUE(stored.has_value()) << stored.error();
  EXPECT_EQ(*stored, *with);
}

TEST(ClientMetadataTest, RequiresAnHttpsClientUriOnADomainName) {
  std::string without = R"({"redirect_uris":["https://example.com/cb"]})";
  EXPECT_EQ(errorOf(without), OAuthErrorCode::InvalidClientMetadata);
  for (std::string_view client_uri :
       {"http://example.com/", "https://user@example.com/", "https://127.0.0.1/", "https://[::1]/",
        "https://localhost/", "https://com/", "ftp://example.com/", "https://example.com/ x"}) {
    std::string request = R"({"client_uri":")" + std::string(client_uri) +
                          R"(","application_type":"native","redirect_uris":["http://[::1]/cb"]})";
    EXPECT_EQ(errorOf(request), OAuthErrorCode::InvalidClientMetadata) << client_uri;
  }
}

TEST(ClientMetadataTest, RequiresTheOtherUrisOnTheClientUriHost) {
  for (std::string_view field : {"logo_uri", "tos_uri", "policy_uri"}) {
    EXPECT_EQ(errorOf(body("\"" + std::string(field) + R"(":"https://evil.example/x")")),
              OAuthErrorCode::InvalidClientMetadata)
        << field;
    EXPECT_EQ(errorOf(body("\"" + std::string(field) + R"(":"http://example.com/x")")),
              OAuthErrorCode::InvalidClientMetadata)
        << field;
    EXPECT_EQ(errorOf(body("\"" + std::string(field) + R"(":"https://u@example.com/x")")),
              OAuthErrorCode::InvalidClientMetadata)
        << field;
    EXPECT_TRUE(parseRegistrationRequest(
                    body("\"" + std::string(field) + R"(":"https://cdn.example.com/x")"))
                    .has_value())
        << field;
  }
}

TEST(ClientMetadataTest, ChecksEveryLocalizedUriToo) {
  EXPECT_EQ(errorOf(body(R"("logo_uri#fr":"https://evil.example/logo.png")")),
            OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("tos_uri#en-GB":"http://example.com/tos")")),
            OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, KeepsLocalizedVariantsAndDropsMalformedTags) {
  auto parsed = parseRegistrationRequest(
      body(R"("client_name":"Client","client_name#fr":"Client FR",)"
           R"("client_name#FR":"duplicate","client_name#not a tag":"x","client_name#":"y",)"
           R"("policy_uri#de-DE":"https://example.com/de","unknown#fr":"z")"));

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  EXPECT_EQ(parsed->client_name.localized.size(), 1u);
  EXPECT_EQ(parsed->client_name.localized.at("fr"), "Client FR");
  EXPECT_EQ(parsed->policy_uri.localized.at("de-DE"), "https://example.com/de");
  std::string canonical = canonicalMetadataJson(*parsed);
  EXPECT_NE(canonical.find("\"client_name#fr\":\"Client FR\""), std::string::npos);
  EXPECT_EQ(canonical.find("not a tag"), std::string::npos);
  EXPECT_EQ(canonical.find("unknown"), std::string::npos);
}

TEST(ClientMetadataTest, ResolvesTheBestLocalizedValueForTheReadersLanguages) {
  LocalizedValue name;
  name.value = "Default";
  name.localized.emplace("fr", "Français");
  name.localized.emplace("de-AT", "Österreich");

  EXPECT_EQ(name.resolve(std::vector<std::string>{"FR"}), "Français");
  EXPECT_EQ(name.resolve(std::vector<std::string>{"fr-CA"}), "Français");
  EXPECT_EQ(name.resolve(std::vector<std::string>{"de"}), "Österreich");
  EXPECT_EQ(name.resolve(std::vector<std::string>{"ja", "fr"}), "Français");
  EXPECT_EQ(name.resolve(std::vector<std::string>{"ja"}), "Default");
  EXPECT_EQ(name.resolve({}), "Default");
  EXPECT_EQ(LocalizedValue{}.resolve({}), std::nullopt);
}

TEST(ClientMetadataTest, RefusesFieldsOfTheWrongType) {
  for (std::string_view member :
       {R"("client_name":1)", R"("client_name#fr":[])", R"("contacts":"a@b.c")",
        R"("contacts":[1])", R"("grant_types":"authorization_code")",
        R"("response_types":{"code":true})", R"("application_type":null)",
        R"("token_endpoint_auth_method":true)", R"("client_uri":["https://example.com/"])"}) {
    EXPECT_EQ(errorOf(body(member)), OAuthErrorCode::InvalidClientMetadata) << member;
  }
}

TEST(ClientMetadataTest, RefusesUnsupportedEnumeratedValues) {
  for (std::string_view member :
       {R"("application_type":"desktop")", R"("token_endpoint_auth_method":"tls_client_auth")",
        R"("token_endpoint_auth_signing_alg":"none")", R"("id_token_signed_response_alg":"none")",
        R"("id_token_signed_response_alg":"HS256")", R"("userinfo_signed_response_alg":"RS256")"}) {
    EXPECT_EQ(errorOf(body(member)), OAuthErrorCode::InvalidClientMetadata) << member;
  }
}

TEST(ClientMetadataTest, RefusesAnIdTokenAlgorithmTheServerHasNoKeyFor) {
  MetadataRules rules{.id_token_algorithms = {crypto::SigningAlgorithm::Rs256}};

  EXPECT_EQ(errorOf(body(R"("id_token_signed_response_alg":"EdDSA")"), rules),
            OAuthErrorCode::InvalidClientMetadata);
  EXPECT_TRUE(parseRegistrationRequest(body(R"("id_token_signed_response_alg":"RS256")"), rules)
                  .has_value());
}

TEST(ClientMetadataTest, RefusesClientCredentialsForPublicClients) {
  EXPECT_EQ(errorOf(body(R"("grant_types":["authorization_code","client_credentials"])")),
            OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, RefusesNamesWithControlCharactersOrExcessiveLength) {
  EXPECT_EQ(errorOf(body(R"("client_name":"a\nb")")), OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("client_name":"a\u0000b")")), OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("client_name":"")")), OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("client_name":")" + std::string(kMaxTextLength + 1, 'a') + "\"")),
            OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("client_name#fr":"a\u0007")")), OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, RefusesTooManyRedirectUrisOrContacts) {
  std::string uris = "[";
  for (std::size_t i = 0; i <= kMaxRedirectUris; ++i) {
    uris += (i ? "," : "") + std::string("\"com.example:/cb") + std::to_string(i) + "\"";
  }
  uris += "]";
  EXPECT_EQ(errorOf(R"({"client_uri":"https://example.com/","application_type":"native",)"
                    R"("redirect_uris":)" +
                    uris + "}"),
            OAuthErrorCode::InvalidRedirectUri);
  std::string contacts = "[";
  for (std::size_t i = 0; i <= kMaxContacts; ++i) contacts += (i ? ",\"a\"" : "\"a\"");
  EXPECT_EQ(errorOf(body("\"contacts\":" + contacts + "]")), OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, IgnoresAClientIdOrSecretChosenByTheClient) {
  auto parsed = parseRegistrationRequest(
      body(R"("client_id":"@admin:hs","client_secret":"chosen","client_id_issued_at":1)"));

  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;
  std::string canonical = canonicalMetadataJson(*parsed);
  EXPECT_EQ(canonical.find("client_id"), std::string::npos);
  EXPECT_EQ(canonical.find("chosen"), std::string::npos);
}

TEST(ClientMetadataTest, ChecksTheScopeGrammar) {
  EXPECT_TRUE(
      parseRegistrationRequest(body(R"("scope":"openid urn:matrix:client:api:*")")).has_value());
  EXPECT_EQ(errorOf(body(R"("scope":"openid  email")")), OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("scope":"a\"b")")), OAuthErrorCode::InvalidClientMetadata);
  EXPECT_EQ(errorOf(body(R"("scope":"")")), OAuthErrorCode::InvalidClientMetadata);
}

TEST(ClientMetadataTest, CanonicalJsonIsIndependentOfMemberOrderAndExplicitDefaults) {
  auto a = parseRegistrationRequest(
      R"({"redirect_uris":["https://example.com/cb"],"client_uri":"https://example.com/",)"
      R"("token_endpoint_auth_method":"none","client_name#fr":"B","client_name#de":"A"})");
  auto b = parseRegistrationRequest(
      R"({"client_name#de":"A","client_name#fr":"B","client_uri":"https://example.com/",)"
      R"("application_type":"web","token_endpoint_auth_method":"none",)"
      R"("grant_types":["authorization_code"],"response_types":["code"],)"
      R"("id_token_signed_response_alg":"RS256","redirect_uris":["https://example.com/cb"]})");

  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(canonicalMetadataJson(*a), canonicalMetadataJson(*b));
  EXPECT_EQ(metadataDigest(*a), metadataDigest(*b));
  EXPECT_EQ(metadataDigest(*a).size(), 64u);
}

TEST(ClientMetadataTest, DigestDiffersWhenAnythingRegisteredDiffers) {
  auto a = parseRegistrationRequest(body());
  auto b = parseRegistrationRequest(body(R"("client_name":"Other")"));

  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(metadataDigest(*a), metadataDigest(*b));
}

TEST(ClientMetadataTest, StoredMetadataRoundTrips) {
  auto parsed = parseRegistrationRequest(
      body(R"("client_name":"C","client_name#fr":"CF","logo_uri":"https://example.com/l.png",)"
           R"("contacts":["a@example.com"],"scope":"openid",)"
           R"("grant_types":["authorization_code","refresh_token"])"));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().description;

  auto stored = parseStoredMetadata(canonicalMetadataJson(*parsed));

  ASSERT_TRUE(stored.has_value()) << stored.error();
  EXPECT_EQ(*stored, *parsed);
}

TEST(ClientMetadataTest, StoredMetadataSkipsTheRegistrationRules) {
  auto stored = parseStoredMetadata(
      R"({"application_type":"web","client_name":"Static","redirect_uris":["http://app.internal:8080/cb"],)"
      R"("grant_types":["authorization_code"],"response_types":["code"],)"
      R"("token_endpoint_auth_method":"client_secret_basic","id_token_signed_response_alg":"RS256"})");

  ASSERT_TRUE(stored.has_value()) << stored.error();
  EXPECT_EQ(stored->redirect_uris, std::vector<std::string>{"http://app.internal:8080/cb"});
  EXPECT_FALSE(parseStoredMetadata("not json").has_value());
  EXPECT_FALSE(parseStoredMetadata("[]").has_value());
}

TEST(ClientMetadataTest, CanonicalJsonParsesAndWritesDefaultsOut) {
  auto parsed = parseRegistrationRequest(body());
  ASSERT_TRUE(parsed.has_value());

  boost::json::value document = boost::json::parse(canonicalMetadataJson(*parsed));

  const boost::json::object& object = document.as_object();
  EXPECT_EQ(object.at("application_type"), "native");
  EXPECT_EQ(object.at("token_endpoint_auth_method"), "none");
  EXPECT_EQ(object.at("id_token_signed_response_alg"), "RS256");
  EXPECT_EQ(boost::json::serialize(object.at("grant_types")), R"(["authorization_code"])");
  EXPECT_EQ(boost::json::serialize(object.at("response_types")), R"(["code"])");
}

}  // namespace
}  // namespace mxauth::oauth
