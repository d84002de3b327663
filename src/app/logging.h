#pragma once

// Process logging. With log.format json (the default) every line on stdout
// is one JSON object: the server's events ({"ts","level","msg",…fields}) and
// the access log lines the HTTP layer produces share one stream, so a log
// shipper needs one parser. With log.format text the lines are for humans.

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"
#include "core/clock.h"

namespace mxauth::core {
class LineWriter;
}

namespace mxauth::app {

// `clock` stamps the lines; it must outlive every later log call.
void configureLogging(const config::LogConfig& config, const Clock& clock);

// An extra field of an event: {"port", "8080"}. Values are written as JSON
// strings unless they parse as plain numbers.
using LogField = std::pair<std::string_view, std::string>;

void logEvent(config::LogLevel level, std::string_view message,
              std::initializer_list<LogField> fields = {});

inline void logInfo(std::string_view message, std::initializer_list<LogField> fields = {}) {
  logEvent(config::LogLevel::Info, message, fields);
}
inline void logWarn(std::string_view message, std::initializer_list<LogField> fields = {}) {
  logEvent(config::LogLevel::Warn, message, fields);
}
inline void logError(std::string_view message, std::initializer_list<LogField> fields = {}) {
  logEvent(config::LogLevel::Error, message, fields);
}

// Writes a line the HTTP layer built (already JSON) as it is; in text
// format it is written unchanged too.
void logAccessLine(std::string_view json_line);

// While it lives, log lines are written by a thread of their own in small
// batches (core/line_writer.h): a request does not wait for stdout or pay a
// system call for its access-log line, lines reach stdout at most ~20 ms
// late, and a stalled reader costs dropped lines (counted in a later line)
// rather than stalled requests. `serve` holds one; command-line tools write
// each line at once. Create it after configureLogging(); destroy it after
// every thread that logs has stopped (it writes what is left).
class BackgroundLogging {
 public:
  BackgroundLogging();
  ~BackgroundLogging();
  BackgroundLogging(const BackgroundLogging&) = delete;
  BackgroundLogging& operator=(const BackgroundLogging&) = delete;

 private:
  std::unique_ptr<core::LineWriter> writer_;
};

}  // namespace mxauth::app
