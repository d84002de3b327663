#include "config/schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <set>
#include <utility>

#include "config/values.h"

namespace mxauth::config::schema {
namespace {

// Whether a value may appear in error messages. Secrets never do.
enum class Echo { Value, Never };

std::optional<int> lineOf(const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.line < 0) return std::nullopt;
  return mark.line + 1;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a single value";
  }
  return "something else";
}

// `, got "value"`, escaped and shortened, or nothing for secrets.
std::string got(std::string_view text, Echo echo) {
  if (echo == Echo::Never) return "";
  std::string shown;
  for (char c : text.substr(0, 60)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      shown += '\\';
      shown += c;
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      shown += "\\x";
      shown += kHex[u >> 4];
      shown += kHex[u & 15];
    } else {
      shown += c;
    }
  }
  if (text.size() > 60) shown += "...";
  return ", got \"" + shown + "\"";
}

bool hasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string trim(std::string_view text) {
  std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  std::size_t end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

template <class V>
using Check = std::function<Result<V, std::string>(V)>;

ValueError wrongType(std::string message) {
  return ValueError{std::move(message), std::nullopt, "", ConfigErrorCode::WrongType};
}
ValueError invalid(std::string message) {
  return ValueError{std::move(message), std::nullopt, "", ConfigErrorCode::InvalidValue};
}

// Scalar kinds: how text becomes a value, what YAML null means, and how the
// value is written back.

struct TextKind {
  using Value = std::string;
  std::string_view expected = "a string";
  Result<Value, ValueError> parse(std::string_view text) const { return std::string(text); }
  std::optional<Value> fromNull() const { return Value(); }
  std::string render(const Value& value) const { return quoteYaml(value); }
  Result<void, ValueError> inRange(const Value&) const { return {}; }
};

struct PathKind {
  using Value = std::filesystem::path;
  std::string_view expected = "a path";
  Result<Value, ValueError> parse(std::string_view text) const { return Value(text); }
  std::optional<Value> fromNull() const { return Value(); }
  std::string render(const Value& value) const { return quoteYaml(value.string()); }
  Result<void, ValueError> inRange(const Value&) const { return {}; }
};

// Optional text: null or "" means "not set".
struct OptionalTextKind {
  using Value = std::optional<std::string>;
  std::string_view expected = "a string";
  Result<Value, ValueError> parse(std::string_view text) const {
    if (text.empty()) return Value();
    return Value(std::string(text));
  }
  std::optional<Value> fromNull() const { return Value(); }
  std::string render(const Value& value) const { return value ? quoteYaml(*value) : "null"; }
  Result<void, ValueError> inRange(const Value&) const { return {}; }
};

struct BoolKind {
  using Value = bool;
  std::string_view expected = "true or false";
  Result<Value, ValueError> parse(std::string_view text) const {
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || lower == "yes" || lower == "1") return true;
    if (lower == "false" || lower == "no" || lower == "0") return false;
    return unexpected(wrongType("expected true or false"));
  }
  std::optional<Value> fromNull() const { return std::nullopt; }
  std::string render(Value value) const { return value ? "true" : "false"; }
  Result<void, ValueError> inRange(Value) const { return {}; }
};

Result<std::int64_t, ValueError> parseInteger(std::string_view text, std::int64_t min,
                                              std::int64_t max, std::string_view unit) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  bool digits_only = !text.empty() && ptr == end;
  if (ec == std::errc::invalid_argument || !digits_only) {
    return unexpected(wrongType(unit.empty()
                                    ? "expected an integer"
                                    : "expected an integer number of " + std::string(unit)));
  }
  std::string range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  if (!unit.empty()) range += " " + std::string(unit);
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return unexpected(invalid(range));
  }
  return value;
}

template <class T>
struct IntegerKind {
  using Value = T;
  std::int64_t min;
  std::int64_t max;
  std::string_view expected = "an integer";
  Result<Value, ValueError> parse(std::string_view text) const {
    auto value = parseInteger(text, min, max, "");
    if (!value) return unexpected(value.error());
    return static_cast<T>(*value);
  }
  std::optional<Value> fromNull() const { return std::nullopt; }
  std::string render(Value value) const { return std::to_string(value); }
  Result<void, ValueError> inRange(Value value) const {
    auto parsed = parse(render(value));
    if (!parsed) return unexpected(parsed.error());
    return {};
  }
};

struct SecondsKind {
  using Value = std::chrono::seconds;
  std::int64_t min;
  std::int64_t max;
  std::string_view expected = "an integer number of seconds";
  Result<Value, ValueError> parse(std::string_view text) const {
    auto value = parseInteger(text, min, max, "seconds");
    if (!value) return unexpected(value.error());
    return Value(*value);
  }
  std::optional<Value> fromNull() const { return std::nullopt; }
  std::string render(Value value) const { return std::to_string(value.count()); }
  Result<void, ValueError> inRange(Value value) const {
    auto parsed = parse(render(value));
    if (!parsed) return unexpected(parsed.error());
    return {};
  }
};

