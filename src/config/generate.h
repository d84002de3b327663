#pragma once

// Writing configuration files (`mxauth config generate`).

#include <string>

#include "config/config.h"
#include "core/rng.h"

namespace mxauth::config {

// The defaults with fresh secrets: secrets.encryption and matrix.secret are
// each 32 random bytes in hex. Signing keys are left to the caller (the CLI
// generates them with crypto and sets secrets.keys).
Config generateConfig(Rng& rng);

// A complete YAML file holding every key of `config`. With `comments`, each
// section and key has one comment line above it saying what it does and its
// default. loadConfig() of the result gives back an equal Config, provided
// `config` passes validateConfig(). secrets.keys are written as literal
// block scalars (`key: |`) so that PEM stays readable.
std::string renderConfig(const Config& config, bool comments = true);

}  // namespace mxauth::config
