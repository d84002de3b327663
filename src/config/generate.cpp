#include "config/generate.h"

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "config/schema.h"
#include "core/encoding.h"

namespace mxauth::config {
namespace {

std::string randomHex(Rng& rng) {
  std::array<std::uint8_t, 32> bytes{};
  rng.fill(bytes);
  return core::hexEncode(bytes);
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    parts.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

std::string_view sectionHelp(std::string_view path) {
  for (const schema::Section& section : schema::sections()) {
    if (section.path == path) return section.help;
  }
  return "";
}

}  // namespace

Config generateConfig(Rng& rng) {
  Config config;
  config.secrets.encryption = randomHex(rng);
  config.matrix.secret = randomHex(rng);
  return config;
}

std::string renderConfig(const Config& config, bool comments) {
  const Config defaults;
  std::string out;
  if (comments) {
    out +=
        "# mxauth configuration (docs/configuration.md describes every key).\n"
        "# Any key can be overridden from the environment: MXAUTH_ + the key path in upper\n"
        "# case with sections joined by __, e.g. MXAUTH_HTTP__LISTEN=127.0.0.1:9000.\n";
  }
  std::vector<std::string> open;  // the sections the previous key was in
  for (const schema::Field& field : schema::fields()) {
    std::vector<std::string> parts = split(field.path);
    std::string name = parts.back();
    parts.pop_back();
    std::size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common]) {
      ++common;
    }
    for (std::size_t depth = common; depth < parts.size(); ++depth) {
      std::string pad(2 * depth, ' ');
      std::string path;
      for (std::size_t i = 0; i <= depth; ++i) path += (i == 0 ? "" : ".") + parts[i];
      if (comments) {
        if (depth == 0) out += "\n";
        out += pad + "# " + std::string(sectionHelp(path)) + "\n";
      }
      out += pad + parts[depth] + ":\n";
    }
    open = parts;
    int indent = static_cast<int>(2 * parts.size());
    std::string pad(static_cast<std::size_t>(indent), ' ');
    if (comments) {
      std::string fallback = field.render(defaults, indent);
      out += pad + "# " + std::string(field.help) + " (default:" + fallback + ")\n";
    }
    out += pad + name + ":" + field.render(config, indent) + "\n";
  }
  return out;
}

}  // namespace mxauth::config
