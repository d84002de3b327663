#include <gtest/gtest.h>

#include <chrono>

#include "core/ulid.h"
#include "storage/testing/oauth_conformance.h"

// AuthorizationGrantRepository (storage/oauth_repositories.h): the
// authorization code's single use (RFC 6749 §4.1.2; checklist C.19).
namespace mxauth::test {
namespace {

using namespace std::chrono_literals;
using storage::StorageErrorCode;

const domain::AuthorizationGrantId kUnknownGrant("01ARZ3NDEKTSV4RRFFQ69G5FAV");

class AuthorizationGrantConformanceTest : public OAuthConformanceTest {};

TEST_P(AuthorizationGrantConformanceTest, StoresEveryRequestParameterAsAPendingGrant) {
  domain::OAuthClient client = addClient();
  auto tx = begin();
  storage::NewAuthorizationGrant request;
  request.client_id = client.id;
  request.redirect_uri = "http://127.0.0.1/callback";
  request.scope = "openid urn:matrix:client:api:* urn:matrix:client:device:ABCDEFGHIJ";
  request.state = "st\xC3\xA4te";
  request.nonce = "n-0S6_WzA2Mj";
  request.response_mode = domain::ResponseMode::FormPost;
  request.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  request.login_hint = "mxid:@alice:example.org";
  request.prompt = "consent";
  request.max_age = 3600;

  auto added = tx->authorizationGrants().add(rng_, clock_, request);

  ASSERT_TRUE(added.has_value()) << added.error().detail;
  EXPECT_TRUE(core::isUlid(added->id.str()));
  EXPECT_EQ(added->created_at, clock_.now());
  EXPECT_TRUE(added->isPending());
  EXPECT_FALSE(added->isExchangeable());
  auto found = tx->authorizationGrants().lookup(added->id);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ(**found, *added);
  EXPECT_EQ((*found)->redirect_uri, request.redirect_uri);
  EXPECT_EQ((*found)->scope, request.scope);
  EXPECT_EQ((*found)->state, request.state);
  EXPECT_EQ((*found)->nonce, request.nonce);
  EXPECT_EQ((*found)->response_mode, domain::ResponseMode::FormPost);
  EXPECT_EQ((*found)->code_challenge, request.code_challenge);
  EXPECT_EQ((*found)->login_hint, request.login_hint);
  EXPECT_EQ((*found)->prompt, request.prompt);
  EXPECT_EQ((*found)->max_age, 3600);
}

TEST_P(AuthorizationGrantConformanceTest, EveryResponseModeAndAbsentOptionRoundTrips) {
  domain::OAuthClient client = addClient();
  auto tx = begin();
  for (domain::ResponseMode mode : {domain::ResponseMode::Query, domain::ResponseMode::Fragment,
                                    domain::ResponseMode::FormPost}) {
    storage::NewAuthorizationGrant request;
    request.client_id = client.id;
    request.redirect_uri = "https://app.example.org/cb";
    request.scope = "openid";
    request.response_mode = mode;

    auto added = tx->authorizationGrants().add(rng_, clock_, request);

    ASSERT_TRUE(added.has_value()) << added.error().detail;
    auto found = tx->authorizationGrants().lookup(added->id);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ(**found, *added);
    EXPECT_EQ((*found)->response_mode, mode);
    EXPECT_FALSE((*found)->state || (*found)->nonce || (*found)->code_challenge ||
                 (*found)->login_hint || (*found)->prompt || (*found)->max_age);
  }
}

TEST_P(AuthorizationGrantConformanceTest, AGrantForAnUnknownClientIsAConstraintViolation) {
  auto tx = begin();
  storage::NewAuthorizationGrant request;
  request.client_id = domain::ClientId("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  request.redirect_uri = "https://app.example.org/cb";

  auto added = tx->authorizationGrants().add(rng_, clock_, request);
  // Refused at once (SQLite) or at the commit (PostgreSQL sends the insert
  // with it).
  auto committed =
      added ? tx->commit() : Result<void, storage::StorageError>(unexpected(added.error()));

  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, StorageErrorCode::Constraint);
  if (added) {
    auto check = begin(storage::TransactionMode::ReadOnly);
    EXPECT_FALSE(check->authorizationGrants().lookup(added->id)->has_value());
  }
}

TEST_P(AuthorizationGrantConformanceTest, FulfillingAPendingGrantBindsCodeSessionAndUser) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant grant = addGrant(client);
  domain::BrowserSession browser = addBrowserSession(alice);
  domain::OAuthSession session = addSession(client, alice);
  clock_.advance(30s);
  auto tx = begin();

