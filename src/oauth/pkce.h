#pragma once

// Proof Key for Code Exchange (RFC 7636), S256 only: `plain` gives no
// protection against an intercepted authorization request and is refused
// (RFC 9700 §2.1.1, security checklist B.8).

#include <string>
#include <string_view>

namespace mxauth::oauth {

// RFC 7636 §4.1: 43 to 128 characters of [A-Z] [a-z] [0-9] "-" "." "_" "~".
bool isValidCodeVerifier(std::string_view verifier);

// RFC 7636 §4.2 with S256: BASE64URL(SHA-256(verifier)) without padding,
// i.e. exactly 43 base64url characters.
bool isValidCodeChallenge(std::string_view challenge);

// The S256 challenge of a verifier (for tests and for clients we drive).
std::string pkceS256Challenge(std::string_view verifier);

// RFC 7636 §4.6: true when `verifier` is well formed and its S256 challenge
// equals `challenge`, compared in constant time.
bool verifyPkceS256(std::string_view verifier, std::string_view challenge);

}  // namespace mxauth::oauth
