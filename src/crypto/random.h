#pragma once

// Random byte strings from the injected Rng (design §12), for salts, nonces,
// secrets and PKCE verifiers.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"

namespace mxauth::crypto {

std::vector<std::uint8_t> randomBytes(Rng& rng, std::size_t n);

// `n` random bytes, base64url-encoded without padding (RFC 4648 §5): the
// form used for client secrets, CSRF tokens and PKCE verifiers.
std::string randomUrlSafeString(Rng& rng, std::size_t n);

}  // namespace mxauth::crypto