  auto fulfilled = tx->authorizationGrants().fulfill(clock_, grant.id, fakeHash("code"), session.id,
                                                     browser.id, alice.id);

  ASSERT_TRUE(fulfilled.has_value()) << fulfilled.error().detail;
  ASSERT_TRUE(fulfilled->has_value());
  const domain::AuthorizationGrant& after = **fulfilled;
  EXPECT_EQ(after.fulfilled_at, clock_.now());
  EXPECT_EQ(after.code_hash, fakeHash("code"));
  EXPECT_EQ(after.session_id, session.id);
  EXPECT_EQ(after.browser_session_id, browser.id);
  EXPECT_EQ(after.user_id, alice.id);
  EXPECT_EQ(after.created_at, grant.created_at);
  EXPECT_FALSE(after.isPending());
  EXPECT_TRUE(after.isExchangeable());
  EXPECT_EQ(**tx->authorizationGrants().lookup(grant.id), after);
}

TEST_P(AuthorizationGrantConformanceTest, OnlyAPendingGrantCanBeFulfilled) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant fulfilled = addFulfilledGrant(client, alice, fakeHash("code"));
  domain::AuthorizationGrant cancelled = addGrant(client);
  auto tx = begin();
  ASSERT_TRUE(*tx->authorizationGrants().cancel(clock_, cancelled.id));

  auto again = tx->authorizationGrants().fulfill(clock_, fulfilled.id, fakeHash("other"),
                                                 *fulfilled.session_id,
                                                 *fulfilled.browser_session_id, alice.id);
  auto after_cancel = tx->authorizationGrants().fulfill(clock_, cancelled.id, fakeHash("third"),
                                                        *fulfilled.session_id,
                                                        *fulfilled.browser_session_id, alice.id);
  auto unknown = tx->authorizationGrants().fulfill(clock_, kUnknownGrant, fakeHash("fourth"),
                                                   *fulfilled.session_id,
                                                   *fulfilled.browser_session_id, alice.id);

  ASSERT_TRUE(again && after_cancel && unknown);
  EXPECT_FALSE(again->has_value());
  EXPECT_FALSE(after_cancel->has_value());
  EXPECT_FALSE(unknown->has_value());
  EXPECT_EQ((*tx->authorizationGrants().lookup(fulfilled.id))->code_hash, fakeHash("code"));
}

TEST_P(AuthorizationGrantConformanceTest, ACodeHashAlreadyInUseIsAConflict) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant first = addFulfilledGrant(client, alice, fakeHash("code"));
  domain::AuthorizationGrant second = addGrant(client);
  auto tx = begin();

  auto clash = tx->authorizationGrants().fulfill(
      clock_, second.id, fakeHash("code"), *first.session_id, *first.browser_session_id, alice.id);

  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().code, StorageErrorCode::Conflict);
}

TEST_P(AuthorizationGrantConformanceTest, ACodeIsExchangedExactlyOnce) {
  domain::AuthorizationGrant grant =
      addFulfilledGrant(addClient(), addUser("alice"), fakeHash("code"));
  clock_.advance(5s);
  auto tx = begin();

  auto first = tx->authorizationGrants().exchange(clock_, fakeHash("code"));
  auto replay = tx->authorizationGrants().exchange(clock_, fakeHash("code"));

  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->id, grant.id);
  EXPECT_EQ((*first)->exchanged_at, clock_.now());
  EXPECT_FALSE((*first)->isExchangeable());
  ASSERT_TRUE(replay.has_value());
  EXPECT_FALSE(replay->has_value());
}

