#pragma once

// Matrix device ids of the legacy login API.

#include <string>
#include <string_view>

#include "core/rng.h"

namespace mxauth::compat {

// Any length up to 255 (clients of the legacy API choose their own), in the
// character set of MSC2967 device scopes, so that the device can always be
// written into a scope.
bool isAcceptableDeviceId(std::string_view id);

// Ten upper-case letters, as Synapse makes them.
std::string generateDeviceId(Rng& rng);

}  // namespace mxauth::compat
