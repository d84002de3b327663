#pragma once

#include <string_view>

namespace mxauth::domain {

// A deliberately small syntax check for e-mail addresses that users type:
// "local@domain" with exactly one '@'; the local part 1–64 bytes of
// RFC 5322 dot-atom characters (no leading, trailing or doubled dot); the
// domain 1–253 bytes of dot-separated labels (letters, digits, '-', not at
// a label's ends, each 1–63 bytes); the whole at most 254 bytes (RFC 5321
// §4.5.3.1). Quoted local parts and address literals are refused: they are
// legal but almost always typos, and ownership is proven by a mailed code
// anyway.
bool isValidEmailAddress(std::string_view address);

}  // namespace mxauth::domain
