#include "web/consent.h"

#include <gtest/gtest.h>

namespace mxauth::web {
namespace {

oauth::ScopeSet scopeOf(std::string_view text) {
  auto scope = oauth::ScopeSet::parse(text);
  EXPECT_TRUE(scope.has_value());
  return scope ? *scope : oauth::ScopeSet();
}

oauth::RegisteredClient consentClient(bool is_static, bool confidential) {
  oauth::RegisteredClient client;
  client.client.is_static = is_static;
  if (confidential) client.client.secret_hash = "hash";
  // Whether a client is confidential is what it registered.
  client.metadata.token_endpoint_auth_method =
      confidential ? oauth::TokenEndpointAuthMethod::ClientSecretBasic
                   : oauth::TokenEndpointAuthMethod::None;
  return client;
}

TEST(RememberedConsent, DeviceScopesAreRememberedAsTheirFamily) {
  EXPECT_EQ(consentScopeOf(scopeOf("urn:matrix:client:device:ABCDEFGHIJ openid "
                                   "urn:matrix:client:api:*")),
            "openid urn:matrix:client:api:* urn:matrix:client:device:*");
  EXPECT_EQ(consentScopeOf(scopeOf("urn:matrix:org.matrix.msc2967.client:api:* "
                                   "urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ")),
            "urn:matrix:org.matrix.msc2967.client:api:* "
            "urn:matrix:org.matrix.msc2967.client:device:*");
}

TEST(RememberedConsent, CoversAnotherDeviceButNotAWiderScope) {
  const std::string remembered =
      consentScopeOf(scopeOf("openid urn:matrix:client:api:* urn:matrix:client:device:AAAAAAAAAA"));

  EXPECT_TRUE(consentCovers(remembered, scopeOf("urn:matrix:client:api:* "
                                                "urn:matrix:client:device:BBBBBBBBBB")));
  EXPECT_TRUE(consentCovers(remembered, scopeOf("openid")));
  EXPECT_FALSE(consentCovers(remembered, scopeOf("openid email")));
  EXPECT_FALSE(consentCovers(remembered, scopeOf("urn:matrix:org.matrix.msc2967.client:api:*")));
}

TEST(RememberedConsent, MergingKeepsEveryTokenOnce) {
  EXPECT_EQ(mergeConsentScopes("openid urn:matrix:client:device:*", "email openid"),
            "email openid urn:matrix:client:device:*");
  EXPECT_EQ(mergeConsentScopes("", "openid"), "openid");
}

TEST(RememberedConsent, IsReusedOnlyWhereTheClientsIdentityIsProven) {
  const oauth::RegisteredClient registered_public = consentClient(false, false);

  EXPECT_TRUE(mayReuseConsent(registered_public, "https://app.example/callback"));
  EXPECT_FALSE(mayReuseConsent(registered_public, "http://127.0.0.1:4567/callback"));
  EXPECT_FALSE(mayReuseConsent(registered_public, "com.example.app:/callback"));
  EXPECT_TRUE(mayReuseConsent(consentClient(false, true), "com.example.app:/callback"));
  EXPECT_TRUE(mayReuseConsent(consentClient(true, false), "http://127.0.0.1/callback"));
}

}  // namespace
}  // namespace mxauth::web
