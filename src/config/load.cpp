#include "config/load.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/schema.h"
#include "config/validate.h"

namespace mxauth::config {
namespace {

// Larger files are a mistake (a wrong path), not a configuration.
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{4} * 1024 * 1024;

// Where each key's value came from, so that a rule checked at the end can
// still point at a line or a variable.
struct Origins {
  std::map<std::string, std::optional<int>> lines;
  std::map<std::string, std::string> variables;
};

std::optional<int> lineOf(const YAML::Node& node) {
  YAML::Mark mark = node.Mark();
  if (mark.line < 0) return std::nullopt;
  return mark.line + 1;
}

std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  auto best = schema::closest(word, candidates);
  return best ? " (did you mean '" + *best + "'?)" : "";
}

std::vector<std::string> keyPaths() {
  std::vector<std::string> paths;
  for (const schema::Field& field : schema::fields()) paths.emplace_back(field.path);
  for (const schema::Section& section : schema::sections()) paths.emplace_back(section.path);
  return paths;
}

std::vector<std::string> variableNames() {
  std::vector<std::string> names;
  for (const schema::Field& field : schema::fields()) {
    names.push_back(schema::environmentName(field.path));
  }
  return names;
}

// "MXAUTH_EMAIL__SMTP__PORT" -> "email.smtp.port", for naming the key of an
// unknown variable.
std::string keyOfVariable(std::string_view name) {
  std::string key;
  std::string_view rest = name.substr(std::string_view("MXAUTH_").size());
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest.substr(i, 2) == "__") {
      key += '.';
      ++i;
    } else {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(rest[i])));
    }
  }
  return key;
}

bool isNonConfigVariable(std::string_view name) {
  for (std::string_view allowed : kNonConfigVariables) {
    if (allowed.ends_with('_') ? name.starts_with(allowed) : name == allowed) return true;
  }
  return false;
}

// The offset of the first byte that is not part of well-formed UTF-8 (or is
// NUL), if any. yaml-cpp guesses UTF-16/32 from leading bytes and may read
// such a file as empty; a config file must be UTF-8 text.
std::optional<std::size_t> firstNonUtf8Byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xe  ? 3
                         : (byte >> 3) == 0x1e ? 4
                                               : 0;
    if (byte == 0 || length == 0 || i + length > text.size()) return i;
    std::uint32_t code = length == 1 ? byte : byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    bool overlong = (length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
                    (length == 4 && code < 0x10000);
    if (overlong || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return std::nullopt;
}

// Notes where a second YAML document starts: the line (1-based) of its
// first node, or of its start when it is empty.
class DocumentCounter final : public YAML::EventHandler {
 public:
  int documents() const { return documents_; }
  std::optional<int> secondLine() const { return second_line_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) document_start_ = mark.line + 1;
  }
  void OnDocumentEnd() override {
    if (documents_ == 2 && !second_line_) second_line_ = document_start_;
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (documents_ == 2 && !second_line_) second_line_ = mark.line + 1;
  }

  int documents_ = 0;
  int document_start_ = 0;
  std::optional<int> second_line_;
};

// The line of the second document of `text`, if it has more than one. May
// throw YAML::Exception.
std::optional<int> secondDocumentLine(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  while (counter.documents() < 2 && parser.HandleNextDocument(counter)) {
  }
  if (counter.documents() < 2) return std::nullopt;
  return counter.secondLine().value_or(1);
}

class FileLoader {
 public:
  FileLoader(std::string file, Config& config, Origins& origins)
      : file_(std::move(file)), config_(config), origins_(origins) {}

  Result<void, ConfigError> load(const std::string& text) {
    if (auto bad = firstNonUtf8Byte(text)) {
      auto line = static_cast<int>(
          std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n') + 1);
      return fail(ConfigErrorCode::Syntax, "", line, "is not UTF-8 text");
    }
    try {
      // Not YAML::LoadAll: in yaml-cpp 0.7 it loops for ever, allocating,
      // on some malformed input ("!a,b", ","; yaml-cpp PR #1319), found by
      // tests/fuzz/config.cpp. Counting at most two documents ends.
      if (auto second = secondDocumentLine(text)) {
        return fail(ConfigErrorCode::Syntax, "", *second,
                    "must hold one YAML document, not several");
      }
      const YAML::Node document = YAML::Load(text);
      if (document.IsNull()) return {};
      if (!document.IsMap()) {
        return fail(ConfigErrorCode::Syntax, "", lineOf(document),
                    "must be a mapping of sections such as 'http:' and 'database:'");
      }
      return walk(document, "");
    } catch (const YAML::Exception& e) {
      std::optional<int> line;
      if (e.mark.line >= 0) line = e.mark.line + 1;
      return fail(ConfigErrorCode::Syntax, "", line, "invalid YAML: " + e.msg);
    } catch (const std::exception& e) {
      return fail(ConfigErrorCode::Syntax, "", std::nullopt,
                  std::string("invalid YAML: ") + e.what());
    }
  }

 private:
  Result<void, ConfigError> walk(const YAML::Node& mapping, const std::string& prefix) {
    std::set<std::string> seen;
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      std::optional<int> line = lineOf(key);
      if (!key.IsScalar()) {
        return fail(ConfigErrorCode::Syntax, prefix, line, "keys must be plain names");
      }
      const std::string& name = key.Scalar();
      std::string path = prefix.empty() ? name : prefix + "." + name;
      if (!seen.insert(name).second) {
        return fail(ConfigErrorCode::InvalidValue, path, line, "is set twice");
      }
      bool plain_name = !name.empty() && name.find('.') == std::string::npos;
      if (const schema::Field* field = plain_name ? schema::findField(path) : nullptr) {
        origins_.lines[path] = line;
        auto loaded = field->fromYaml(config_, value);
        if (!loaded) return fromValueError(loaded.error(), path, line);
        continue;
      }
      if (plain_name && schema::isSection(path)) {
        if (value.IsNull()) continue;
        if (!value.IsMap()) {
          return fail(ConfigErrorCode::WrongType, path, lineOf(value),
                      "expected a section of keys, got " +
                          std::string(value.IsSequence() ? "a list" : "a single value"));
        }
        auto nested = walk(value, path);
        if (!nested) return nested;
        continue;
      }
      return fail(ConfigErrorCode::UnknownKey, path, line,
                  "unknown key '" + path + "'" + suggestion(path, keyPaths()));
    }
    return {};
  }