template <class E>
struct ChoiceKind {
  using Value = E;
  std::vector<E> choices;
  std::string_view expected = "one of the listed words";
  Result<Value, ValueError> parse(std::string_view text) const {
    std::string names;
    for (E choice : choices) {
      if (toString(choice) == text) return choice;
      if (!names.empty()) names += ", ";
      names += toString(choice);
    }
    return unexpected(invalid("must be one of: " + names));
  }
  std::optional<Value> fromNull() const { return std::nullopt; }
  std::string render(Value value) const { return std::string(toString(value)); }
  Result<void, ValueError> inRange(Value) const { return {}; }
};

// Builds a field for a scalar kind. `ref` is a generic lambda returning the
// member for both Config& and const Config&; `check` validates (and may
// normalise) a parsed value.
template <class Kind, class Ref>
Field scalar(std::string_view path, std::string_view help, Kind kind, Ref ref,
             Check<typename Kind::Value> check = nullptr, Echo echo = Echo::Value) {
  using Value = typename Kind::Value;
  auto accept = [ref, check, echo](Config& config, Value value,
                                   std::string_view shown) -> Result<void, ValueError> {
    if (check) {
      auto checked = check(std::move(value));
      if (!checked) return unexpected(invalid(checked.error() + got(shown, echo)));
      value = std::move(*checked);
    }
    ref(config) = std::move(value);
    return {};
  };
  Field field;
  field.path = path;
  field.help = help;
  field.fromText = [kind, accept, echo](Config& config,
                                        std::string_view text) -> Result<void, ValueError> {
    auto parsed = kind.parse(text);
    if (!parsed) {
      ValueError error = parsed.error();
      error.message += got(text, echo);
      return unexpected(error);
    }
    return accept(config, std::move(*parsed), text);
  };
  field.fromYaml = [kind, accept, fromText = field.fromText](
                       Config& config, const YAML::Node& node) -> Result<void, ValueError> {
    Result<void, ValueError> result;
    if (node.IsNull()) {
      std::optional<Value> value = kind.fromNull();
      result = value ? accept(config, std::move(*value), "")
                     : Result<void, ValueError>(unexpected(
                           wrongType("expected " + std::string(kind.expected) + ", got nothing")));
    } else if (!node.IsScalar()) {
      result = unexpected(
          wrongType("expected " + std::string(kind.expected) + ", got " + describe(node)));
    } else {
      result = fromText(config, node.Scalar());
    }
    // A missing value has no position of its own; the caller uses the key's.
    if (!result && !result.error().line && !node.IsNull()) result.error().line = lineOf(node);
    return result;
  };
  field.check = [kind, ref, check](const Config& config) -> Result<void, std::string> {
    auto in_range = kind.inRange(ref(config));
    if (!in_range) return unexpected(in_range.error().message);
    if (!check) return {};
    auto checked = check(ref(config));
    if (!checked) return unexpected(checked.error());
    return {};
  };
  field.render = [kind, ref](const Config& config, int) { return " " + kind.render(ref(config)); };
  return field;
}

// A list of strings: a YAML sequence, or comma-separated in the environment.
template <class Ref>
Field stringList(std::string_view path, std::string_view help, Ref ref,
                 const std::function<bool(std::string_view)>& valid_item,
                 const std::string& item_rule) {
  Field field;
  field.path = path;
  field.help = help;
  auto checkItems = [valid_item,
                     item_rule](const std::vector<std::string>& items) -> Result<void, ValueError> {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!valid_item(items[i])) {
        ValueError error = invalid(item_rule + got(items[i], Echo::Value));
        error.subkey = "[" + std::to_string(i) + "]";
        return unexpected(error);
      }
    }
    return {};
  };
  field.fromText = [ref, checkItems](Config& config,
                                     std::string_view text) -> Result<void, ValueError> {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t comma = text.find(',', start);
      if (comma == std::string_view::npos) comma = text.size();
      std::string item = trim(text.substr(start, comma - start));
      if (!item.empty()) items.push_back(std::move(item));
      start = comma + 1;
    }
    auto checked = checkItems(items);
    if (!checked) return checked;
    ref(config) = std::move(items);
    return {};
  };
  field.fromYaml = [ref, checkItems](Config& config,
                                     const YAML::Node& node) -> Result<void, ValueError> {
    std::vector<std::string> items;
    if (!node.IsNull()) {
      if (!node.IsSequence()) {
        ValueError error = wrongType("expected a list, got " + describe(node));
        error.line = lineOf(node);
        return unexpected(error);
      }
      for (std::size_t i = 0; i < node.size(); ++i) {
        const YAML::Node item = node[i];
        if (!item.IsScalar()) {
          ValueError error = wrongType("expected a string, got " + describe(item));
          error.line = lineOf(item);
          error.subkey = "[" + std::to_string(i) + "]";
          return unexpected(error);
        }
        items.push_back(item.Scalar());
      }
    }
    auto checked = checkItems(items);
    if (!checked) {
      ValueError error = checked.error();
      error.line = lineOf(node);
      return unexpected(error);
    }
    ref(config) = std::move(items);
    return {};
  };
  field.check = [ref, checkItems](const Config& config) -> Result<void, std::string> {
    auto checked = checkItems(ref(config));
    if (!checked) return unexpected(checked.error().subkey + ": " + checked.error().message);
    return {};
  };
  field.render = [ref](const Config& config, int) {
    const std::vector<std::string>& items = ref(config);
    std::string out = " [";
    for (std::size_t i = 0; i < items.size(); ++i) {
      out += (i == 0 ? "" : ", ") + quoteYaml(items[i]);
    }
    return out + "]";
  };
  return field;
}

