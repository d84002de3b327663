// Fuzz target: the YAML configuration (src/config loadConfigText: yaml-cpp,
// the schema walk, value parsing and validateConfig; renderConfig).
// Input: the text of mxauth.yaml.
// Invariants: loading never throws; a loaded config passes validateConfig;
// rendered back to YAML it loads again to the same config.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/environment.h"
#include "config/generate.h"
#include "config/load.h"
#include "config/validate.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace config = mxauth::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const config::Environment environment;

  auto loaded = config::loadConfigText(text, "mxauth.yaml", environment);
  if (!loaded) {
    MXAUTH_FUZZ_CHECK(!loaded.error().key.empty() || !loaded.error().message.empty());
    return 0;
  }
  MXAUTH_FUZZ_CHECK(config::validateConfig(*loaded).has_value());
  const std::string rendered = config::renderConfig(*loaded, false);
  auto again = config::loadConfigText(rendered, "rendered.yaml", environment);
  MXAUTH_FUZZ_CHECK(again.has_value());
  MXAUTH_FUZZ_CHECK(*again == *loaded);
  MXAUTH_FUZZ_CHECK(config::renderConfig(*again, false) == rendered);
  return 0;
}
