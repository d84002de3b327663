#include "oauth/pkce.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::oauth {
namespace {

// RFC 7636 Appendix B.
constexpr std::string_view kRfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view kRfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(Pkce, ComputesTheChallengeOfTheRfcExample) {
  EXPECT_EQ(pkceS256Challenge(kRfcVerifier), kRfcChallenge);
}

TEST(Pkce, AcceptsTheVerifierThatMatchesTheChallenge) {
  EXPECT_TRUE(verifyPkceS256(kRfcVerifier, kRfcChallenge));
}

TEST(Pkce, RejectsAWrongVerifier) {
  std::string other(kRfcVerifier);
  other.back() = 'Y';
  EXPECT_FALSE(verifyPkceS256(other, kRfcChallenge));
}

TEST(Pkce, RejectsTheChallengeSentAsItsOwnVerifierAsPlainWouldAllow) {
  EXPECT_FALSE(verifyPkceS256(kRfcChallenge, kRfcChallenge));
}

TEST(Pkce, VerifierMustBeBetween43And128Characters) {
  EXPECT_FALSE(isValidCodeVerifier(std::string(42, 'a')));
  EXPECT_TRUE(isValidCodeVerifier(std::string(43, 'a')));
  EXPECT_TRUE(isValidCodeVerifier(std::string(128, 'a')));
  EXPECT_FALSE(isValidCodeVerifier(std::string(129, 'a')));
}

TEST(Pkce, RejectsLengthBoundaryVerifiersEvenWhenTheirChallengeMatches) {
  std::string short_verifier(42, 'a');
  std::string long_verifier(129, 'a');
  EXPECT_FALSE(verifyPkceS256(short_verifier, pkceS256Challenge(short_verifier)));
  EXPECT_FALSE(verifyPkceS256(long_verifier, pkceS256Challenge(long_verifier)));
}

TEST(Pkce, VerifierAllowsOnlyUnreservedCharacters) {
  EXPECT_TRUE(isValidCodeVerifier(std::string(40, 'A') + "-._~"));
  for (char bad : {'+', '/', '=', ' ', '%', '!', '\0'}) {
    std::string verifier(43, 'a');
    verifier[10] = bad;
    EXPECT_FALSE(isValidCodeVerifier(verifier)) << "character " << int(bad);
    EXPECT_FALSE(verifyPkceS256(verifier, pkceS256Challenge(verifier)));
  }
}

TEST(Pkce, ChallengeMustBe43Base64UrlCharacters) {
  EXPECT_TRUE(isValidCodeChallenge(kRfcChallenge));
  EXPECT_FALSE(isValidCodeChallenge(std::string(kRfcChallenge) + "="));
  EXPECT_FALSE(isValidCodeChallenge(kRfcChallenge.substr(1)));
  std::string standard_alphabet(kRfcChallenge);
  standard_alphabet[0] = '+';
  EXPECT_FALSE(isValidCodeChallenge(standard_alphabet));
  EXPECT_FALSE(isValidCodeChallenge(std::string(43, '.')));
}

}  // namespace
}  // namespace mxauth::oauth