// The code exchange's one statement: the single use, and the session the
// code made (whatever its state: the caller checks it) with its user.
TEST_P(AuthorizationGrantConformanceTest, AnExchangeBringsTheSessionAndUserOfTheCode) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant grant = addFulfilledGrant(client, alice, fakeHash("code"));
  domain::AuthorizationGrant ended = addFulfilledGrant(client, alice, fakeHash("ended"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, *ended.session_id));
    ASSERT_TRUE(tx->commit());
  }
  clock_.advance(5s);
  auto tx = begin();

  auto first = tx->authorizationGrants().exchangeLockingSession(clock_, fakeHash("code"));
  auto replay = tx->authorizationGrants().exchangeLockingSession(clock_, fakeHash("code"));
  auto unknown = tx->authorizationGrants().exchangeLockingSession(clock_, fakeHash("unknown"));
  auto of_ended = tx->authorizationGrants().exchangeLockingSession(clock_, fakeHash("ended"));

  ASSERT_TRUE(first && first->has_value()) << (first ? "" : first.error().detail);
  EXPECT_EQ((*first)->grant.id, grant.id);
  EXPECT_EQ((*first)->grant.exchanged_at, clock_.now());
  EXPECT_FALSE((*first)->grant.isExchangeable());
  ASSERT_TRUE((*first)->session.has_value());
  EXPECT_EQ(*(*first)->session, **tx->oauthSessions().lookup(*grant.session_id));
  EXPECT_TRUE((*first)->session->isActive());
  EXPECT_EQ((*first)->user, alice);
  ASSERT_TRUE(replay && unknown);
  EXPECT_FALSE(replay->has_value());
  EXPECT_FALSE(unknown->has_value());
  ASSERT_TRUE(of_ended && of_ended->has_value());
  ASSERT_TRUE((*of_ended)->session.has_value());
  EXPECT_FALSE((*of_ended)->session->isActive());
  // Used up in this transaction as exchange() would have done it.
  EXPECT_TRUE((*tx->authorizationGrants().findByCodeHash(fakeHash("ended")))->exchanged_at);
}

TEST_P(AuthorizationGrantConformanceTest, ExchangeIsRefusedAcrossTransactionsToo) {
  addFulfilledGrant(addClient(), addUser("alice"), fakeHash("code"));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("code"))->has_value());
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin();

  auto replay = tx->authorizationGrants().exchange(clock_, fakeHash("code"));

  ASSERT_TRUE(replay.has_value());
  EXPECT_FALSE(replay->has_value());
}

TEST_P(AuthorizationGrantConformanceTest, UnknownOrCancelledCodesAreNotExchanged) {
  domain::AuthorizationGrant grant =
      addFulfilledGrant(addClient(), addUser("alice"), fakeHash("code"));
  auto tx = begin();
  ASSERT_TRUE(*tx->authorizationGrants().cancel(clock_, grant.id));

  auto cancelled = tx->authorizationGrants().exchange(clock_, fakeHash("code"));
  auto unknown = tx->authorizationGrants().exchange(clock_, fakeHash("never issued"));

  ASSERT_TRUE(cancelled && unknown);
  EXPECT_FALSE(cancelled->has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(AuthorizationGrantConformanceTest, ARolledBackExchangeLeavesTheCodeExchangeable) {
  addFulfilledGrant(addClient(), addUser("alice"), fakeHash("code"));
  {
    auto tx = begin();
    ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("code"))->has_value());
    // Destroyed without commit: the token response was never produced.
  }
  auto tx = begin();

  auto exchanged = tx->authorizationGrants().exchange(clock_, fakeHash("code"));

  ASSERT_TRUE(exchanged.has_value());
  EXPECT_TRUE(exchanged->has_value());
}

