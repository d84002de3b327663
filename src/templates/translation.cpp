#include "templates/translation.h"

#include <array>

namespace mxauth::templates {
namespace {

constexpr std::string_view kTagOpen = "{{t:";
constexpr std::string_view kTagClose = "}}";
constexpr std::array<std::string_view, 4> kKeptMarkup = {"<strong>", "</strong>", "<code>",
                                                         "</code>"};
// Attributes whose value a person reads (or hears).
constexpr std::array<std::string_view, 4> kTextAttributes = {"alt", "title", "placeholder",
                                                             "aria-label"};

bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

void appendEscaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

// The message as template text: escaped (keeping the inline markup) for
// HTML, and each {name} turned into {{name}}.
std::string templateText(std::string_view message, TemplateKind kind) {
  std::string escaped;
  if (kind == TemplateKind::PlainText) {
    escaped = i18n::withoutMarkup(message);
  } else {
    std::size_t pos = 0;
    while (pos < message.size()) {
      bool kept = false;
      for (const std::string_view tag : kKeptMarkup) {
        if (message.substr(pos, tag.size()) == tag) {
          escaped += tag;
          pos += tag.size();
          kept = true;
          break;
        }
      }
      if (!kept) appendEscaped(escaped, message.substr(pos++, 1));
    }
  }
  const std::vector<std::string> names = i18n::placeholders(escaped);
  std::string out = escaped;
  for (const std::string& name : names) {
    const std::string from = "{" + name + "}";
    const std::string to = "{{" + name + "}}";
    for (std::size_t pos = out.find(from); pos != std::string::npos;
         pos = out.find(from, pos + to.size())) {
      // Skip a placeholder that is already part of a {{tag}}.
      if (pos > 0 && out[pos - 1] == '{') {
        ++pos;
        continue;
      }
      out.replace(pos, from.size(), to);
    }
  }
  return out;
}

std::string_view textAttributeValue(std::string_view tag, std::size_t& pos) {
  // `pos` is at the start of an attribute name inside a tag.
  std::size_t end = pos;
  while (end < tag.size() && tag[end] != '=' && tag[end] != ' ' && tag[end] != '>') ++end;
  const std::string_view name = tag.substr(pos, end - pos);
  pos = end;
  if (end >= tag.size() || tag[end] != '=' || end + 1 >= tag.size() || tag[end + 1] != '"') {
    return {};
  }
  const std::size_t close = tag.find('"', end + 2);
  if (close == std::string_view::npos) return {};
  const std::string_view value = tag.substr(end + 2, close - end - 2);
  pos = close + 1;
  for (const std::string_view attribute : kTextAttributes) {
    if (name == attribute) return value;
  }
  return {};
}

std::optional<std::string> firstWord(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!isLetter(text[i])) continue;
    std::string word;
    for (std::size_t end = i; end < text.size() && text[end] != '\n' && word.size() < 60; ++end) {
      if (text[end] == ' ' && (word.empty() || word.back() == ' ')) continue;
      word += text[end];
    }
    while (!word.empty() && word.back() == ' ') word.pop_back();
    return word;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string, std::string> translateTemplate(std::string_view text,
                                                   const i18n::Catalogue& catalogue,
                                                   std::string_view language, std::string_view file,
                                                   TemplateKind kind) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = text.find(kTagOpen, pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find(kTagClose, open);
    if (close == std::string_view::npos) {
      return unexpected(std::string(file) + ": unterminated {{t:…}} tag");
    }
    const std::string_view key =
        text.substr(open + kTagOpen.size(), close - open - kTagOpen.size());
    const std::string* message = catalogue.find(language, key);
    if (message == nullptr) {
      return unexpected(std::string(file) + ": unknown message key \"" + std::string(key) + "\"");
    }
    out.append(text.substr(pos, open - pos));
    out.append(templateText(*message, kind));
    pos = close + kTagClose.size();
  }
  out.append(text.substr(pos));
  return out;
}

std::optional<std::string> untranslatedText(std::string_view text, TemplateKind kind) {
  std::string visible;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos, 2) == "{{") {
      const std::size_t close = text.find("}}", pos);
      if (close == std::string_view::npos) break;
      pos = close + 2;
      visible += ' ';
    } else if (kind == TemplateKind::Html && text.substr(pos, 4) == "<!--") {
      const std::size_t close = text.find("-->", pos);
      if (close == std::string_view::npos) break;
      pos = close + 3;
    } else if (kind == TemplateKind::Html && text[pos] == '<') {
      // A tag: only the values of the text attributes count. Mustache tags
      // inside it are removed first.
      std::size_t close = pos;
      std::string tag;
      while (close < text.size() && text[close] != '>') {
        if (text.substr(close, 2) == "{{") {
          const std::size_t end = text.find("}}", close);
          if (end == std::string_view::npos) break;
          close = end + 2;
          tag += ' ';
          continue;
        }
        tag += text[close++];
      }
      pos = close + 1;
      std::size_t at = tag.find(' ');
      while (at != std::string::npos && at < tag.size()) {
        while (at < tag.size() && tag[at] == ' ') ++at;
        if (at >= tag.size()) break;
        const std::size_t before = at;
        const std::string_view value = textAttributeValue(tag, at);
        visible += ' ';
        visible += value;
        if (at == before) ++at;
      }
      visible += ' ';
    } else if (kind == TemplateKind::Html && text[pos] == '&') {
      const std::size_t semicolon = text.find(';', pos);
      if (semicolon != std::string_view::npos && semicolon - pos <= 10) {
        pos = semicolon + 1;
      } else {
        visible += text[pos++];
      }
    } else {
      visible += text[pos++];
    }
  }
  return firstWord(visible);
}

}  // namespace mxauth::templates
