#include "storage/testing/oauth_conformance.h"

#include <chrono>
#include <utility>

#include "core/encoding.h"

namespace mxauth::test {
namespace {

using namespace std::chrono_literals;

// The value of a builder's step, or a recorded failure and an empty value,
// so that a refused step fails the test instead of crashing it.
template <class T>
T unwrap(Result<T, storage::StorageError> result, std::string_view what) {
  if (!result) {
    ADD_FAILURE() << what << ": " << storage::toString(result.error().code) << ": "
                  << result.error().detail;
    return T{};
  }
  return std::move(*result);
}

void commit(storage::Transaction& tx) {
  auto committed = tx.commit();
  if (!committed) ADD_FAILURE() << "commit: " << committed.error().detail;
}

}  // namespace

std::string OAuthConformanceTest::fakeHash(std::string_view label) {
  std::string hex = core::hexEncode(label);
  hex.resize(64, '0');
  return hex;
}

domain::OAuthClient OAuthConformanceTest::addClient(std::string_view metadata_json) {
  auto tx = begin();
  storage::NewOAuthClient client;
  client.metadata_json = std::string(metadata_json);
  auto added = unwrap(tx->oauthClients().add(rng_, clock_, client), "add client");
  commit(*tx);
  return added;
}

domain::BrowserSession OAuthConformanceTest::addBrowserSession(const domain::User& user) {
  auto tx = begin();
  auto added = unwrap(tx->browserSessions().add(rng_, clock_, {user.id, "test-agent", "192.0.2.1"}),
                      "add browser session");
  commit(*tx);
  return added;
}

domain::OAuthSession OAuthConformanceTest::addSession(const domain::OAuthClient& client,
                                                      const domain::User& user,
                                                      std::optional<std::string> device_id) {
  auto tx = begin();
  storage::NewOAuthSession session;
  session.client_id = client.id;
  session.user_id = user.id;
  session.scope = "openid urn:matrix:client:api:*";
  session.device_id = std::move(device_id);
  session.user_agent = "test-agent";
  session.authenticated_at = clock_.now();
  auto added = unwrap(tx->oauthSessions().add(rng_, clock_, session), "add session");
  commit(*tx);
  return added;
}

domain::AuthorizationGrant OAuthConformanceTest::addGrant(const domain::OAuthClient& client) {
  auto tx = begin();
  storage::NewAuthorizationGrant grant;
  grant.client_id = client.id;
  grant.redirect_uri = "https://app.example.org/callback";
  grant.scope = "openid urn:matrix:client:api:*";
  grant.state = "state-1";
  grant.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  auto added = unwrap(tx->authorizationGrants().add(rng_, clock_, grant), "add grant");
  commit(*tx);
  return added;
}

domain::AuthorizationGrant OAuthConformanceTest::addFulfilledGrant(
    const domain::OAuthClient& client, const domain::User& user, std::string_view code_hash) {
  domain::AuthorizationGrant grant = addGrant(client);
  domain::BrowserSession browser = addBrowserSession(user);
  domain::OAuthSession session = addSession(client, user);
  auto tx = begin();
  auto fulfilled = unwrap(tx->authorizationGrants().fulfill(clock_, grant.id, code_hash, session.id,
                                                            browser.id, user.id),
                          "fulfil grant");
  commit(*tx);
  if (!fulfilled) {
    ADD_FAILURE() << "the new grant was not pending";
    return grant;
  }
  return *fulfilled;
}

domain::AccessToken OAuthConformanceTest::addAccessToken(const domain::OAuthSession& session,
                                                         std::string_view token_hash) {
  auto tx = begin();
  auto added =
      unwrap(tx->accessTokens().add(rng_, clock_, session.id, token_hash, clock_.now() + 5min),
             "add access token");
  commit(*tx);
  return added;
}

domain::RefreshToken OAuthConformanceTest::addRefreshToken(
    const domain::OAuthSession& session, std::string_view token_hash,
    const domain::AccessToken& access_token) {
  auto tx = begin();
  auto added = unwrap(
      tx->refreshTokens().add(rng_, clock_, session.id, token_hash, access_token.id, std::nullopt),
      "add refresh token");
  commit(*tx);
  return added;
}

}  // namespace mxauth::test
