#pragma once

// Small pure helpers for browser navigation: where a form may send the user
// next, and which languages the browser prefers.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxauth::web {

// `next` if it is a path on this server that is safe to redirect to after a
// form: starts with a single '/', no "//" or "/\" prefix (which browsers read
// as another host), no backslash, no control characters, at most 2048 bytes.
// Anything else (an absolute URL, "//evil.example", "/\evil.example") gives
// nullopt, so a login can never become an open redirect (RFC 9700 §4.11).
std::optional<std::string> safeLocalPath(std::string_view next);

// The language tags of an Accept-Language header (RFC 9110 §12.5.4), most
// preferred first (by q-value, then order), lower-cased as i18n reads them
// (i18n::languageRanges); "*" and q=0 entries dropped.
// At most 16 tags are kept.
std::vector<std::string> preferredLanguages(std::string_view accept_language);

}  // namespace mxauth::web
