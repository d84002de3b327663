#include "oauth/scope.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::oauth {
namespace {

constexpr std::string_view kLogin = "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";

ScopeSet parsed(std::string_view text) {
  auto scope = ScopeSet::parse(text);
  EXPECT_TRUE(scope.has_value()) << text << ": " << scope.error().description;
  return scope ? *scope : ScopeSet();
}

void expectInvalid(std::string_view text) {
  auto scope = ScopeSet::parse(text);
  ASSERT_FALSE(scope.has_value()) << "accepted: \"" << text << "\"";
  EXPECT_EQ(scope.error().code, OAuthErrorCode::InvalidScope) << text;
}

TEST(Scope, ParsesTheMatrixLoginScope) {
  ScopeSet scope = parsed(kLogin);

  EXPECT_TRUE(scope.hasMatrixApi());
  EXPECT_EQ(scope.deviceId(), "ABCDEFGHIJ");
  EXPECT_FALSE(scope.isAdmin());
  EXPECT_FALSE(scope.hasOpenId());
  EXPECT_FALSE(scope.usesUnstableMatrixScopes());
  EXPECT_EQ(scope.toString(), kLogin);
}

TEST(Scope, ParsesOidcScopesAndTheAdminScope) {
  ScopeSet scope = parsed("openid profile email urn:synapse:admin:*");

  EXPECT_TRUE(scope.hasOpenId());
  EXPECT_TRUE(scope.hasProfile());
  EXPECT_TRUE(scope.hasEmail());
  EXPECT_TRUE(scope.isAdmin());
  EXPECT_FALSE(scope.hasMatrixApi());
  EXPECT_FALSE(scope.deviceId().has_value());
}

TEST(Scope, KeepsTheRequestedOrderInToString) {
  EXPECT_EQ(parsed("email openid").toString(), "email openid");
}

TEST(Scope, ParsesTheUnstableForms) {
  ScopeSet scope = parsed(
      "urn:matrix:org.matrix.msc2967.client:api:* "
      "urn:matrix:org.matrix.msc2967.client:device:abcdefghij");

  EXPECT_TRUE(scope.hasMatrixApi());
  EXPECT_EQ(scope.deviceId(), "abcdefghij");
  EXPECT_TRUE(scope.usesUnstableMatrixScopes());
}

TEST(Scope, RejectsEmptyTokensFromStraySpaces) {
  expectInvalid("");
  expectInvalid(" openid");
  expectInvalid("openid ");
  expectInvalid("openid  email");
  expectInvalid(" ");
}

TEST(Scope, RejectsCharactersOutsideTheScopeTokenGrammar) {
  expectInvalid("open\"id");
  expectInvalid("open\\id");
  expectInvalid("openid\temail");
  expectInvalid("openid\nemail");
  expectInvalid(
      "op\x7f"
      "enid");
  expectInvalid("caf\xc3\xa9");
  EXPECT_TRUE(isValidScopeToken("!#[]~"));
  EXPECT_FALSE(isValidScopeToken("a\"b"));
  EXPECT_FALSE(isValidScopeToken("a\\b"));
  EXPECT_FALSE(isValidScopeToken(""));
}

TEST(Scope, RejectsDuplicateTokens) { expectInvalid("openid email openid"); }

TEST(Scope, RejectsUnknownTokens) {
  expectInvalid("offline_access");
  expectInvalid("urn:matrix:client:api:guest");
  expectInvalid("urn:matrix:org.matrix.msc2967.client:api:guest");
  expectInvalid("urn:mas:admin");
  expectInvalid("urn:matrix:client:api:*x");
  expectInvalid("OPENID");
}

TEST(Scope, RejectsDeviceIdsShorterThanTenCharacters) {
  expectInvalid("urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHI");
  expectInvalid("urn:matrix:client:api:* urn:matrix:client:device:");
  EXPECT_EQ(parsed("urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ").deviceId(),
            "ABCDEFGHIJ");
}

TEST(Scope, AcceptsEveryAllowedDeviceIdCharacterAndNoOther) {
  EXPECT_EQ(
      parsed("urn:matrix:client:api:* urn:matrix:client:device:aZ09._~!$&'()*+,;=:@/-").deviceId(),
      "aZ09._~!$&'()*+,;=:@/-");
  expectInvalid("urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ#");
  expectInvalid("urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ%41");
  expectInvalid("urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ?");
  EXPECT_FALSE(isValidDeviceId("ABCDEFGHI["));
}

TEST(Scope, RejectsMoreThanOneDevice) {
  expectInvalid(
      "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ "
      "urn:matrix:client:device:KLMNOPQRST");
}

TEST(Scope, RejectsADeviceWithoutTheApiScope) {
  expectInvalid("urn:matrix:client:device:ABCDEFGHIJ");
  expectInvalid("openid urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ");
}

TEST(Scope, RejectsMixingStableAndUnstableForms) {
  expectInvalid("urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ");
  expectInvalid("urn:matrix:org.matrix.msc2967.client:api:* urn:matrix:client:device:ABCDEFGHIJ");
  expectInvalid("urn:matrix:client:api:* urn:matrix:org.matrix.msc2967.client:api:*");
}

TEST(Scope, IntrospectionScopeAddsTheUnstableFormsToStableOnes) {
  EXPECT_EQ(parsed(std::string(kLogin) + " openid").introspectionScope(),
            "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ openid "
            "urn:matrix:org.matrix.msc2967.client:api:* "
            "urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ");
}

TEST(Scope, IntrospectionScopeAddsTheStableFormsToUnstableOnes) {
  EXPECT_EQ(parsed("urn:matrix:org.matrix.msc2967.client:api:* "
                   "urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ")
                .introspectionScope(),
            "urn:matrix:org.matrix.msc2967.client:api:* "
            "urn:matrix:org.matrix.msc2967.client:device:ABCDEFGHIJ "
            "urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ");
}

TEST(Scope, IntrospectionScopeWithoutMatrixScopesIsTheScopeItself) {
  EXPECT_EQ(parsed("openid email").introspectionScope(), "openid email");
  EXPECT_EQ(ScopeSet().introspectionScope(), "");
}

TEST(Scope, SubsetsCompareTokens) {
  ScopeSet wide = parsed(std::string(kLogin) + " openid");
  EXPECT_TRUE(parsed("openid").isSubsetOf(wide));
  EXPECT_TRUE(parsed(kLogin).isSubsetOf(wide));
  EXPECT_FALSE(parsed("openid urn:synapse:admin:*").isSubsetOf(wide));
  EXPECT_TRUE(ScopeSet().isSubsetOf(wide));
}

TEST(Scope, AdminScopeOnlyForAdminUsersInInteractiveGrants) {
  ScopeSet scope = parsed(std::string(kLogin) + " urn:synapse:admin:*");

  EXPECT_TRUE(validateScope(scope, GrantKind::AuthorizationCode, true).has_value());
  EXPECT_TRUE(validateScope(scope, GrantKind::DeviceCode, true).has_value());
  EXPECT_FALSE(validateScope(scope, GrantKind::AuthorizationCode, false).has_value());
  EXPECT_FALSE(
      validateScope(parsed("urn:synapse:admin:*"), GrantKind::ClientCredentials, true).has_value());
  EXPECT_FALSE(validateScope(scope, GrantKind::RefreshToken, true).has_value());
}

TEST(Scope, MatrixScopesNeverForClientCredentials) {
  auto api = validateScope(parsed("urn:matrix:client:api:*"), GrantKind::ClientCredentials, false);
  ASSERT_FALSE(api.has_value());
  EXPECT_EQ(api.error().code, OAuthErrorCode::InvalidScope);
  EXPECT_FALSE(validateScope(parsed(kLogin), GrantKind::ClientCredentials, false).has_value());
  EXPECT_FALSE(validateScope(parsed("urn:matrix:org.matrix.msc2967.client:api:*"),
                             GrantKind::ClientCredentials, false)
                   .has_value());
  EXPECT_TRUE(
      validateScope(parsed("openid email"), GrantKind::ClientCredentials, false).has_value());
  EXPECT_TRUE(validateScope(ScopeSet(), GrantKind::ClientCredentials, false).has_value());
}

TEST(Scope, MatrixScopesAreFineForInteractiveGrants) {
  EXPECT_TRUE(validateScope(parsed(kLogin), GrantKind::AuthorizationCode, false).has_value());
  EXPECT_TRUE(validateScope(parsed(kLogin), GrantKind::DeviceCode, false).has_value());
}

TEST(Scope, DescribesEachScopeInPlainWords) {
  const auto described = [](std::string_view token) {
    const ScopeDescription description = describeScope(token);
    return description.key + "|" + description.argument_name + "|" + description.argument;
  };
  EXPECT_EQ(described("urn:matrix:client:api:*"), "scope.matrix_api||");
  EXPECT_EQ(described("urn:matrix:org.matrix.msc2967.client:api:*"), "scope.matrix_api||");
  EXPECT_EQ(described("urn:matrix:client:device:ABCDEFGHIJ"),
            "scope.matrix_device|device_id|ABCDEFGHIJ");
  EXPECT_EQ(described("urn:synapse:admin:*"), "scope.synapse_admin||");
  EXPECT_EQ(described("openid"), "scope.openid||");
  EXPECT_EQ(described("profile"), "scope.profile||");
  EXPECT_EQ(described("email"), "scope.email||");
  EXPECT_EQ(described("something"), "scope.other|scope|something");
}

}  // namespace
}  // namespace mxauth::oauth
