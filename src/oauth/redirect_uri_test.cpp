#include "oauth/redirect_uri.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxauth::oauth {
namespace {

ClientMetadata clientWith(std::vector<std::string> redirect_uris) {
  ClientMetadata metadata;
  metadata.redirect_uris = std::move(redirect_uris);
  return metadata;
}

bool acceptedAs(ApplicationType type, std::string_view uri,
                std::string_view client_host = "example.com") {
  return validateRedirectUri(type, uri, client_host).has_value();
}

OAuthErrorCode errorOf(ApplicationType type, std::string_view uri) {
  auto result = validateRedirectUri(type, uri, "example.com");
  EXPECT_FALSE(result.has_value()) << uri;
  return result ? OAuthErrorCode::ServerError : result.error().code;
}

// Registration: the valid examples of MSC2966 and the spec.

TEST(RedirectUriRegistrationTest, AcceptsHttpsWebRedirectsOnTheClientHostOrASubdomain) {
  EXPECT_TRUE(acceptedAs(ApplicationType::Web, "https://example.com/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Web, "https://app.example.com/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Web, "https://example.com:5173/?query=value"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Web, "https://Example.COM/cb"));
}

TEST(RedirectUriRegistrationTest, AcceptsNativePrivateUseSchemesInTheClientsReverseDomain) {
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "com.example:/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "com.example.app:/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "com.example:callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "com.example.app.ios:/cb", "app.example.com"));
}

TEST(RedirectUriRegistrationTest, AcceptsNativeLoopbackRedirectsWithoutAPort) {
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "http://127.0.0.1/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "http://[::1]/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "http://localhost/callback"));
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "http://localhost"));
}

TEST(RedirectUriRegistrationTest, AcceptsNativeClaimedHttpsRedirectsUnderTheWebRules) {
  EXPECT_TRUE(acceptedAs(ApplicationType::Native, "https://app.example.com/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "https://example.org/callback"));
}

// Registration: the invalid examples.

TEST(RedirectUriRegistrationTest, RefusesPlainHttpForWebClients) {
  EXPECT_EQ(errorOf(ApplicationType::Web, "http://example.com/callback"),
            OAuthErrorCode::InvalidRedirectUri);
  EXPECT_EQ(errorOf(ApplicationType::Web, "http://127.0.0.1/callback"),
            OAuthErrorCode::InvalidRedirectUri);
}

TEST(RedirectUriRegistrationTest, RefusesFragmentsForEveryApplicationType) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://example.com/callback#fragment"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://example.com/callback#"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "com.example.app:/callback#f"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://127.0.0.1/cb#f"));
}

TEST(RedirectUriRegistrationTest, RefusesUserinfoInTheAuthority) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://user@example.com/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://user:pass@example.com/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://@example.com/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://example.com@evil.example/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://evil@127.0.0.1/cb"));
}

TEST(RedirectUriRegistrationTest, RefusesHostsOutsideTheClientUriHost) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://evil.example/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://example.com.evil.example/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://notexample.com/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "https://com/cb"));
}

TEST(RedirectUriRegistrationTest, RefusesPrivateUseSchemesOutsideTheReverseDomain) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "example:/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "com:/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "com.examplex:/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "org.example.app:/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "javascript:alert(1)"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, "com.example.app:/callback"));
}

TEST(RedirectUriRegistrationTest, RefusesPrivateUseSchemesWithAnAuthority) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "com.example.app://callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "com.example.app:///callback"));
}

TEST(RedirectUriRegistrationTest, RefusesLoopbackRedirectsWithAPortOrOverHttps) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://localhost:1234/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://127.0.0.1:80/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "https://localhost/callback"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "https://127.0.0.1/callback"));
}

TEST(RedirectUriRegistrationTest, RefusesHttpOnHostsThatOnlyLookLikeLoopback) {
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://127.0.0.1.evil.example/"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://localhost.evil.example/"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://127.0.0.2/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://LOCALHOST/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://0.0.0.0/cb"));
  EXPECT_FALSE(acceptedAs(ApplicationType::Native, "http://[::ffff:127.0.0.1]/cb"));
}

