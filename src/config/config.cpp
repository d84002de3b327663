#include "config/config.h"

#include <cstdlib>

namespace mxauth::config {

std::string_view toString(EmailTransport value) {
  switch (value) {
    case EmailTransport::Blackhole:
      return "blackhole";
    case EmailTransport::Smtp:
      return "smtp";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string_view toString(SmtpMode value) {
  switch (value) {
    case SmtpMode::Plain:
      return "plain";
    case SmtpMode::StartTls:
      return "starttls";
    case SmtpMode::Tls:
      return "tls";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string_view toString(LogLevel value) {
  switch (value) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

std::string_view toString(LogFormat value) {
  switch (value) {
    case LogFormat::Json:
      return "json";
    case LogFormat::Text:
      return "text";
  }
  std::abort();  // unreachable: every enumerator is handled above
}

}  // namespace mxauth::config