Result<void, std::string> checkInlineKeys(const std::vector<InlineKey>& keys) {
  std::set<std::string> kids;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::string at = "[" + std::to_string(i) + "]";
    if (keys[i].key.find("-----BEGIN ") == std::string::npos ||
        keys[i].key.find("-----END ") == std::string::npos) {
      return unexpected(at + ".key: must be a PEM private key (-----BEGIN ... -----END ...)");
    }
    if (!keys[i].kid) continue;
    const std::string& kid = *keys[i].kid;
    bool printable = std::all_of(kid.begin(), kid.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u > 0x20 && u < 0x7f;
    });
    if (kid.empty() || kid.size() > 64 || !printable) {
      return unexpected(at + ".kid: must be 1 to 64 printable characters without spaces");
    }
    if (!kids.insert(kid).second) {
      return unexpected(at + ".kid: \"" + kid + "\" is used by an earlier key");
    }
  }
  return {};
}

// Splits concatenated PEM blocks, each kept with a final newline.
std::vector<InlineKey> splitPemBlocks(std::string_view text) {
  std::vector<InlineKey> keys;
  std::size_t begin = text.find("-----BEGIN ");
  while (begin != std::string_view::npos) {
    std::size_t end_marker = text.find("-----END ", begin);
    if (end_marker == std::string_view::npos) {
      keys.push_back({std::nullopt, std::string(text.substr(begin))});
      break;
    }
    std::size_t close = text.find("-----", end_marker + 9);
    std::size_t stop = close == std::string_view::npos ? text.size() : close + 5;
    keys.push_back({std::nullopt, std::string(text.substr(begin, stop - begin)) + "\n"});
    begin = text.find("-----BEGIN ", stop);
  }
  return keys;
}

// A PEM as a YAML literal block scalar when it can be written as one.
std::string renderBlock(const std::string& text, int indent) {
  bool block_safe = !text.empty() && text.front() != ' ' && text.front() != '\n';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7f) block_safe = false;
  }
  if (!block_safe) return " " + quoteYaml(text);
  std::size_t trailing = 0;
  while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
  std::string out = trailing == 0 ? " |-" : trailing == 1 ? " |" : " |+";
  std::string pad(static_cast<std::size_t>(indent), ' ');
  std::size_t start = 0;
  std::string_view body(text);
  body.remove_suffix(trailing);
  while (start <= body.size()) {
    std::size_t newline = body.find('\n', start);
    if (newline == std::string_view::npos) newline = body.size();
    std::string_view line = body.substr(start, newline - start);
    out += "\n";
    if (!line.empty()) out += pad + std::string(line);
    start = newline + 1;
  }
  for (std::size_t i = 1; i < trailing; ++i) out += "\n";
  return out;
}

Field inlineKeys() {
  auto ref = [](auto& config) -> auto& { return config.secrets.keys; };
  Field field;
  field.path = "secrets.keys";
  field.help =
      "Signing keys given inline as PEM, each with an optional kid; when set, keys_dir is not "
      "read for signing keys (mxauth extension)";
  field.fromText = [ref](Config& config, std::string_view text) -> Result<void, ValueError> {
    std::vector<InlineKey> keys = splitPemBlocks(text);
    if (keys.empty() && !trim(text).empty()) {
      return unexpected(invalid("expected one or more PEM private keys"));
    }
    auto checked = checkInlineKeys(keys);
    if (!checked) return unexpected(invalid(checked.error()));
    ref(config) = std::move(keys);
    return {};
  };
  field.fromYaml = [ref](Config& config, const YAML::Node& node) -> Result<void, ValueError> {
    std::vector<InlineKey> keys;
    auto fail = [](ConfigErrorCode code, std::string message, const YAML::Node& at,
                   std::string subkey) {
      return Result<void, ValueError>(
          unexpected(ValueError{std::move(message), lineOf(at), std::move(subkey), code}));
    };
    if (!node.IsNull() && !node.IsSequence()) {
      return fail(ConfigErrorCode::WrongType, "expected a list, got " + describe(node), node, "");
    }
    for (std::size_t i = 0; i < (node.IsNull() ? 0 : node.size()); ++i) {
      const YAML::Node item = node[i];
      std::string at = "[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        return fail(ConfigErrorCode::WrongType,
                    "expected a mapping with kid and key, got " + describe(item), item, at);
      }
      InlineKey key;
      bool has_key = false;
      for (auto it = item.begin(); it != item.end(); ++it) {
        std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
        const YAML::Node value = it->second;
        if (name != "kid" && name != "key") {
          return fail(ConfigErrorCode::UnknownKey, "unknown key", it->first, at + "." + name);
        }
        if (!value.IsScalar()) {
          return fail(ConfigErrorCode::WrongType, "expected a string, got " + describe(value),
                      value.IsNull() ? it->first : value, at + "." + name);
        }
        if (name == "kid") {
          key.kid = value.Scalar();
        } else {
          key.key = value.Scalar();
          has_key = true;
        }
      }
      if (!has_key) {
        return fail(ConfigErrorCode::InvalidValue, "missing the PEM key", item, at + ".key");
      }
      keys.push_back(std::move(key));
    }
    auto checked = checkInlineKeys(keys);
    if (!checked) {
      return fail(ConfigErrorCode::InvalidValue, checked.error(), node, "");
    }
    ref(config) = std::move(keys);
    return {};
  };
  field.check = [ref](const Config& config) { return checkInlineKeys(ref(config)); };
  field.render = [ref](const Config& config, int indent) {
    const std::vector<InlineKey>& keys = ref(config);
    if (keys.empty()) return std::string(" []");
    std::string item_pad(static_cast<std::size_t>(indent + 2), ' ');
    std::string out;
    for (const InlineKey& key : keys) {
      out += "\n" + item_pad + "- ";
      if (key.kid) out += "kid: " + quoteYaml(*key.kid) + "\n" + item_pad + "  ";
      out += "key:" + renderBlock(key.key, indent + 6);
    }
    return out;
  };
  return field;
}

