#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxauth::templates {

// A structural check of generated HTML: a doctype, tags closed in order
// (HTML void elements excepted), quoted attribute values, no inline <script>
// (scripts come only from src=), no inline style attribute, and every input
// with an id has a label. Returns the first problem found, or empty.
std::optional<std::string> checkHtml(std::string_view html);

}  // namespace mxauth::templates
