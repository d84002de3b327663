#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

// The template engine of the pages and e-mails: the part of Mustache our
// templates use, compiled once into a flat program and rendered without
// locks or allocation beyond the output.
//
//   {{name}} {{a.b}} {{.}}   a string value, escaped (other values print nothing)
//   {{#name}}…{{/name}}      rendered for each item of a non-empty list, or
//                            once with the value on top of the context
//                            stack unless it is false or an empty list
//   {{^name}}…{{/name}}      rendered when the name is missing, false or an
//                            empty list
//   {{! comment }}
//
// Partials are expanded before compiling (templates.cpp), and unescaped
// output ({{{…}}}, {{&…}}) and delimiter changes are refused there.
//
// Names are looked up from the innermost context outwards; a dotted name
// must resolve completely within one context. A line that held a section
// tag of a rendered section and is otherwise blank is dropped, so that
// section tags on lines of their own leave no blank lines behind.
namespace mxauth::templates {

// What a template reads: text, a flag, a list, or an object of named
// values (the default).
class Value {
 public:
  enum class Kind : std::uint8_t { Object, List, String, Bool };

  Value() = default;                                    // an empty object
  Value(bool flag) : kind_(Kind::Bool), flag_(flag) {}  // NOLINT(google-explicit-constructor)
  Value(std::string text)                               // NOLINT(google-explicit-constructor)
      : kind_(Kind::String), text_(std::move(text)) {}
  Value(std::string_view text) : Value(std::string(text)) {}  // NOLINT
  Value(const char* text) : Value(std::string(text)) {}       // NOLINT

  static Value list() {
    Value value;
    value.kind_ = Kind::List;
    return value;
  }

  Kind kind() const { return kind_; }
  // Sets (or replaces) a member of an object.
  void set(std::string_view name, Value value);
  // Appends an item to a list.
  void append(Value value) { items_.push_back(std::move(value)); }

  // The member `name` of an object; null for a missing name or a value
  // that is not an object.
  const Value* find(std::string_view name) const;
  const std::string& text() const { return text_; }
  const std::vector<Value>& items() const { return items_; }
  bool isFalse() const { return kind_ == Kind::Bool && !flag_; }
  bool isEmptyList() const { return kind_ == Kind::List && items_.empty(); }

 private:
  Kind kind_ = Kind::Object;
  bool flag_ = false;
  std::string text_;
  std::vector<Value> items_;                            // lists
  std::vector<std::pair<std::string, Value>> members_;  // objects, in insertion order
};

enum class Escape : std::uint8_t { Html, None };

// A compiled template. Rendering is const and thread-safe.
class Template {
 public:
  // Compiles `source`; the message says what is wrong and where.
  static Result<Template, std::string> compile(std::string source, Escape escape = Escape::Html);

  std::string render(const Value& data) const;

 private:
  enum class Op : std::uint8_t { Literal, LineEnd, Variable, Section, InvertedSection };
  struct Instruction {
    Op op;
    // Offsets into source_: the text, or the tag's name.
    std::uint32_t begin;
    std::uint32_t length;
    // Sections: the index just past the section's last instruction.
    std::uint32_t end;
  };
  class Renderer;

  std::string source_;
  std::vector<Instruction> program_;
  Escape escape_ = Escape::Html;
};

}  // namespace mxauth::templates