TEST_P(AuthorizationGrantConformanceTest, FindsAGrantByCodeHashWhateverItsState) {
  domain::AuthorizationGrant grant =
      addFulfilledGrant(addClient(), addUser("alice"), fakeHash("code"));
  auto tx = begin();
  ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("code"))->has_value());

  auto exchanged = tx->authorizationGrants().findByCodeHash(fakeHash("code"));
  auto unknown = tx->authorizationGrants().findByCodeHash(fakeHash("never issued"));

  ASSERT_TRUE(exchanged && exchanged->has_value());
  EXPECT_EQ((*exchanged)->id, grant.id);
  EXPECT_TRUE((*exchanged)->exchanged_at.has_value());
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(AuthorizationGrantConformanceTest, FindsAGrantByCodeHashWithItsSessionAndUserInOneRead) {
  domain::User alice = addUser("alice");
  domain::AuthorizationGrant grant = addFulfilledGrant(addClient(), alice, fakeHash("code"));
  addFulfilledGrant(addClient(), addUser("bob"), fakeHash("other"));
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->oauthSessions().finish(clock_, *grant.session_id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->authorizationGrants().findByCodeHashWithSubject(fakeHash("code"));
  auto unknown = tx->authorizationGrants().findByCodeHashWithSubject(fakeHash("never issued"));

  ASSERT_TRUE(found && found->has_value()) << (found ? "" : found.error().detail);
  EXPECT_EQ((*found)->grant, **tx->authorizationGrants().findByCodeHash(fakeHash("code")));
  ASSERT_TRUE((*found)->session.has_value());
  EXPECT_EQ(*(*found)->session, **tx->oauthSessions().lookup(*grant.session_id));
  EXPECT_FALSE((*found)->session->isActive());
  EXPECT_EQ((*found)->user, alice);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_FALSE(unknown->has_value());
}

// The consent step reads the grant, the browser session a cookie names
// (joined on the id given: the grant names none yet), its user, and that
// user's consent to the grant's client, and nothing of anyone else's.
TEST_P(AuthorizationGrantConformanceTest, LooksAGrantUpForConsentWithSessionUserAndConsent) {
  domain::User alice = addUser("alice");
  domain::User bob = addUser("bob");
  domain::OAuthClient client = addClient();
  domain::OAuthClient other_client = addClient(R"({"client_name":"other"})");
  domain::AuthorizationGrant grant = addGrant(client);
  domain::BrowserSession alices = addBrowserSession(alice);
  domain::BrowserSession bobs = addBrowserSession(bob);
  domain::BrowserSession finished = addBrowserSession(alice);
  {
    auto tx = begin();
    ASSERT_TRUE(tx->oauthConsents().record(clock_, alice.id, client.id, "openid"));
    ASSERT_TRUE(tx->oauthConsents().record(clock_, alice.id, other_client.id, "email"));
    ASSERT_TRUE(tx->oauthConsents().record(clock_, bob.id, other_client.id, "profile"));
    ASSERT_TRUE(*tx->browserSessions().finish(clock_, finished.id));
    ASSERT_TRUE(tx->commit());
  }
  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto& grants = tx->authorizationGrants();

  auto with_alice = grants.lookupForConsent(grant.id, alices.id);
  auto with_bob = grants.lookupForConsent(grant.id, bobs.id);
  auto with_finished = grants.lookupForConsent(grant.id, finished.id);
  auto without = grants.lookupForConsent(grant.id, std::nullopt);
  auto unknown_session =
      grants.lookupForConsent(grant.id, domain::BrowserSessionId(core::newUlid(rng_, clock_)));
  auto unknown_grant = grants.lookupForConsent(kUnknownGrant, alices.id);

  ASSERT_TRUE(with_alice && with_alice->has_value())
      << (with_alice ? "" : with_alice.error().detail);
  EXPECT_EQ((*with_alice)->grant, **grants.lookup(grant.id));
  ASSERT_TRUE((*with_alice)->browser.has_value());
  EXPECT_EQ((*with_alice)->browser->session, **tx->browserSessions().lookup(alices.id));
  EXPECT_EQ((*with_alice)->browser->user, alice);
  ASSERT_TRUE((*with_alice)->consent.has_value());
  EXPECT_EQ((*with_alice)->consent->user_id, alice.id);
  EXPECT_EQ((*with_alice)->consent->client_id, client.id);
  EXPECT_EQ((*with_alice)->consent->scope, "openid");

  ASSERT_TRUE(with_bob && with_bob->has_value());
  ASSERT_TRUE((*with_bob)->browser.has_value());
  EXPECT_EQ((*with_bob)->browser->user, bob);
  EXPECT_FALSE((*with_bob)->consent.has_value()) << "bob consented to another client only";

  ASSERT_TRUE(with_finished && with_finished->has_value());
  ASSERT_TRUE((*with_finished)->browser.has_value());
  EXPECT_FALSE((*with_finished)->browser->session.isActive());

  for (const auto* bare : {&without, &unknown_session}) {
    ASSERT_TRUE(*bare && (*bare)->has_value());
    EXPECT_EQ((**bare)->grant.id, grant.id);
    EXPECT_FALSE((**bare)->browser.has_value());
    EXPECT_FALSE((**bare)->consent.has_value());
  }
  ASSERT_TRUE(unknown_grant.has_value());
  EXPECT_FALSE(unknown_grant->has_value());
}

// The answer of the consent form: the grant read for update, then fulfilled
// without waiting for the update's answer. A grant that is no longer
// pending is left as it is (the caller read it pending under the lock, so
// that does not happen; the WHERE clause still says so).
TEST_P(AuthorizationGrantConformanceTest, AGrantReadForUpdateIsFulfilledWithoutAnAnswer) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant pending = addGrant(client);
  domain::AuthorizationGrant cancelled = addGrant(client);
  domain::BrowserSession browser = addBrowserSession(alice);
  domain::OAuthSession session = addSession(client, alice);
  domain::OAuthSession other = addSession(client, alice);
  {
    auto tx = begin();
    ASSERT_TRUE(*tx->authorizationGrants().cancel(clock_, cancelled.id));
    ASSERT_TRUE(tx->commit());
  }
  {
    auto tx = begin();
    auto found = tx->authorizationGrants().lookupForConsentForUpdate(pending.id, browser.id);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_TRUE((*found)->grant.isPending());
    ASSERT_TRUE((*found)->browser.has_value());
    EXPECT_EQ((*found)->browser->user, alice);
    ASSERT_TRUE(tx->authorizationGrants().fulfillLocked(clock_, pending.id, fakeHash("code"),
                                                        session.id, browser.id, alice.id));
    ASSERT_TRUE(tx->authorizationGrants().fulfillLocked(clock_, cancelled.id, fakeHash("late"),
                                                        other.id, browser.id, alice.id));
    ASSERT_TRUE(tx->commit());
  }

  auto tx = begin(storage::TransactionMode::ReadOnly);
  auto fulfilled = tx->authorizationGrants().lookup(pending.id);
  auto untouched = tx->authorizationGrants().lookup(cancelled.id);
  ASSERT_TRUE(fulfilled && fulfilled->has_value());
  EXPECT_TRUE((*fulfilled)->isExchangeable());
  EXPECT_EQ((*fulfilled)->fulfilled_at, clock_.now());
  EXPECT_EQ((*fulfilled)->code_hash, fakeHash("code"));
  EXPECT_EQ((*fulfilled)->session_id, session.id);
  EXPECT_EQ((*fulfilled)->browser_session_id, browser.id);
  EXPECT_EQ((*fulfilled)->user_id, alice.id);
  ASSERT_TRUE(untouched && untouched->has_value());
  EXPECT_FALSE((*untouched)->fulfilled_at.has_value());
  EXPECT_FALSE((*untouched)->code_hash.has_value());
  EXPECT_FALSE(tx->authorizationGrants().findByCodeHash(fakeHash("late"))->has_value());
}