// Checks shared by several keys.

Check<std::string> listenRule() {
  return [](std::string text) -> Result<std::string, std::string> {
    auto address = parseListenAddress(text);
    if (!address) return unexpected(address.error());
    return text;
  };
}

Check<std::string> baseUrlRule(bool allow_empty) {
  return [allow_empty](std::string text) -> Result<std::string, std::string> {
    if (allow_empty && text.empty()) return text;
    return normaliseBaseUrl(text);
  };
}

Check<std::optional<std::string>> optionalUrlRule() {
  return [](std::optional<std::string> text) -> Result<std::optional<std::string>, std::string> {
    if (!text) return text;
    auto url = checkHttpUrl(*text);
    if (!url) return unexpected(url.error());
    return text;
  };
}

Check<std::string> databaseUriRule() {
  return [](std::string text) -> Result<std::string, std::string> {
    const std::string rule =
        "must start with sqlite://, postgresql:// or postgres:// (e.g. sqlite://./data/mxauth.db)";
    if (hasControlCharacter(text)) return unexpected(rule + " and contain no control characters");
    if (text.starts_with("sqlite://")) {
      if (text.size() == 9) return unexpected(std::string("sqlite:// needs a file path"));
      return text;
    }
    if (text.starts_with("postgresql://") || text.starts_with("postgres://")) return text;
    return unexpected(rule);
  };
}

Check<std::string> plainTextRule(bool allow_empty, std::size_t max_size = 1024) {
  return [allow_empty, max_size](std::string text) -> Result<std::string, std::string> {
    if (!allow_empty && text.empty()) return unexpected(std::string("must not be empty"));
    if (text.size() > max_size) {
      return unexpected("must be at most " + std::to_string(max_size) + " characters");
    }
    if (hasControlCharacter(text))
      return unexpected(std::string("must not contain control characters"));
    return text;
  };
}

template <class T>
Check<T> predicateRule(const std::function<bool(const T&)>& valid, const std::string& rule) {
  return [valid, rule](T value) -> Result<T, std::string> {
    if (!valid(value)) return unexpected(rule);
    return value;
  };
}

