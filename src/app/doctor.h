#pragma once

// `mxauth doctor`: checks a live deployment from the configuration, the way
// an operator would by hand (docs/setup/synapse.md §6): mxauth's public
// metadata, the homeserver's /_synapse/mas API and the shared secret, the
// metadata Synapse re-serves, and (given the homeserver's client URL) that
// the reverse proxy sends the legacy login paths to mxauth; with
// email.transport smtp, that the SMTP server accepts a connection (TLS and
// AUTH as configured) without sending anything.

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace mxauth::app {

enum class CheckOutcome { Ok, Failed, Skipped };

struct DoctorCheck {
  std::string name;
  CheckOutcome outcome = CheckOutcome::Ok;
  std::string detail;  // what was seen; for a failure, what to fix
};

struct DoctorOptions {
  // The homeserver's public client URL (https://matrix.example.org/); the
  // routing check is skipped without it.
  std::optional<std::string> client_url;
};

std::vector<DoctorCheck> runDoctor(const config::Config& config, const DoctorOptions& options);

}  // namespace mxauth::app
