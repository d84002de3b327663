#pragma once

// User codes of the device authorization grant (RFC 8628 §6.1, security
// checklist H.53): 8 letters from a 20-letter alphabet of consonants, so
// that no two letters look alike (no I/1/L confusion: there is no I, no O,
// no digit) and no word can be spelt by accident. 20^8 ≈ 2.6 × 10^10 codes
// (34.6 bits), which together with the entry page's rate limit and the
// codes' 20-minute life puts guessing out of reach.
//
// Codes are shown grouped ("BCDF-GHJK") and accepted the way people type
// them: any case, with or without the dash, spaces around the groups.

#include <optional>
#include <string>
#include <string_view>

#include "core/rng.h"

namespace mxauth::oauth {

inline constexpr std::string_view kUserCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";
inline constexpr std::size_t kUserCodeLength = 8;

// A uniformly drawn code, normalised (8 letters, no dash).
std::string generateUserCode(Rng& rng);

// What a person typed, normalised: ASCII letters upper-cased, spaces and
// dashes dropped. Empty when what remains is not 8 letters of the
// alphabet.
std::optional<std::string> normalizeUserCode(std::string_view typed);

// "BCDFGHJK" → "BCDF-GHJK" (a normalised code; anything else unchanged).
std::string displayUserCode(std::string_view code);

}  // namespace mxauth::oauth