TEST(RedirectUriRegistrationTest, RefusesMalformedUrisAndParserDifferentials) {
  for (std::string_view uri : {"",
                               "callback",
                               "/callback",
                               "https:",
                               "https://",
                               "https://example.com/a b",
                               "https://example.com\\@evil.example/",
                               "https://example.com/\\evil",
                               " https://example.com/cb",
                               "https://example.com/cb ",
                               "https://example.com/cb\t",
                               "https://example.com/%zz",
                               "https://example.com/%2",
                               "https://ex%61mple.com/cb",
                               "https://example.com:/cb",
                               "https://example.com:0/cb",
                               "https://example.com:65536/cb",
                               "https://example.com:080/cb",
                               "https://example.com./cb",
                               "https://example..com/cb",
                               "https://[example.com]/cb",
                               "HTTPS://example.com/cb",
                               "https://exämple.com/cb",
                               "https://example.com/cb\"><script>"}) {
    EXPECT_FALSE(acceptedAs(ApplicationType::Web, uri)) << uri;
  }
  std::string with_nul = "https://example.com/cb";
  with_nul.push_back('\0');
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, with_nul));
}

TEST(RedirectUriRegistrationTest, RefusesDotSegmentsEvenWhenPercentEncoded) {
  for (std::string_view uri :
       {"https://example.com/cb/../evil", "https://example.com/./cb", "https://example.com/..",
        "https://example.com/cb/%2e%2e/evil", "https://example.com/cb/%2E%2E/evil",
        "https://example.com/cb/.%2e/evil", "https://example.com/%2e/cb"}) {
    EXPECT_FALSE(acceptedAs(ApplicationType::Web, uri)) << uri;
  }
  EXPECT_TRUE(acceptedAs(ApplicationType::Web, "https://example.com/cb..x/.well/a.b"));
}

TEST(RedirectUriRegistrationTest, RefusesOverLongUris) {
  std::string uri = "https://example.com/" + std::string(kMaxUriLength, 'a');
  EXPECT_FALSE(acceptedAs(ApplicationType::Web, uri));
}

TEST(RedirectUriRegistrationTest, StaticClientsSkipHostRulesButKeepTheRest) {
  EXPECT_TRUE(validateStaticRedirectUri("http://app.internal:8080/cb").has_value());
  EXPECT_TRUE(validateStaticRedirectUri("https://anywhere.example/cb?x=1").has_value());
  EXPECT_TRUE(validateStaticRedirectUri("org.custom:/cb").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("https://app.example/cb#f").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("https://user@app.example/cb").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("https://app.example/a/../b").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("javascript:alert(1)").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("data:text/html,hi").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("not a uri").has_value());
  EXPECT_FALSE(validateStaticRedirectUri("http:/no-host").has_value());
}

// Matching at /authorize.

TEST(RedirectUriMatchTest, ReturnsTheRegisteredUriOnAnExactMatch) {
  ClientMetadata client = clientWith({"https://app.test/cb", "https://app.test/other"});

  EXPECT_EQ(matchRedirectUri(client, "https://app.test/other"), "https://app.test/other");
  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb"), "https://app.test/cb");
}

TEST(RedirectUriMatchTest, UsesTheOnlyRegisteredUriWhenNoneIsRequested) {
  EXPECT_EQ(matchRedirectUri(clientWith({"https://app.test/cb"}), std::nullopt),
            "https://app.test/cb");
}

TEST(RedirectUriMatchTest, RefusesAMissingRedirectUriWhenSeveralOrNoneAreRegistered) {
  EXPECT_EQ(
      matchRedirectUri(clientWith({"https://app.test/a", "https://app.test/b"}), std::nullopt),
      std::nullopt);
  EXPECT_EQ(matchRedirectUri(clientWith({}), std::nullopt), std::nullopt);
}

