#pragma once

// Templates are translated when they are loaded, not per request: a tag
// {{t:key}} in a template is replaced by the message `key` of a language
// (resources/i18n/), so that each language has its own compiled template
// set and rendering looks nothing up. A message's placeholders {name}
// become mustache variables {{name}}, escaped at render like every value.

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "i18n/catalogue.h"

namespace mxauth::templates {

enum class TemplateKind {
  Html,       // the message is HTML-escaped; its inline <strong>/<code> stay markup
  PlainText,  // e-mail subjects and text parts: the message as text, markup removed
};

// The template with every {{t:key}} replaced by the message of `language`.
// An unknown key, or an unterminated tag, is an error naming `file`.
Result<std::string, std::string> translateTemplate(std::string_view text,
                                                   const i18n::Catalogue& catalogue,
                                                   std::string_view language, std::string_view file,
                                                   TemplateKind kind);

// Words written into a template instead of coming from the catalogue: the
// first run of letters left once mustache tags ({{…}}), markup (<…>, except
// the text of the alt, title, placeholder and aria-label attributes),
// character references (&nbsp;) and comments are removed; nullopt when
// there is none. For the check that every word a user reads is translated.
std::optional<std::string> untranslatedText(std::string_view text, TemplateKind kind);

}  // namespace mxauth::templates
