#pragma once

// Pure parsers for the untrusted parts of a request line and body: the
// request target (RFC 9112 §3.2), query strings and
// application/x-www-form-urlencoded bodies (WHATWG URL §5.1), and the Cookie
// header (RFC 6265 §5.4). None of them throws or allocates without bound
// beyond the size of its input, so each can be fuzzed on its own.
//
// Decoded text is always valid UTF-8 without NUL: a value that would decode
// to anything else is refused, because later stages (SQL parameters, HTML
// templates, JSON) must not have to think about it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace mxauth::http {

enum class ParseError {
  Malformed,               // not the shape the grammar allows
  WrongContentType,        // body is not application/x-www-form-urlencoded
  InvalidPercentEncoding,  // '%' not followed by two hex digits
  InvalidUtf8,             // decodes to bytes that are not UTF-8
  NulCharacter,            // decodes to U+0000
  DuplicateParameter,      // a parameter that must appear once appears again
};

// A short English description, safe to show to clients.
std::string_view describe(ParseError error);

// Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
// above U+10FFFF.
bool isValidUtf8(std::string_view text);

// Ordered, multi-valued name/value pairs from a query string or a form body.
class FormParams {
 public:
  using Entry = std::pair<std::string, std::string>;

  FormParams() = default;
  explicit FormParams(std::vector<Entry> entries) : entries_(std::move(entries)) {}

  // The first value of `name`.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> getAll(std::string_view name) const;
  std::size_t count(std::string_view name) const;
  bool contains(std::string_view name) const { return count(name) > 0; }

  // The value of `name` if it appears at most once; DuplicateParameter if it
  // appears more often. RFC 6749 §3.1: "Request and response parameters MUST
  // NOT be included more than once."
  Result<std::optional<std::string_view>, ParseError> getUnique(std::string_view name) const;

  // The first name that appears more than once, if any.
  std::optional<std::string_view> firstDuplicate() const;

  void add(std::string name, std::string value);
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// Decodes %XX escapes; with `plus_is_space`, '+' becomes ' ' (form rules).
Result<std::string, ParseError> percentDecode(std::string_view text, bool plus_is_space);

// Parses "a=1&b=2&a=3" with form rules. Empty segments ("a=1&&b=2") are
// skipped; a segment without '=' is a name with an empty value.
Result<FormParams, ParseError> parseUrlEncoded(std::string_view text);

// Percent-encodes everything outside RFC 3986 unreserved characters, so the
// result is safe in a query value, a form body or a path segment.
std::string percentEncode(std::string_view text);

// Builds "a=1&b=2" from pairs, percent-encoding names and values.
std::string encodeUrlEncoded(const std::vector<FormParams::Entry>& entries);

// True when a Content-Type value names application/x-www-form-urlencoded,
// with any parameters (such as "; charset=UTF-8").
bool isFormContentType(std::string_view content_type);

struct RequestTarget {
  std::string path;       // percent-decoded, starts with '/'
  std::string raw_query;  // the text after '?', undecoded ("" when none)
  FormParams query;
};

// Parses an origin-form target ("/a%20b?x=1") or an absolute-form one
// ("http://host/a?x=1", RFC 9112 §3.2.2), whose scheme and authority are
// dropped. '+' in the path stays '+'; in the query it means a space.
Result<RequestTarget, ParseError> parseRequestTarget(std::string_view target);

// One cookie-pair of a Cookie header. The views point into the header text.
struct Cookie {
  std::string_view name;
  std::string_view value;
};

// Parses a Cookie header as RFC 6265 §5.4 tells user agents to send it:
// "a=1; b=2". Pairs without '=' or with an empty name are skipped rather
// than failing the request; a value in double quotes loses the quotes.
std::vector<Cookie> parseCookieHeader(std::string_view header);

}  // namespace mxauth::http
