#include "oauth/pkce.h"

#include <algorithm>

#include "core/encoding.h"
#include "crypto/constant_time.h"
#include "crypto/hash.h"

namespace mxauth::oauth {
namespace {

bool isAlphanumeric(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool isValidCodeVerifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  return std::all_of(verifier.begin(), verifier.end(), [](char c) {
    return isAlphanumeric(c) || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

bool isValidCodeChallenge(std::string_view challenge) {
  if (challenge.size() != 43) return false;
  return std::all_of(challenge.begin(), challenge.end(),
                     [](char c) { return isAlphanumeric(c) || c == '-' || c == '_'; });
}

std::string pkceS256Challenge(std::string_view verifier) {
  crypto::Sha256Digest digest = crypto::sha256(verifier);
  return core::base64UrlEncode(digest);
}

bool verifyPkceS256(std::string_view verifier, std::string_view challenge) {
  if (!isValidCodeVerifier(verifier) || !isValidCodeChallenge(challenge)) return false;
  return crypto::constantTimeEquals(pkceS256Challenge(verifier), challenge);
}

}  // namespace mxauth::oauth
