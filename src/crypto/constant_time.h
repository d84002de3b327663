#pragma once

// Comparison of secrets in time that does not depend on where they differ
// (security checklist G.48): client secrets, CSRF tokens, PKCE hashes,
// password hashes. Built on OpenSSL's CRYPTO_memcmp.

#include <cstdint>
#include <span>
#include <string_view>

namespace mxauth::crypto {

// True when `a` and `b` hold the same bytes. The running time depends only on
// the lengths; inputs of different lengths are unequal at once (lengths of
// the values compared here are not secret: they are fixed by their format).
bool constantTimeEquals(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool constantTimeEquals(std::string_view a, std::string_view b);

}  // namespace mxauth::crypto
