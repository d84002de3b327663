#include "i18n/catalogue.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>

namespace mxauth::i18n {

std::span<const core::EmbeddedFile> embeddedCatalogueFiles();

namespace {

constexpr std::string_view kJsonExtension = ".json";

bool isPlaceholderChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

bool isKey(std::string_view key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  return std::all_of(key.begin(), key.end(),
                     [](char c) { return isPlaceholderChar(c) || c == '.'; });
}

bool isLanguageName(std::string_view name) {
  if (name.size() < 2 || name.size() > 35) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// The inline markup a message may hold, for the templates that show it;
// translate() removes it from text for C++ callers.
constexpr std::array<std::string_view, 4> kInlineTags = {"<strong>", "</strong>", "<code>",
                                                         "</code>"};

std::size_t countOf(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t pos = text.find(part); pos != std::string_view::npos;
       pos = text.find(part, pos + part.size())) {
    ++count;
  }
  return count;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += "{" + name + "}";
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string withoutMarkup(std::string_view message) {
  std::string out(message);
  for (const std::string_view tag : kInlineTags) {
    for (std::size_t pos = out.find(tag); pos != std::string::npos; pos = out.find(tag, pos)) {
      out.erase(pos, tag.size());
    }
  }
  return out;
}

std::vector<std::string> placeholders(std::string_view message) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = message.find('{', pos)) != std::string_view::npos) {
    std::size_t end = pos + 1;
    while (end < message.size() && isPlaceholderChar(message[end])) ++end;
    if (end < message.size() && end > pos + 1 && message[end] == '}') {
      names.emplace_back(message.substr(pos + 1, end - pos - 1));
      pos = end + 1;
    } else {
      pos = pos + 1;
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string substitute(std::string_view message, const Args& args) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = message.find('{', pos);
    if (open == std::string_view::npos) break;
    std::size_t end = open + 1;
    while (end < message.size() && isPlaceholderChar(message[end])) ++end;
    if (end < message.size() && end > open + 1 && message[end] == '}') {
      const std::string_view name = message.substr(open + 1, end - open - 1);
      const auto arg =
          std::find_if(args.begin(), args.end(), [&](const Arg& a) { return a.name == name; });
      out.append(message.substr(pos, open - pos));
      if (arg != args.end()) {
        out.append(arg->value);
      } else {
        out.append(message.substr(open, end + 1 - open));
      }
      pos = end + 1;
    } else {
      out.append(message.substr(pos, open + 1 - pos));
      pos = open + 1;
    }
  }
  out.append(message.substr(pos));
  return out;
}

Result<Catalogue, std::string> Catalogue::load() { return loadFrom(embeddedCatalogueFiles()); }

Result<Catalogue, std::string> Catalogue::loadFrom(std::span<const core::EmbeddedFile> files) {
  Catalogue catalogue;
  for (const core::EmbeddedFile& file : files) {
    const std::string_view name = file.name;
    if (name.size() <= kJsonExtension.size() ||
        name.substr(name.size() - kJsonExtension.size()) != kJsonExtension) {
      return unexpected("i18n/" + std::string(name) + ": a catalogue is named <language>.json");
    }
    const std::string language(name.substr(0, name.size() - kJsonExtension.size()));
    if (!isLanguageName(language)) {
      return unexpected("i18n/" + std::string(name) +
                        ": the language must be a lower-case tag such as \"fr\" or \"pt-br\"");
    }
    boost::system::error_code error;
    const boost::json::value parsed = boost::json::parse(file.contents, error);
    if (error) {
      return unexpected("i18n/" + std::string(name) + ": not valid JSON: " + error.message());
    }
    if (!parsed.is_object()) {
      return unexpected("i18n/" + std::string(name) + ": must be one JSON object of messages");
    }
    Messages messages;
    for (const auto& entry : parsed.as_object()) {
      const std::string key(entry.key());
      if (!isKey(key)) {
        return unexpected("language " + language + ", key \"" + key +
                          "\": keys are made of a-z, 0-9, '_' and '.'");
      }
      if (!entry.value().is_string() || entry.value().as_string().empty()) {
        return unexpected("language " + language + ", key " + key +
                          ": the message must be a non-empty string");
      }
      std::string text(entry.value().as_string());
      if (text.find("{{") != std::string::npos || text.find("}}") != std::string::npos) {
        return unexpected("language " + language + ", key " + key +
                          ": a message may not contain \"{{\" or \"}}\"");
      }
      messages.emplace(key, std::move(text));
    }
    catalogue.messages_.emplace(language, std::move(messages));
  }
  const auto english = catalogue.messages_.find(kDefaultLanguage);
  if (english == catalogue.messages_.end()) {
    return unexpected(std::string("i18n: the English catalogue en.json is missing"));
  }
  for (const auto& [language, messages] : catalogue.messages_) {
    if (language == kDefaultLanguage) continue;
    for (const auto& [key, text] : english->second) {
      const auto found = messages.find(key);
      if (found == messages.end()) {
        return unexpected("language " + language + ", key " + key + ": missing");
      }
      const std::vector<std::string> expected = placeholders(text);
      const std::vector<std::string> actual = placeholders(found->second);
      if (expected != actual) {
        return unexpected("language " + language + ", key " + key + ": placeholders " +
                          joined(actual) + " differ from English " + joined(expected));
      }
      for (const std::string_view tag : kInlineTags) {
        if (countOf(text, tag) != countOf(found->second, tag)) {
          return unexpected("language " + language + ", key " + key + ": the markup " +
                            std::string(tag) + " differs from English");
        }
      }
    }
    for (const auto& [key, text] : messages) {
      if (!english->second.contains(key)) {
        return unexpected("language " + language + ", key " + key + ": not in English (en.json)");
      }
    }
  }
  catalogue.languages_.emplace_back(kDefaultLanguage);
  for (const auto& [language, messages] : catalogue.messages_) {
    if (language != kDefaultLanguage) catalogue.languages_.push_back(language);
  }
  return catalogue;
}

bool Catalogue::supports(std::string_view language) const {
  return messages_.find(language) != messages_.end();
}

const std::string* Catalogue::find(std::string_view language, std::string_view key) const {
  auto messages = messages_.find(language);
  if (messages == messages_.end()) messages = messages_.find(kDefaultLanguage);
  if (messages == messages_.end()) return nullptr;
  const auto found = messages->second.find(key);
  return found == messages->second.end() ? nullptr : &found->second;
}

std::string Catalogue::translate(std::string_view language, std::string_view key,
                                 const Args& args) const {
  const std::string* text = find(language, key);
  if (text == nullptr) return std::string(kMissingMessage) + std::string(key) + "]";
  return substitute(withoutMarkup(*text), args);
}

std::string Catalogue::translate(std::string_view language, const Message& message) const {
  if (message.isVerbatim()) return message.text();
  if (message.nested().empty()) return translate(language, message.key(), message.args());
  Args args = message.args();
  for (std::size_t i = 0; i < message.nested().size(); ++i) {
    args.push_back(Arg{message.nestedNames()[i], translate(language, message.nested()[i])});
  }
  return translate(language, message.key(), args);
}

std::vector<std::string> Catalogue::keys() const {
  std::vector<std::string> out;
  const auto english = messages_.find(kDefaultLanguage);
  if (english == messages_.end()) return out;
  for (const auto& [key, text] : english->second) out.push_back(key);
  return out;
}

}  // namespace mxauth::i18n
