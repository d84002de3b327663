#pragma once

// Rules a Config must satisfy before the service uses it: each value on its
// own (the same checks loadConfig applies) and rules across keys, such as
// "matrix.endpoint set => matrix.secret set". Used by `mxauth config check`
// and by loadConfig; callers that build a Config in code call it too.
// The error names the key to change; it carries no file or line.

#include "config/config.h"
#include "config/config_error.h"
#include "core/result.h"

namespace mxauth::config {

Result<void, ConfigError> validateConfig(const Config& config);

}  // namespace mxauth::config
