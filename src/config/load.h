#pragma once

// Loading the configuration: defaults, then the YAML file, then MXAUTH_*
// environment variables (interface.md §2–§3).
//
// Contract:
//  - no file: the defaults of config/config.h; an empty file: the same;
//  - every error names the dotted key, and the file line or the variable it
//    came from; the first error found is returned (file before environment);
//  - unknown keys at any depth and unknown MXAUTH_* variables are errors,
//    except the variables kNonConfigVariables lets through;
//  - a Config returned here passes validateConfig(), with values normalised
//    (http.public_base and matrix.endpoint end with '/');
//  - exceptions from the YAML parser never escape.

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/config_error.h"
#include "config/environment.h"
#include "core/result.h"

namespace mxauth::config {

// MXAUTH_* variables that are not settings and that loadConfig ignores
// (the build and test scripts use them, and servers they start inherit
// them). An entry ending in '_' is a prefix; the others are exact names.
inline constexpr std::array<std::string_view, 5> kNonConfigVariables = {
    "MXAUTH_TEST_",             // test harness settings, e.g. MXAUTH_TEST_POSTGRES_URI
    "MXAUTH_BENCH_",            // bench/run.sh settings
    "MXAUTH_REQUIRE_POSTGRES",  // make test: fail rather than skip PostgreSQL
    "MXAUTH_DEPS",              // tools/install-deps.sh
    "MXAUTH_BUILD",             // the build directory scripts use
};

// `file`: the YAML file to read, if any (see resolveConfigPath).
Result<Config, ConfigError> loadConfig(const std::optional<std::filesystem::path>& file,
                                       const Environment& env);

// The same with the file's contents already read; `file_name` is what errors
// name as the file. For the fuzz target tests/fuzz/config.cpp and for tests.
Result<Config, ConfigError> loadConfigText(std::string_view text, const std::string& file_name,
                                           const Environment& env);

// The CLI's rule for which file to read: the --config flag when given (it
// must then exist, which loadConfig checks), else "mxauth.yaml" in
// `working_dir` when present, else none (built-in defaults).
std::optional<std::filesystem::path> resolveConfigPath(
    const std::optional<std::filesystem::path>& flag);
std::optional<std::filesystem::path> resolveConfigPath(
    const std::optional<std::filesystem::path>& flag, const std::filesystem::path& working_dir);

// The variable that overrides `key`: "email.smtp.port" ->
// "MXAUTH_EMAIL__SMTP__PORT".
std::string environmentVariableFor(std::string_view key);

}  // namespace mxauth::config