TEST(RedirectUriMatchTest, RefusesEveryVariantOfARegisteredUri) {
  ClientMetadata client = clientWith({"https://app.test/cb"});

  for (std::string_view variant : {"https://app.test/cb/",
                                   "https://app.test/CB",
                                   "https://APP.test/cb",
                                   "HTTPS://app.test/cb",
                                   "https://app.test:443/cb",
                                   "https://app.test/cb?x=1",
                                   "https://app.test/cb#f",
                                   "https://app.test/cb/../cb",
                                   "https://app.test/x/..;/cb",
                                   "https://app.test/cb%2f..",
                                   "https://app.test/%63b",
                                   "https://app.test.evil.test/cb",
                                   "https://app.test@evil.test/cb",
                                   "https://a@b@evil.test/cb",
                                   "https://app.test./cb",
                                   "https://app.test\\cb",
                                   "https://app.test/cb ",
                                   " https://app.test/cb",
                                   "https://app.test/cb%00",
                                   "http://app.test/cb",
                                   "https://app.test/c",
                                   ""}) {
    EXPECT_EQ(matchRedirectUri(client, variant), std::nullopt) << variant;
  }
  std::string with_nul = "https://app.test/cb";
  with_nul.push_back('\0');
  EXPECT_EQ(matchRedirectUri(client, with_nul), std::nullopt);
  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb" + std::string(100000, 'a')),
            std::nullopt);
}

TEST(RedirectUriMatchTest, KeepsARegisteredQueryExact) {
  ClientMetadata client = clientWith({"https://app.test/cb?a=1"});

  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb?a=1"), "https://app.test/cb?a=1");
  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb?a=2"), std::nullopt);
  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb?a=1&b=2"), std::nullopt);
  EXPECT_EQ(matchRedirectUri(client, "https://app.test/cb"), std::nullopt);
}

TEST(RedirectUriMatchTest, AcceptsAnyPortOnAPortlessLoopbackRegistration) {
  ClientMetadata client =
      clientWith({"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb"});

  EXPECT_EQ(matchRedirectUri(client, "http://127.0.0.1:53211/cb"), "http://127.0.0.1:53211/cb");
  EXPECT_EQ(matchRedirectUri(client, "http://[::1]:8080/cb"), "http://[::1]:8080/cb");
  EXPECT_EQ(matchRedirectUri(client, "http://localhost:1/cb"), "http://localhost:1/cb");
  EXPECT_EQ(matchRedirectUri(client, "http://localhost:65535/cb"), "http://localhost:65535/cb");
  EXPECT_EQ(matchRedirectUri(client, "http://127.0.0.1/cb"), "http://127.0.0.1/cb");
}

TEST(RedirectUriMatchTest, RequiresEverythingButThePortToMatchOnLoopback) {
  ClientMetadata client = clientWith({"http://127.0.0.1/cb"});

  for (std::string_view variant : {"http://127.0.0.1:53211/cb?x=1",
                                   "http://127.0.0.1:53211/other",
                                   "http://127.0.0.1:53211/cb/",
                                   "https://127.0.0.1/cb",
                                   "https://127.0.0.1:53211/cb",
                                   "http://127.0.0.2/cb",
                                   "http://127.0.0.2:53211/cb",
                                   "http://localhost:53211/cb",
                                   "http://[::1]:53211/cb",
                                   "http://127.0.0.1.evil.example/cb",
                                   "http://127.0.0.1.evil.example:80/cb",
                                   "http://127.0.0.1:80@evil.example/cb",
                                   "http://127.0.0.1:/cb",
                                   "http://127.0.0.1:0/cb",
                                   "http://127.0.0.1:65536/cb",
                                   "http://127.0.0.1:080/cb",
                                   "http://127.0.0.1:80:80/cb",
                                   "http://127.0.0.1:8x/cb",
                                   "http://127.0.0.1:53211/cb#f",
                                   "HTTP://127.0.0.1:53211/cb"}) {
    EXPECT_EQ(matchRedirectUri(client, variant), std::nullopt) << variant;
  }
}

TEST(RedirectUriMatchTest, NeverTreatsALoopbackRequestAsMatchingANonLoopbackRegistration) {
  EXPECT_EQ(matchRedirectUri(clientWith({"https://app.test/cb"}), "http://127.0.0.1/cb"),
            std::nullopt);
  ClientMetadata with_port = clientWith({"http://localhost:8080/cb"});
  EXPECT_EQ(matchRedirectUri(with_port, "http://localhost:8080/cb"), "http://localhost:8080/cb");
  EXPECT_EQ(matchRedirectUri(with_port, "http://localhost:9090/cb"), std::nullopt);
}