std::vector<Field> buildFields() {
  using std::chrono::seconds;
  std::vector<Field> f;
  // http
  f.push_back(scalar(
      "http.listen", "Address and port to bind, host:port or [ipv6]:port", TextKind{},
      [](auto& c) -> auto& { return c.http.listen; }, listenRule()));
  f.push_back(scalar(
      "http.public_base", "Public URL of this service; the OAuth issuer; normalised to end with /",
      TextKind{}, [](auto& c) -> auto& { return c.http.public_base; }, baseUrlRule(false)));
  f.push_back(scalar(
      "http.io_threads", "Threads serving network I/O, 1-256 (mxauth extension)",
      IntegerKind<int>{1, 256}, [](auto& c) -> auto& { return c.http.io_threads; }));
  f.push_back(scalar(
      "http.max_connections",
      "Open connections at most; more wait to be accepted (mxauth extension)",
      IntegerKind<int>{1, 1000000}, [](auto& c) -> auto& { return c.http.max_connections; }));
  f.push_back(scalar(
      "http.max_body_bytes",
      "Largest request body in bytes; larger ones get 413 (mxauth extension)",
      IntegerKind<std::int64_t>{1024, 1073741824},
      [](auto& c) -> auto& { return c.http.max_body_bytes; }));
  f.push_back(scalar(
      "http.header_timeout", "Seconds a client has to send the request headers (mxauth extension)",
      SecondsKind{1, 3600}, [](auto& c) -> auto& { return c.http.header_timeout; }));
  f.push_back(scalar(
      "http.idle_timeout", "Seconds an idle keep-alive connection stays open (mxauth extension)",
      SecondsKind{1, 86400}, [](auto& c) -> auto& { return c.http.idle_timeout; }));
  f.push_back(stringList(
      "http.trusted_proxies",
      "Proxies (IP or CIDR) whose X-Forwarded-For is believed; empty = none (mxauth extension)",
      [](auto& c) -> auto& { return c.http.trusted_proxies; }, isCidr,
      "must be an IP address or CIDR range, e.g. 10.0.0.0/8 or ::1/128"));
  // database
  f.push_back(scalar(
      "database.uri", "Database: sqlite://PATH or postgresql://user:pass@host:port/dbname",
      TextKind{}, [](auto& c) -> auto& { return c.database.uri; }, databaseUriRule(), Echo::Never));
  f.push_back(scalar(
      "database.max_connections", "Database connections in the pool, 1-1000 (mxauth extension)",
      IntegerKind<int>{1, 1000}, [](auto& c) -> auto& { return c.database.max_connections; }));
  f.push_back(scalar(
      "database.connect_timeout", "Seconds to wait for a database connection (mxauth extension)",
      SecondsKind{1, 300}, [](auto& c) -> auto& { return c.database.connect_timeout; }));
  // secrets
  f.push_back(scalar(
      "secrets.keys_dir", "Directory of signing keys and encryption.secret; generated when missing",
      PathKind{}, [](auto& c) -> auto& { return c.secrets.keys_dir; },
      predicateRule<std::filesystem::path>(
          [](const std::filesystem::path& p) {
            return !p.empty() && !hasControlCharacter(p.string());
          },
          "must be a directory path")));
  f.push_back(scalar(
      "secrets.encryption",
      "64 hex characters encrypting cookies and stored secrets; null = generated "
      "into keys_dir on first start",
      OptionalTextKind{}, [](auto& c) -> auto& { return c.secrets.encryption; },
      predicateRule<std::optional<std::string>>(
          [](const std::optional<std::string>& key) { return !key || isEncryptionKey(*key); },
          "must be exactly 64 hexadecimal characters (32 bytes); `mxauth config "
          "generate` makes one"),
      Echo::Never));
  f.push_back(inlineKeys());
  f.push_back(scalar(
      "secrets.key_rotation.grace_period",
      "Seconds a replaced signing key stays in the JWKS and verifies before it retires "
      "(mxauth extension)",
      SecondsKind{0, 315360000},
      [](auto& c) -> auto& { return c.secrets.key_rotation.grace_period; }));
  f.push_back(scalar(
      "secrets.key_rotation.activation_delay",
      "Seconds between `mxauth keys rotate` and the new key's first signature; it is published "
      "meanwhile (mxauth extension)",
      SecondsKind{0, 2592000},
      [](auto& c) -> auto& { return c.secrets.key_rotation.activation_delay; }));
  f.push_back(scalar(
      "secrets.key_rotation.check_interval",
      "Seconds between two looks of a running server at the key ring in keys_dir (mxauth "
      "extension)",
      SecondsKind{1, 3600},
      [](auto& c) -> auto& { return c.secrets.key_rotation.check_interval; }));
  // matrix
  f.push_back(scalar(
      "matrix.homeserver", "The homeserver's server_name; user IDs are @localpart:homeserver",
      TextKind{}, [](auto& c) -> auto& { return c.matrix.homeserver; },
      predicateRule<std::string>([](const std::string& name) { return isServerName(name); },
                                 "must be a Matrix server name: a host name or IP address with an "
                                 "optional :port")));
  f.push_back(scalar(
      "matrix.endpoint", "The homeserver's internal URL; empty = no homeserver (stand-alone)",
      TextKind{}, [](auto& c) -> auto& { return c.matrix.endpoint; }, baseUrlRule(true)));
  f.push_back(scalar(
      "matrix.secret",
      "Shared secret; the same value as Synapse's matrix_authentication_service."
      "secret",
      TextKind{}, [](auto& c) -> auto& { return c.matrix.secret; },
      predicateRule<std::string>(
          [](const std::string& secret) {
            return std::all_of(secret.begin(), secret.end(),
                               [](char ch) { return ch > 0x20 && ch < 0x7f; });
          },
          "must be printable ASCII without spaces"),
      Echo::Never));
  // account
  f.push_back(scalar(
      "account.registration", "Allow local password registration in the web UI", BoolKind{},
      [](auto& c) -> auto& { return c.account.registration; }));
  f.push_back(scalar(
      "account.password_change", "Allow users to change their password", BoolKind{},
      [](auto& c) -> auto& { return c.account.password_change; }));
  f.push_back(scalar(
      "account.email_change", "Allow users to add and remove e-mail addresses", BoolKind{},
      [](auto& c) -> auto& { return c.account.email_change; }));
  f.push_back(scalar(
      "account.deactivation", "Allow users to deactivate their own account", BoolKind{},
      [](auto& c) -> auto& { return c.account.deactivation; }));
  f.push_back(scalar(
      "account.password_recovery",
      "Let users who forgot their password set a new one through a link sent to a verified "
      "address; in effect only when email.transport is not blackhole (mxauth extension)",
      BoolKind{}, [](auto& c) -> auto& { return c.account.password_recovery; }));
  f.push_back(scalar(
      "account.password_recovery_ttl",
      "Seconds a password-recovery link stays valid (mxauth extension)", SecondsKind{1, 86400},
      [](auto& c) -> auto& { return c.account.password_recovery_ttl; }));
  f.push_back(scalar(
      "account.registration_token_required",
      "Registration needs a token created with `mxauth registration-token add`", BoolKind{},
      [](auto& c) -> auto& { return c.account.registration_token_required; }));
  f.push_back(scalar(
      "account.email_verification_required",
      "Registration needs an e-mail address, and the account is created only once the 6-digit "
      "code sent to it is entered (mxauth extension)",
      BoolKind{}, [](auto& c) -> auto& { return c.account.email_verification_required; }));
  f.push_back(scalar(
      "account.step_up.max_age",
      "Seconds a sign-in stays recent enough for a sensitive account operation; older ones "
      "authenticate again first (mxauth extension)",
      SecondsKind{0, 86400}, [](auto& c) -> auto& { return c.account.step_up.max_age; }));
  f.push_back(stringList(
      "account.step_up.stages",
      "What re-authentication asks for, in order: password, email (a code sent to a verified "
      "address) (mxauth extension)",
      [](auto& c) -> auto& { return c.account.step_up.stages; },
      [](std::string_view stage) { return stage == "password" || stage == "email"; },
      "must be a step-up stage: password or email"));
  // email
  f.push_back(scalar(
      "email.transport", "How e-mail is sent: blackhole (dropped) or smtp",
      ChoiceKind<EmailTransport>{{EmailTransport::Blackhole, EmailTransport::Smtp}},
      [](auto& c) -> auto& { return c.email.transport; }));
  f.push_back(scalar(
      "email.smtp.host", "SMTP server host name or IP address", TextKind{},
      [](auto& c) -> auto& { return c.email.smtp.host; },
      predicateRule<std::string>(
          [](const std::string& host) { return host.empty() || isHost(host); },
          "must be a host name or IP address")));
  f.push_back(scalar(
      "email.smtp.port", "SMTP server port", IntegerKind<int>{1, 65535},
      [](auto& c) -> auto& { return c.email.smtp.port; }));
  f.push_back(scalar(
      "email.smtp.mode",
      "plain (no TLS), starttls (upgrade after connecting) or tls (TLS from the start)",
      ChoiceKind<SmtpMode>{{SmtpMode::Plain, SmtpMode::StartTls, SmtpMode::Tls}},
      [](auto& c) -> auto& { return c.email.smtp.mode; }));
  f.push_back(scalar(
      "email.smtp.username", "SMTP user name; empty = no authentication", TextKind{},
      [](auto& c) -> auto& { return c.email.smtp.username; }, plainTextRule(true)));
  f.push_back(scalar(
      "email.smtp.password", "SMTP password", TextKind{},
      [](auto& c) -> auto& { return c.email.smtp.password; }, plainTextRule(true), Echo::Never));
  f.push_back(scalar(
      "email.from", "Sender of e-mails: \"Name <address>\" or an address", TextKind{},
      [](auto& c) -> auto& { return c.email.from; },
      predicateRule<std::string>([](const std::string& from) { return isMailbox(from); },
                                 "must be a mailbox such as \"mxauth <noreply@example.org>\"")));
  // tokens
  f.push_back(scalar(
      "tokens.access_token_ttl", "Lifetime of access tokens in seconds, 60-86400",
      SecondsKind{60, 86400}, [](auto& c) -> auto& { return c.tokens.access_token_ttl; }));
  f.push_back(scalar(
      "tokens.refresh_token_ttl", "Lifetime of refresh tokens in seconds (mxauth extension)",
      SecondsKind{60, 315360000}, [](auto& c) -> auto& { return c.tokens.refresh_token_ttl; }));
  f.push_back(scalar(
      "tokens.authorization_code_ttl",
      "Lifetime of authorization codes in seconds (mxauth extension)", SecondsKind{10, 3600},
      [](auto& c) -> auto& { return c.tokens.authorization_code_ttl; }));
  f.push_back(scalar(
      "tokens.session_lifetime",
      "Absolute lifetime of an OAuth session in seconds, 0 for none (mxauth extension)",
      SecondsKind{0, 315360000}, [](auto& c) -> auto& { return c.tokens.session_lifetime; }));
  f.push_back(scalar(
      "tokens.device_code_ttl",
      "Seconds a device code (device authorization grant) waits for the user (mxauth "
      "extension)",
      SecondsKind{60, 3600}, [](auto& c) -> auto& { return c.tokens.device_code_ttl; }));
  f.push_back(scalar(
      "tokens.device_code_interval",
      "Least seconds between two polls of one device code; slow_down adds 5 (mxauth extension)",
      SecondsKind{1, 60}, [](auto& c) -> auto& { return c.tokens.device_code_interval; }));
  f.push_back(scalar(
      "tokens.cleanup_interval",
      "Seconds between two runs of the cleanup of dead tokens, sessions and flows, 0 for "
      "none (mxauth extension)",
      SecondsKind{0, 86400}, [](auto& c) -> auto& { return c.tokens.cleanup_interval; },
      predicateRule<seconds>(
          [](const seconds& interval) { return interval == seconds(0) || interval >= seconds(60); },
          "must be 0 (no periodic cleanup) or at least 60")));
  f.push_back(scalar(
      "tokens.retention",
      "Seconds an expired, revoked or consumed token, a finished session or a dead flow is "
      "kept before the cleanup deletes it (mxauth extension)",
      SecondsKind{3600, 315360000}, [](auto& c) -> auto& { return c.tokens.retention; }));
  // clients
  f.push_back(scalar(
      "clients.assertion_max_lifetime",
      "Longest a client assertion may live, in seconds, 30-3600 (mxauth extension)",
      SecondsKind{30, 3600}, [](auto& c) -> auto& { return c.clients.assertion_max_lifetime; }));
  f.push_back(scalar(
      "clients.assertion_leeway",
      "Clock skew allowed on client assertion times, in seconds, 0-300 (mxauth extension)",
      SecondsKind{0, 300}, [](auto& c) -> auto& { return c.clients.assertion_leeway; }));
  f.push_back(scalar(
      "clients.jwks_uri.timeout",
      "Seconds a client's jwks_uri fetch may take, 1-30 (mxauth "
      "extension)",
      SecondsKind{1, 30}, [](auto& c) -> auto& { return c.clients.jwks_uri.timeout; }));
  f.push_back(scalar(
      "clients.jwks_uri.max_bytes", "Largest JWK set fetched, in bytes (mxauth extension)",
      IntegerKind<std::int64_t>{1024, 1048576},
      [](auto& c) -> auto& { return c.clients.jwks_uri.max_bytes; }));
  f.push_back(scalar(
      "clients.jwks_uri.cache_ttl",
      "Seconds a fetched JWK set is reused, 0-86400 (mxauth "
      "extension)",
      SecondsKind{0, 86400}, [](auto& c) -> auto& { return c.clients.jwks_uri.cache_ttl; }));
  f.push_back(scalar(
      "clients.jwks_uri.allow_http", "Accept http:// jwks_uri (tests only; mxauth extension)",
      BoolKind{}, [](auto& c) -> auto& { return c.clients.jwks_uri.allow_http; }));
  f.push_back(scalar(
      "clients.jwks_uri.allow_private_addresses",
      "Fetch jwks_uri from loopback, private and link-local addresses (tests only; mxauth "
      "extension)",
      BoolKind{}, [](auto& c) -> auto& { return c.clients.jwks_uri.allow_private_addresses; }));
  // passwords
  f.push_back(scalar(
      "passwords.argon2_memory_kib", "argon2id memory per hash in KiB (mxauth extension)",
      IntegerKind<std::uint32_t>{8, 4194304},
      [](auto& c) -> auto& { return c.passwords.argon2_memory_kib; }));
  f.push_back(scalar(
      "passwords.argon2_iterations", "argon2id passes (mxauth extension)",
      IntegerKind<std::uint32_t>{1, 64},
      [](auto& c) -> auto& { return c.passwords.argon2_iterations; }));
  f.push_back(scalar(
      "passwords.argon2_parallelism", "argon2id lanes (mxauth extension)",
      IntegerKind<std::uint32_t>{1, 64},
      [](auto& c) -> auto& { return c.passwords.argon2_parallelism; }));
  f.push_back(scalar(
      "passwords.max_concurrent_hashes",
      "Password hashes computed at once; 0 = one per CPU core (mxauth extension)",
      IntegerKind<int>{0, 1024},
      [](auto& c) -> auto& { return c.passwords.max_concurrent_hashes; }));
  // rate_limits
  f.push_back(scalar(
      "rate_limits.login.per_ip.burst",
      "Login attempts one client address may make at once; 0 = no limit (mxauth extension)",
      IntegerKind<int>{0, 1000000},
      [](auto& c) -> auto& { return c.rate_limits.login.per_ip.burst; }));
  f.push_back(scalar(
      "rate_limits.login.per_ip.refill_interval",
      "Seconds after which a client address may make one more login attempt (mxauth extension)",
      SecondsKind{1, 86400},
      [](auto& c) -> auto& { return c.rate_limits.login.per_ip.refill_interval; }));
  f.push_back(scalar(
      "rate_limits.login.per_account.burst",
      "Wrong passwords one account may get at once; 0 = no limit (mxauth extension)",
      IntegerKind<int>{0, 1000000},
      [](auto& c) -> auto& { return c.rate_limits.login.per_account.burst; }));
  f.push_back(scalar(
      "rate_limits.login.per_account.refill_interval",
      "Seconds after which an account may get one more wrong password (mxauth extension)",
      SecondsKind{1, 86400},
      [](auto& c) -> auto& { return c.rate_limits.login.per_account.refill_interval; }));
  f.push_back(scalar(
      "rate_limits.device_link.per_ip.burst",
      "Wrong device codes one client address may type at once; 0 = no limit (mxauth extension)",
      IntegerKind<int>{0, 1000000},
      [](auto& c) -> auto& { return c.rate_limits.device_link.per_ip.burst; }));
  f.push_back(scalar(
      "rate_limits.device_link.per_ip.refill_interval",
      "Seconds after which a client address may type one more wrong device code (mxauth "
      "extension)",
      SecondsKind{1, 86400},
      [](auto& c) -> auto& { return c.rate_limits.device_link.per_ip.refill_interval; }));
  // jobs
  f.push_back(scalar(
      "jobs.lease",
      "Seconds a claimed job stays with its instance before another may take it, 1-3600 "
      "(mxauth extension)",
      SecondsKind{1, 3600}, [](auto& c) -> auto& { return c.jobs.lease; }));
  // log
  f.push_back(scalar(
      "log.level", "trace, debug, info, warn or error (mxauth extension)",
      ChoiceKind<LogLevel>{
          {LogLevel::Trace, LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error}},
      [](auto& c) -> auto& { return c.log.level; }));
  f.push_back(scalar(
      "log.format", "json (one object per line) or text (mxauth extension)",
      ChoiceKind<LogFormat>{{LogFormat::Json, LogFormat::Text}},
      [](auto& c) -> auto& { return c.log.format; }));
  // branding
  f.push_back(scalar(
      "branding.service_name", "Name shown on pages and in e-mails (mxauth extension)", TextKind{},
      [](auto& c) -> auto& { return c.branding.service_name; }, plainTextRule(false, 100)));
  f.push_back(scalar(
      "branding.tos_uri",
      "Terms of service URL, linked from the registration page (mxauth extension)",
      OptionalTextKind{}, [](auto& c) -> auto& { return c.branding.tos_uri; }, optionalUrlRule()));
  f.push_back(scalar(
      "branding.policy_uri", "Privacy policy URL (mxauth extension)", OptionalTextKind{},
      [](auto& c) -> auto& { return c.branding.policy_uri; }, optionalUrlRule()));
  return f;
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = buildFields();
  return kFields;
}

