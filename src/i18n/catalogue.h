#pragma once

// The message catalogues: one flat JSON object per language in
// resources/i18n/<lang>.json (key → message), compiled into the binary and
// validated once at start. English (en.json) is the reference: every other
// language has exactly its keys, and each of its messages has exactly the
// placeholders ({seconds}, {user_id}) of the English one. A catalogue that
// breaks a rule does not load, and the error names the language and key.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/embedded_file.h"
#include "core/result.h"
#include "i18n/message.h"

namespace mxauth::i18n {

inline constexpr std::string_view kDefaultLanguage = "en";
// What translate() gives for a key no catalogue has: "[missing message: key]",
// so that a mistyped key shows in every test that renders it.
inline constexpr std::string_view kMissingMessage = "[missing message: ";

class Catalogue {
 public:
  // The catalogues compiled into the binary.
  static Result<Catalogue, std::string> load();
  // From other files named "<lang>.json" (tests of the validation).
  static Result<Catalogue, std::string> loadFrom(std::span<const core::EmbeddedFile> files);

  // The languages, English first, then by tag ("en", "fr").
  const std::vector<std::string>& languages() const { return languages_; }
  bool supports(std::string_view language) const;

  // The message `key` of `language`, as text (inline markup removed), with
  // its placeholders replaced by the arguments; English when the language is unknown; the key
  // itself when the key is unknown (handlers only use keys of the catalogue, and the tests render
  // them). A placeholder without an argument stays as written.
  std::string translate(std::string_view language, std::string_view key,
                        const Args& args = {}) const;
  std::string translate(std::string_view language, const Message& message) const;
  // The raw message, or nullptr.
  const std::string* find(std::string_view language, std::string_view key) const;
  // Every key, sorted.
  std::vector<std::string> keys() const;

  // The supported language for a request (RFC 4647 §3.4 lookup): the first
  // tag of `ui_locales` (OIDC Core §3.1.2.1, space-separated, in order of
  // preference) that a catalogue serves, else the best of the
  // Accept-Language header (q-values; "fr-CA" falls back to "fr"; "*" is
  // the default), else English. Malformed entries are skipped.
  std::string negotiate(std::string_view accept_language, std::string_view ui_locales = {}) const;
  // The first tag of `ui_locales` that a catalogue serves (by the same
  // lookup), or nullopt.
  std::optional<std::string> uiLocalesChoice(std::string_view ui_locales) const;

 private:
  using Messages = std::map<std::string, std::string, std::less<>>;
  std::map<std::string, Messages, std::less<>> messages_;
  std::vector<std::string> languages_;
};

// The message without its inline markup (<strong>, <code>: the only tags a
// message may hold, shown by the page templates; each language has the
// same ones as English).
std::string withoutMarkup(std::string_view message);

// The names of the placeholders of a message ("Wait {seconds}" → seconds),
// sorted, without repeats. A placeholder is '{' + [a-z0-9_.]+ + '}'.
std::vector<std::string> placeholders(std::string_view message);
// The message with each {name} replaced by its argument.
std::string substitute(std::string_view message, const Args& args);

// The Accept-Language ranges in order of preference (q-values, then
// order), lower-cased, without q=0 and malformed entries; "*" is kept.
std::vector<std::string> languageRanges(std::string_view accept_language);

}  // namespace mxauth::i18n
