#include "templates/html_check.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mxauth::templates {
namespace {

constexpr std::array<std::string_view, 14> kVoidElements = {
    "area",  "base", "br",   "col",    "embed", "hr",  "img",
    "input", "link", "meta", "source", "track", "wbr", "param"};

bool isVoid(std::string_view name) {
  return std::find(kVoidElements.begin(), kVoidElements.end(), name) != kVoidElements.end();
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }

bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Character references must be complete ("&amp;", "&#39;"): a bare '&'
// suggests text that skipped escaping.
bool isCharacterReference(std::string_view text) {
  std::size_t i = 1;
  if (i < text.size() && text[i] == '#') ++i;
  const std::size_t start = i;
  while (i < text.size() && std::isalnum(static_cast<unsigned char>(text[i])) != 0) ++i;
  return i > start && i < text.size() && text[i] == ';';
}

struct Tag {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;
  bool self_closing = false;

  const std::string* attribute(std::string_view name_wanted) const {
    for (const auto& [name_, value] : attributes) {
      if (name_ == name_wanted) return &value;
    }
    return nullptr;
  }
};

// Parses the tag starting at html[pos] == '<' (not a closing tag); sets pos
// past its '>'. Returns a problem or empty.
std::optional<std::string> parseTag(std::string_view html, std::size_t& pos, Tag& tag) {
  std::size_t i = pos + 1;
  const std::size_t name_start = i;
  while (i < html.size() && isNameChar(html[i])) ++i;
  if (i == name_start) return "a '<' that does not start a tag";
  tag.name = lower(html.substr(name_start, i - name_start));
  while (true) {
    while (i < html.size() && isSpace(html[i])) ++i;
    if (i >= html.size()) return "unterminated <" + tag.name + ">";
    if (html[i] == '>') {
      ++i;
      break;
    }
    if (html[i] == '/' && i + 1 < html.size() && html[i + 1] == '>') {
      tag.self_closing = true;
      i += 2;
      break;
    }
    const std::size_t attr_start = i;
    while (i < html.size() && !isSpace(html[i]) && html[i] != '=' && html[i] != '>' &&
           html[i] != '/' && html[i] != '"' && html[i] != '\'' && html[i] != '<') {
      ++i;
    }
    if (i == attr_start) return "malformed attribute in <" + tag.name + ">";
    std::string attr_name = lower(html.substr(attr_start, i - attr_start));
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      if (i >= html.size() || html[i] != '"') {
        return "unquoted value of " + attr_name + " in <" + tag.name + ">";
      }
      const std::size_t close = html.find('"', i + 1);
      if (close == std::string_view::npos) return "unterminated attribute value";
      value = std::string(html.substr(i + 1, close - i - 1));
      if (value.find('<') != std::string::npos) {
        return "'<' inside the value of " + attr_name + " in <" + tag.name + ">";
      }
      i = close + 1;
      if (i < html.size() && !isSpace(html[i]) && html[i] != '>' && html[i] != '/') {
        return "no space after attribute " + attr_name + " in <" + tag.name + ">";
      }
    }
    for (const auto& existing : tag.attributes) {
      if (existing.first == attr_name) return "duplicate attribute " + attr_name;
    }
    tag.attributes.emplace_back(std::move(attr_name), std::move(value));
  }
  pos = i;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> checkHtml(std::string_view html) {
  constexpr std::string_view kDoctype = "<!doctype html>";
  if (lower(html.substr(0, kDoctype.size())) != kDoctype) return "missing <!DOCTYPE html>";
  std::size_t pos = kDoctype.size();
  std::vector<std::string> open;
  std::set<std::string> input_ids;
  std::set<std::string> label_targets;
  bool saw_html = false;
  while (pos < html.size()) {
    const char c = html[pos];
    if (c == '&') {
      if (!isCharacterReference(html.substr(pos))) return "a bare '&' in text";
      ++pos;
      continue;
    }
    if (c != '<') {
      ++pos;
      continue;
    }
    if (html.substr(pos, 4) == "<!--") {
      const std::size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) return "unterminated comment";
      pos = end + 3;
      continue;
    }
    if (html.substr(pos, 2) == "</") {
      const std::size_t end = html.find('>', pos);
      if (end == std::string_view::npos) return "unterminated closing tag";
      const std::string name = lower(html.substr(pos + 2, end - pos - 2));
      if (open.empty()) return "</" + name + "> without an open element";
      if (open.back() != name) return "</" + name + "> closes <" + open.back() + ">";
      open.pop_back();
      pos = end + 1;
      continue;
    }
    Tag tag;
    if (auto problem = parseTag(html, pos, tag)) return problem;
    if (tag.name == "html") {
      saw_html = true;
      if (const std::string* lang = tag.attribute("lang"); lang == nullptr || lang->empty()) {
        return "<html> without a lang attribute";
      }
    }
    if (tag.attribute("style") != nullptr) return "inline style attribute on <" + tag.name + ">";
    if (tag.name == "style") return "inline <style> element";
    for (const auto& [name, value] : tag.attributes) {
      if (name.size() > 2 && name.substr(0, 2) == "on") return "inline event handler " + name;
    }
    if (tag.name == "input") {
      const std::string* type = tag.attribute("type");
      const std::string* id = tag.attribute("id");
      if (type == nullptr) return "<input> without a type";
      if (*type != "hidden") {
        if (id == nullptr) return "visible <input> without an id for its label";
        input_ids.insert(*id);
      }
    }
    if (tag.name == "label") {
      if (const std::string* target = tag.attribute("for")) label_targets.insert(*target);
    }
    if (tag.name == "script") {
      if (tag.attribute("src") == nullptr) return "inline <script>";
      const std::size_t end = html.find("</script>", pos);
      if (end != pos) return "<script src> with content";
    }
    if (tag.name == "img" && tag.attribute("alt") == nullptr) return "<img> without alt";
    if (!isVoid(tag.name) && !tag.self_closing) open.push_back(tag.name);
  }
  if (!saw_html) return "no <html> element";
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  for (const std::string& id : input_ids) {
    if (!label_targets.contains(id)) return "input #" + id + " has no <label for>";
  }
  return std::nullopt;
}

}  // namespace mxauth::templates
