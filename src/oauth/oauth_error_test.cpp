#include "oauth/oauth_error.h"

#include <gtest/gtest.h>

namespace mxauth::oauth {
namespace {

TEST(OAuthError, InvalidClientIs401WithABasicChallenge) {
  http::Response response = errorResponse(oauthError(OAuthErrorCode::InvalidClient, "bad client"));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.headers.get("WWW-Authenticate"), "Basic realm=\"mxauth\"");
  EXPECT_EQ(response.body, R"({"error":"invalid_client","error_description":"bad client"})");
}

TEST(OAuthError, GrantErrorsAre400AndNeverCached) {
  http::Response response = errorResponse(oauthError(OAuthErrorCode::InvalidGrant, "used"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
  EXPECT_FALSE(response.headers.contains("WWW-Authenticate"));
}

TEST(OAuthError, DescriptionIsJsonEscapedAndDetailNeverSent) {
  http::Response response = errorResponse(
      oauthError(OAuthErrorCode::InvalidRequest, "quote \" and \n newline", "internal id 42"));
  EXPECT_EQ(response.body,
            R"({"error":"invalid_request","error_description":"quote \" and \n newline"})");
}

TEST(OAuthError, RegistrationAndDeviceCodesUseTheirRfcNames) {
  EXPECT_EQ(wireName(OAuthErrorCode::InvalidRedirectUri), "invalid_redirect_uri");
  EXPECT_EQ(wireName(OAuthErrorCode::SlowDown), "slow_down");
  EXPECT_EQ(httpStatus(OAuthErrorCode::AuthorizationPending), 400);
  EXPECT_EQ(httpStatus(OAuthErrorCode::InvalidToken), 401);
}

}  // namespace
}  // namespace mxauth::oauth
