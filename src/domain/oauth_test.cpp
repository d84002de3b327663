#include "domain/oauth.h"

#include <gtest/gtest.h>

#include <chrono>

#include "core/testing/fakes.h"

namespace mxauth::domain {
namespace {

using namespace std::chrono_literals;

const Timestamp kNow = test::at("2026-01-01T00:00:00Z");

AuthorizationGrant pendingGrant() {
  AuthorizationGrant grant{};
  grant.id = AuthorizationGrantId("01ARZ3NDEKTSV4RRFFQ69G5FAV");
  grant.created_at = kNow;
  return grant;
}

AuthorizationGrant fulfilledGrant() {
  AuthorizationGrant grant = pendingGrant();
  grant.fulfilled_at = kNow + 10s;
  grant.code_hash = std::string(64, 'a');
  grant.session_id = OAuthSessionId("01ARZ3NDEKTSV4RRFFQ69G5FAW");
  grant.browser_session_id = BrowserSessionId("01ARZ3NDEKTSV4RRFFQ69G5FAX");
  grant.user_id = UserId("01ARZ3NDEKTSV4RRFFQ69G5FAY");
  return grant;
}

TEST(AuthorizationGrantTest, ANewGrantIsPendingAndHasNoCodeToExchange) {
  AuthorizationGrant grant = pendingGrant();

  EXPECT_TRUE(grant.isPending());
  EXPECT_FALSE(grant.isExchangeable());
}

TEST(AuthorizationGrantTest, AFulfilledGrantIsExchangeableUntilExchanged) {
  AuthorizationGrant grant = fulfilledGrant();
  EXPECT_FALSE(grant.isPending());
  EXPECT_TRUE(grant.isExchangeable());

  grant.exchanged_at = kNow + 20s;

  EXPECT_FALSE(grant.isPending());
  EXPECT_FALSE(grant.isExchangeable());
}

TEST(AuthorizationGrantTest, ACancelledGrantIsNeitherPendingNorExchangeable) {
  AuthorizationGrant pending = pendingGrant();
  AuthorizationGrant fulfilled = fulfilledGrant();
  pending.cancelled_at = kNow + 1s;
  fulfilled.cancelled_at = kNow + 1s;

  EXPECT_FALSE(pending.isPending());
  EXPECT_FALSE(pending.isExchangeable());
  EXPECT_FALSE(fulfilled.isPending());
  EXPECT_FALSE(fulfilled.isExchangeable());
}

TEST(BrowserSessionTest, IsActiveUntilFinished) {
  BrowserSession session{};
  EXPECT_TRUE(session.isActive());

  session.finished_at = kNow;

  EXPECT_FALSE(session.isActive());
}

TEST(OAuthSessionTest, IsActiveUntilFinished) {
  OAuthSession session{};
  EXPECT_TRUE(session.isActive());

  session.finished_at = kNow;

  EXPECT_FALSE(session.isActive());
}

TEST(AccessTokenTest, IsValidStrictlyBeforeItsExpiry) {
  AccessToken token{};
  token.created_at = kNow;
  token.expires_at = kNow + 300s;

  EXPECT_TRUE(token.isValidAt(kNow));
  EXPECT_TRUE(token.isValidAt(kNow + 300s - 1ms));
  EXPECT_FALSE(token.isValidAt(kNow + 300s));
  EXPECT_FALSE(token.isValidAt(kNow + 1h));
}

TEST(AccessTokenTest, ARevokedTokenIsInvalidEvenBeforeExpiry) {
  AccessToken token{};
  token.expires_at = kNow + 300s;
  token.revoked_at = kNow + 1s;

  EXPECT_FALSE(token.isValidAt(kNow));
}

TEST(AccessTokenTest, FirstUseDoesNotAffectValidity) {
  AccessToken token{};
  token.expires_at = kNow + 300s;
  token.first_used_at = kNow;

  EXPECT_TRUE(token.isValidAt(kNow + 1s));
}

TEST(RefreshTokenTest, WithoutExpiryIsUsableUntilConsumedOrRevoked) {
  RefreshToken token{};
  token.created_at = kNow;

  EXPECT_TRUE(token.isUsableAt(kNow));
  EXPECT_TRUE(token.isUsableAt(kNow + 24h * 3650));
}

TEST(RefreshTokenTest, IsUsableStrictlyBeforeItsExpiry) {
  RefreshToken token{};
  token.expires_at = kNow + 24h;

  EXPECT_TRUE(token.isUsableAt(kNow + 24h - 1ms));
  EXPECT_FALSE(token.isUsableAt(kNow + 24h));
}

TEST(RefreshTokenTest, AConsumedTokenIsNotUsable) {
  RefreshToken token{};
  token.consumed_at = kNow;
  token.next_refresh_token_id = RefreshTokenId("01ARZ3NDEKTSV4RRFFQ69G5FAV");

  EXPECT_FALSE(token.isUsableAt(kNow + 1s));
}

TEST(RefreshTokenTest, ARevokedTokenIsNotUsable) {
  RefreshToken token{};
  token.revoked_at = kNow;

  EXPECT_FALSE(token.isUsableAt(kNow));
}

TEST(OAuthRecordsTest, EqualityComparesEveryField) {
  AuthorizationGrant a = fulfilledGrant();
  AuthorizationGrant b = fulfilledGrant();
  EXPECT_EQ(a, b);

  b.response_mode = ResponseMode::Fragment;

  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mxauth::domain