  Result<void, ConfigError> fromValueError(const schema::ValueError& error, const std::string& path,
                                           std::optional<int> key_line) {
    std::string key = path + error.subkey;
    std::string message =
        error.code == ConfigErrorCode::UnknownKey ? "unknown key '" + key + "'" : error.message;
    return fail(error.code, key, error.line ? error.line : key_line, message);
  }

  Result<void, ConfigError> fail(ConfigErrorCode code, std::string key, std::optional<int> line,
                                 std::string message) {
    return unexpected(ConfigError{code, std::move(key), line, file_, "", std::move(message)});
  }

  std::string file_;
  Config& config_;
  Origins& origins_;
};

Result<std::string, ConfigError> readFile(const std::filesystem::path& path) {
  auto fail = [&path](std::string message) {
    return Result<std::string, ConfigError>(unexpected(ConfigError{
        ConfigErrorCode::Unreadable, "", std::nullopt, path.string(), "", std::move(message)}));
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("is a directory, not a file");
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) return fail("is larger than 4 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot be read: " + std::generic_category().message(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail("cannot be read: " + std::generic_category().message(errno));
  return text.str();
}

Result<void, ConfigError> applyEnvironment(const Environment& env, Config& config,
                                           Origins& origins) {
  for (const auto& variable : env.variables()) {
    const std::string& name = variable.first;
    const std::string& value = variable.second;
    if (!name.starts_with("MXAUTH_") || isNonConfigVariable(name)) continue;
    std::string key = keyOfVariable(name);
    auto fail = [&](ConfigErrorCode code, std::string error_key, std::string message) {
      return Result<void, ConfigError>(unexpected(
          ConfigError{code, std::move(error_key), std::nullopt, "", name, std::move(message)}));
    };
    const schema::Field* field = nullptr;
    for (const schema::Field& candidate : schema::fields()) {
      if (schema::environmentName(candidate.path) == name) field = &candidate;
    }
    if (field == nullptr) {
      if (schema::isSection(key)) {
        return fail(ConfigErrorCode::UnknownKey, key,
                    "names a whole section; set its keys one by one, e.g. " + name + "__...");
      }
      auto best = schema::closest(name, variableNames());
      return fail(ConfigErrorCode::UnknownKey, key,
                  "is not a configuration setting" +
                      (best ? " (did you mean " + *best + "?)" : std::string()));
    }
    auto loaded = field->fromText(config, value);
    if (!loaded) {
      return fail(loaded.error().code, std::string(field->path) + loaded.error().subkey,
                  loaded.error().message);
    }
    origins.variables[std::string(field->path)] = name;
  }
  return {};
}

// loadConfig() once the file, if any, is read: `text` is its contents.
Result<Config, ConfigError> loadFrom(const std::optional<std::string>& text,
                                     const std::string& file_name, const Environment& env) {
  Config config;
  Origins origins;
  const bool file = text.has_value();
  if (text) {
    FileLoader loader(file_name, config, origins);
    auto loaded = loader.load(*text);
    if (!loaded) return unexpected(loaded.error());
  }
  auto overridden = applyEnvironment(env, config, origins);
  if (!overridden) return unexpected(overridden.error());

  auto valid = validateConfig(config);
  if (!valid) {
    ConfigError error = valid.error();
    std::string base = error.key.substr(0, error.key.find('['));
    if (auto variable = origins.variables.find(base); variable != origins.variables.end()) {
      error.variable = variable->second;
    } else if (file) {
      error.file = file_name;
      if (auto line = origins.lines.find(base); line != origins.lines.end()) {
        error.line = line->second;
      }
    }
    return unexpected(error);
  }
  return config;
}

}  // namespace

Result<Config, ConfigError> loadConfig(const std::optional<std::filesystem::path>& file,
                                       const Environment& env) {
  if (!file) return loadFrom(std::nullopt, "", env);
  auto text = readFile(*file);
  if (!text) return unexpected(text.error());
  return loadFrom(*text, file->string(), env);
}

Result<Config, ConfigError> loadConfigText(std::string_view text, const std::string& file_name,
                                           const Environment& env) {
  return loadFrom(std::string(text), file_name, env);
}

std::optional<std::filesystem::path> resolveConfigPath(
    const std::optional<std::filesystem::path>& flag) {
  if (flag) return flag;
  std::error_code ec;
  std::filesystem::path fallback = "mxauth.yaml";
  if (std::filesystem::exists(fallback, ec)) return fallback;
  return std::nullopt;
}

std::optional<std::filesystem::path> resolveConfigPath(
    const std::optional<std::filesystem::path>& flag, const std::filesystem::path& working_dir) {
  if (flag) return flag;
  std::error_code ec;
  std::filesystem::path fallback = working_dir / "mxauth.yaml";
  if (std::filesystem::exists(fallback, ec)) return fallback;
  return std::nullopt;
}

std::string environmentVariableFor(std::string_view key) { return schema::environmentName(key); }

}  // namespace mxauth::config
