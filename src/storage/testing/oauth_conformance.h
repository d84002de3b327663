#pragma once

#include <string>
#include <string_view>

#include "domain/oauth.h"
#include "storage/oauth_repositories.h"
#include "storage/testing/conformance.h"

// Fixture and builders shared by the OAuth repositories' conformance tests
// (oauth_*_conformance_test.cpp). Every builder commits what it adds and
// fails the test when storage refuses it.
namespace mxauth::test {

class OAuthConformanceTest : public MigratedDatabaseTest {
 protected:
  // A stand-in for the SHA-256 hex of a token or code: storage never sees
  // the secret itself, only a 64-character hex string.
  static std::string fakeHash(std::string_view label);

  domain::OAuthClient addClient(std::string_view metadata_json = R"({"client_name":"x"})");
  domain::BrowserSession addBrowserSession(const domain::User& user);
  domain::OAuthSession addSession(const domain::OAuthClient& client, const domain::User& user,
                                  std::optional<std::string> device_id = std::nullopt);
  domain::AuthorizationGrant addGrant(const domain::OAuthClient& client);
  // A grant fulfilled for `user` with the given code hash, under a new
  // OAuth session and browser session.
  domain::AuthorizationGrant addFulfilledGrant(const domain::OAuthClient& client,
                                               const domain::User& user,
                                               std::string_view code_hash);
  domain::AccessToken addAccessToken(const domain::OAuthSession& session,
                                     std::string_view token_hash);
  domain::RefreshToken addRefreshToken(const domain::OAuthSession& session,
                                       std::string_view token_hash,
                                       const domain::AccessToken& access_token);
};

}  // namespace mxauth::test
