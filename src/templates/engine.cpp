#include "templates/engine.h"

#include <limits>

namespace mxauth::templates {
namespace {

constexpr std::string_view kMustacheOpen = "{{";
constexpr std::string_view kMustacheClose = "}}";

std::string_view trimTagContents(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

bool isBlankLine(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

void appendHtmlEscaped(std::string& out, std::string_view text) {
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
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

void Value::set(std::string_view name, Value value) {
  for (auto& [key, member] : members_) {
    if (key == name) {
      member = std::move(value);
      return;
    }
  }
  members_.emplace_back(std::string(name), std::move(value));
}

const Value* Value::find(std::string_view name) const {
  if (kind_ != Kind::Object) return nullptr;
  for (const auto& [key, member] : members_) {
    if (key == name) return &member;
  }
  return nullptr;
}

Result<Template, std::string> Template::compile(std::string source, Escape escape) {
  if (source.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return unexpected(std::string("template too large"));
  }
  Template compiled;
  compiled.source_ = std::move(source);
  compiled.escape_ = escape;
  const std::string_view text = compiled.source_;
  std::vector<Instruction>& program = compiled.program_;
  const auto at = [](std::size_t offset) { return static_cast<std::uint32_t>(offset); };

  // Text between tags: runs of characters, each line end its own
  // instruction, since rendering works line by line.
  const auto addText = [&](std::size_t from, std::size_t to) {
    while (from < to) {
      const std::size_t eol = text.find_first_of("\r\n", from);
      if (eol == std::string_view::npos || eol >= to) {
        program.push_back({Op::Literal, at(from), at(to - from), 0});
        return;
      }
      if (eol > from) program.push_back({Op::Literal, at(from), at(eol - from), 0});
      const std::size_t length = text.compare(eol, 2, "\r\n") == 0 ? 2 : 1;
      program.push_back({Op::LineEnd, at(eol), at(length), 0});
      from = eol + length;
    }
  };

  std::vector<std::size_t> open_sections;  // indexes into program
  std::size_t position = 0;
  while (position < text.size()) {
    const std::size_t open = text.find(kMustacheOpen, position);
    if (open == std::string_view::npos) {
      addText(position, text.size());
      break;
    }
    addText(position, open);
    const std::size_t close = text.find(kMustacheClose, open + kMustacheOpen.size());
    if (close == std::string_view::npos) {
      return unexpected("unclosed tag at " + std::to_string(open));
    }
    std::string_view contents =
        trimTagContents(text.substr(open + kMustacheOpen.size(), close - open - 2));
    position = close + kMustacheClose.size();
    const char sigil = contents.empty() ? '\0' : contents.front();
    if (sigil == '!') continue;
    if (sigil == '{' || sigil == '&' || sigil == '=' || sigil == '>') {
      return unexpected("unsupported tag {{" + std::string(contents) + "}} at " +
                        std::to_string(open));
    }
    const bool prefixed = sigil == '#' || sigil == '^' || sigil == '/';
    const std::string_view name = prefixed ? trimTagContents(contents.substr(1)) : contents;
    if (name.empty()) return unexpected("empty tag at " + std::to_string(open));
    const auto name_at = static_cast<std::size_t>(name.data() - text.data());
    switch (sigil) {
      case '#':
      case '^':
        open_sections.push_back(program.size());
        program.push_back(
            {sigil == '#' ? Op::Section : Op::InvertedSection, at(name_at), at(name.size()), 0});
        break;
      case '/': {
        if (open_sections.empty()) {
          return unexpected("unopened section \"" + std::string(name) + "\" at " +
                            std::to_string(open));
        }
        Instruction& section = program[open_sections.back()];
        const std::string_view opened = text.substr(section.begin, section.length);
        if (opened != name) {
          return unexpected("section \"" + std::string(opened) + "\" closed by \"" +
                            std::string(name) + "\" at " + std::to_string(open));
        }
        section.end = at(program.size());
        open_sections.pop_back();
        break;
      }
      default:
        program.push_back({Op::Variable, at(name_at), at(name.size()), 0});
    }
  }
  if (!open_sections.empty()) {
    const Instruction& section = program[open_sections.back()];
    return unexpected("unclosed section \"" +
                      std::string(text.substr(section.begin, section.length)) + "\"");
  }
  return compiled;
}

// One render: the output so far, the line being built (dropped at its end
// when it held a section tag and nothing else), and the context stack.
class Template::Renderer {
 public:
  Renderer(const Template& tmpl, const Value& root) : tmpl_(tmpl) {
    stack_.push_back(&root);
    out_.reserve(tmpl.source_.size() + tmpl.source_.size() / 2);
  }

  std::string run() {
    renderRange(0, tmpl_.program_.size());
    endLine({});
    return std::move(out_);
  }

 private:
  std::string_view textOf(const Instruction& instruction) const {
    return std::string_view(tmpl_.source_).substr(instruction.begin, instruction.length);
  }

  const Value* lookup(std::string_view name) const {
    if (name == ".") return stack_.back();
    for (std::size_t depth = stack_.size(); depth-- > 0;) {
      const Value* value = stack_[depth];
      std::string_view rest = name;
      while (value != nullptr) {
        const std::size_t dot = rest.find('.');
        value = value->find(rest.substr(0, dot));
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
      }
      if (value != nullptr) return value;
    }
    return nullptr;
  }

  void endLine(std::string_view newline) {
    if (!(line_held_section_ && isBlankLine(line_))) {
      out_ += line_;
      out_ += newline;
    }
    line_.clear();
    line_held_section_ = false;
  }

  void renderRange(std::size_t from, std::size_t to) {
    for (std::size_t index = from; index < to; ++index) {
      const Instruction& instruction = tmpl_.program_[index];
      switch (instruction.op) {
        case Op::Literal:
          line_ += textOf(instruction);
          break;
        case Op::LineEnd:
          endLine(textOf(instruction));
          break;
        case Op::Variable:
          if (const Value* value = lookup(textOf(instruction));
              value != nullptr && value->kind() == Value::Kind::String) {
            if (tmpl_.escape_ == Escape::Html) {
              appendHtmlEscaped(line_, value->text());
            } else {
              line_ += value->text();
            }
          }
          break;
        case Op::Section: {
          const Value* value = lookup(textOf(instruction));
          if (value != nullptr && !value->isFalse() && !value->isEmptyList()) {
            renderSection(index + 1, instruction.end, value);
          }
          index = instruction.end - 1;
          break;
        }
        case Op::InvertedSection: {
          const Value* value = lookup(textOf(instruction));
          if (value == nullptr || value->isFalse() || value->isEmptyList()) {
            renderSection(index + 1, instruction.end, value);
          }
          index = instruction.end - 1;
          break;
        }
      }
    }
  }

  void renderOnce(std::size_t from, std::size_t to, const Value* context) {
    line_held_section_ = true;  // the opening tag
    if (context != nullptr) stack_.push_back(context);
    renderRange(from, to);
    if (context != nullptr) stack_.pop_back();
    line_held_section_ = true;  // the closing tag
  }

  void renderSection(std::size_t from, std::size_t to, const Value* value) {
    if (value != nullptr && value->kind() == Value::Kind::List && !value->items().empty()) {
      for (const Value& item : value->items()) renderOnce(from, to, &item);
      return;
    }
    renderOnce(from, to, value);
  }

  const Template& tmpl_;
  std::vector<const Value*> stack_;
  std::string out_;
  std::string line_;
  bool line_held_section_ = false;
};

std::string Template::render(const Value& data) const { return Renderer(*this, data).run(); }

}  // namespace mxauth::templates