const std::vector<Section>& sections() {
  static const std::vector<Section> kSections = {
      {"http", "The HTTP listener"},
      {"database", "Where state is stored"},
      {"secrets", "Signing keys and the encryption key"},
      {"secrets.key_rotation", "Signing-key rotation with `mxauth keys rotate` (mxauth extension)"},
      {"matrix", "The Matrix homeserver this service authenticates for"},
      {"account", "What users may do with their account"},
      {"account.step_up",
       "Re-authentication before sensitive account operations (mxauth extension)"},
      {"email", "Outgoing e-mail"},
      {"email.smtp", "SMTP server, used when transport is smtp"},
      {"tokens", "Token lifetimes, and the cleanup of dead tokens"},
      {"clients", "Client authentication with signed assertions (mxauth extension)"},
      {"clients.jwks_uri", "Fetching the key sets clients publish at their jwks_uri"},
      {"passwords", "Password hashing (mxauth extension)"},
      {"rate_limits", "Limits on attempts, against guessing and abuse (mxauth extension)"},
      {"rate_limits.login", "Password logins: the login page and the legacy login API together"},
      {"rate_limits.login.per_ip",
       "Per client address (an IPv6 client's /64); every attempt counts"},
      {"rate_limits.login.per_account", "Per account; only wrong passwords count"},
      {"rate_limits.device_link", "User codes typed at /link (the device authorization grant)"},
      {"rate_limits.device_link.per_ip",
       "Per client address (an IPv6 client's /64); only wrong codes count"},
      {"jobs", "The durable job queue (mxauth extension)"},
      {"log", "Logging (mxauth extension)"},
      {"branding", "Names and links shown to users (mxauth extension)"},
  };
  return kSections;
}

const Field* findField(std::string_view path) {
  for (const Field& field : fields()) {
    if (field.path == path) return &field;
  }
  return nullptr;
}

bool isSection(std::string_view path) {
  return std::any_of(sections().begin(), sections().end(),
                     [path](const Section& s) { return s.path == path; });
}

std::string environmentName(std::string_view path) {
  std::string name = "MXAUTH_";
  for (char c : path) {
    if (c == '.') {
      name += "__";
    } else {
      name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return name;
}

std::optional<std::string> closest(std::string_view word,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    // Levenshtein distance with one rolling row.
    std::vector<std::size_t> row(candidate.size() + 1);
    for (std::size_t j = 0; j < row.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= candidate.size(); ++j) {
        std::size_t above = row[j];
        std::size_t substitute = diagonal + (word[i - 1] == candidate[j - 1] ? 0 : 1);
        row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
        diagonal = above;
      }
    }
    if (row.back() < best_distance) {
      best_distance = row.back();
      best = candidate;
    }
  }
  return best;
}

std::string quoteYaml(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace mxauth::config::schema
