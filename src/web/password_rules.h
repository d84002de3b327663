#pragma once

// The floor a new password must clear at registration (and later at
// password change): NIST SP 800-63B §5.1.1.2 in small — a minimum length and
// a block-list — rather than composition rules.

#include <optional>
#include <string>
#include <string_view>

#include "templates/pages.h"

namespace mxauth::web {

using templates::Text;

inline constexpr std::size_t kMinPasswordLength = 8;  // characters, not bytes

// Why `password` is refused, in words for the form; empty when it is
// acceptable. Refused: fewer than kMinPasswordLength characters, one
// character repeated, the username itself (case-insensitively), or one of
// the most common passwords.
std::optional<templates::Text> passwordProblem(std::string_view password,
                                               std::string_view username);

}  // namespace mxauth::web
