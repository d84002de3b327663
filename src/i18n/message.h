#pragma once

// A message of the catalogue with its arguments: what page contexts and
// handlers hold instead of finished text, so that the page renderer can
// write it in the language of the page (design: docs/languages.md).

#include <string>
#include <utility>
#include <vector>

namespace mxauth::i18n {

// One named argument: the value of the placeholder {name}. Values are
// data (user names, counts, addresses) and are never translated.
struct Arg {
  std::string name;
  std::string value;
};
using Args = std::vector<Arg>;

class Message {
 public:
  Message() = default;
  // The catalogue message `key` ("login.wrong_credentials").
  explicit Message(std::string key, Args args = {})
      : key_(std::move(key)), args_(std::move(args)) {}

  // Text shown as it is, in every language: data such as a session's or a
  // client's name where a page expects a message.
  static Message verbatim(std::string text) {
    Message message;
    message.text_ = std::move(text);
    message.verbatim_ = true;
    return message;
  }

  // Another message as the argument `name`, written in the same language
  // ("Please wait {wait}" with wait = "42 seconds").
  Message&& with(std::string name, Message message) && {
    nested_names_.push_back(std::move(name));
    nested_.push_back(std::move(message));
    return std::move(*this);
  }
  Message& with(std::string name, Message message) & {
    nested_names_.push_back(std::move(name));
    nested_.push_back(std::move(message));
    return *this;
  }

  const std::string& key() const { return key_; }
  const Args& args() const { return args_; }
  const std::vector<std::string>& nestedNames() const { return nested_names_; }
  const std::vector<Message>& nested() const { return nested_; }
  bool isVerbatim() const { return verbatim_; }
  const std::string& text() const { return text_; }
  bool empty() const { return verbatim_ ? text_.empty() : key_.empty(); }

  friend bool operator==(const Message& a, const Message& b) {
    if (a.verbatim_ != b.verbatim_) return false;
    if (a.verbatim_) return a.text_ == b.text_;
    if (a.key_ != b.key_ || a.args_.size() != b.args_.size()) return false;
    if (a.nested_names_ != b.nested_names_ || a.nested_ != b.nested_) return false;
    for (std::size_t i = 0; i < a.args_.size(); ++i) {
      if (a.args_[i].name != b.args_[i].name || a.args_[i].value != b.args_[i].value) {
        return false;
      }
    }
    return true;
  }

 private:
  std::string key_;
  Args args_;
  std::vector<std::string> nested_names_;
  std::vector<Message> nested_;
  std::string text_;
  bool verbatim_ = false;
};

}  // namespace mxauth::i18n