TEST_P(AuthorizationGrantConformanceTest, CancellationEndsAGrantNotYetExchangedOrCancelled) {
  domain::User alice = addUser("alice");
  domain::OAuthClient client = addClient();
  domain::AuthorizationGrant pending = addGrant(client);
  domain::AuthorizationGrant exchanged = addFulfilledGrant(client, alice, fakeHash("code"));
  auto tx = begin();
  ASSERT_TRUE(tx->authorizationGrants().exchange(clock_, fakeHash("code"))->has_value());

  auto first = tx->authorizationGrants().cancel(clock_, pending.id);
  auto second = tx->authorizationGrants().cancel(clock_, pending.id);
  auto after_exchange = tx->authorizationGrants().cancel(clock_, exchanged.id);
  auto unknown = tx->authorizationGrants().cancel(clock_, kUnknownGrant);

  ASSERT_TRUE(first && second && after_exchange && unknown);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_FALSE(*after_exchange);
  EXPECT_FALSE(*unknown);
  auto found = tx->authorizationGrants().lookup(pending.id);
  EXPECT_EQ((*found)->cancelled_at, clock_.now());
  EXPECT_FALSE((*found)->isPending());
  EXPECT_FALSE((*tx->authorizationGrants().lookup(exchanged.id))->cancelled_at.has_value());
}

TEST_P(AuthorizationGrantConformanceTest, LookingUpAnUnknownGrantAnswersEmpty) {
  auto tx = begin(storage::TransactionMode::ReadOnly);

  auto found = tx->authorizationGrants().lookup(kUnknownGrant);

  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuthorizationGrantConformanceTest,
                         ::testing::Values(test::Backend::Sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AuthorizationGrantConformanceTest,
                         ::testing::Values(test::Backend::Postgres));

}  // namespace
}  // namespace mxauth::test