// Matching at the end-session endpoint (RP-Initiated Logout 1.0 §3).

TEST(PostLogoutRedirectUriMatchTest, MatchesOnlyTheRegisteredPostLogoutUrisExactly) {
  ClientMetadata client = clientWith({"https://app.test/cb"});
  client.post_logout_redirect_uris = {"https://app.test/bye", "https://app.test/bye?x=1"};

  EXPECT_EQ(matchPostLogoutRedirectUri(client, "https://app.test/bye"), "https://app.test/bye");
  EXPECT_EQ(matchPostLogoutRedirectUri(client, "https://app.test/bye?x=1"),
            "https://app.test/bye?x=1");
  for (std::string_view variant :
       {"https://app.test/cb", "https://app.test/bye/", "https://APP.test/bye",
        "https://app.test/bye?x=2", "https://app.test/bye#f", "https://app.test.evil.test/bye",
        "https://app.test:443/bye", "http://app.test/bye", ""}) {
    EXPECT_EQ(matchPostLogoutRedirectUri(client, variant), std::nullopt) << variant;
  }
}

TEST(PostLogoutRedirectUriMatchTest, AcceptsAnyPortOnAPortlessLoopbackRegistrationOnly) {
  ClientMetadata client = clientWith({});
  client.post_logout_redirect_uris = {"http://127.0.0.1/bye"};

  EXPECT_EQ(matchPostLogoutRedirectUri(client, "http://127.0.0.1:53211/bye"),
            "http://127.0.0.1:53211/bye");
  EXPECT_EQ(matchPostLogoutRedirectUri(client, "http://127.0.0.1:53211/other"), std::nullopt);
  EXPECT_EQ(matchPostLogoutRedirectUri(client, "http://localhost:53211/bye"), std::nullopt);
}

TEST(PostLogoutRedirectUriMatchTest, HasNoDefaultAndIgnoresTheRedirectUris) {
  ClientMetadata client = clientWith({"https://app.test/cb"});

  EXPECT_EQ(matchPostLogoutRedirectUri(client, "https://app.test/cb"), std::nullopt);
}

TEST(PostLogoutRedirectUriRegistrationTest, NamesThePostLogoutUriInItsErrors) {
  auto checked = validateRedirectUri(ApplicationType::Web, "http://example.com/bye", "example.com",
                                     kPostLogoutRedirectUriField);

  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, OAuthErrorCode::InvalidRedirectUri);
  EXPECT_EQ(checked.error().description, "post_logout_redirect_uri must use https");
}

// Shared URI helpers.

TEST(HttpsUriHostTest, ReturnsTheLowercaseHostOfAnHttpsUri) {
  EXPECT_EQ(httpsUriHost("https://Example.COM:8443/x?y#z").value_or(""), "example.com");
}

TEST(HttpsUriHostTest, RefusesIpAddressesLoopbackAndBareTopLevelDomains) {
  for (std::string_view uri :
       {"https://127.0.0.1/", "https://[::1]/", "https://localhost/", "https://app.localhost/",
        "https://com/", "https://10.0.0.1/", "http://example.com/", "https://user@example.com/",
        "example.com", "https://example.com:99999/"}) {
    EXPECT_FALSE(httpsUriHost(uri).has_value()) << uri;
  }
}

TEST(HttpsUriHostTest, TreatsOnlyDotSeparatedSuffixesAsSubdomains) {
  EXPECT_TRUE(isHostOrSubdomain("example.com", "example.com"));
  EXPECT_TRUE(isHostOrSubdomain("a.b.example.com", "example.com"));
  EXPECT_FALSE(isHostOrSubdomain("badexample.com", "example.com"));
  EXPECT_FALSE(isHostOrSubdomain("example.com", "a.example.com"));
  EXPECT_FALSE(isHostOrSubdomain(".example.com", "example.com"));
}

}  // namespace
}  // namespace mxauth::oauth
