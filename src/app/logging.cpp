#include "app/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fmt/chrono.h>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <memory>

namespace mxauth::app {
namespace {

std::atomic<config::LogLevel> g_level{config::LogLevel::Info};
std::atomic<config::LogFormat> g_format{config::LogFormat::Json};

std::shared_ptr<spdlog::logger>& logger() {
  // stdout, one write per line; spdlog's _mt sink serialises writers.
  static std::shared_ptr<spdlog::logger> instance = [] {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    auto l = std::make_shared<spdlog::logger>("mxauth", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::trace);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return instance;
}

std::string jsonString(std::string_view s) {
  return boost::json::serialize(boost::json::string(s));
}

bool isPlainNumber(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !dot && i + 1 < s.size()) {
      dot = true;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::atomic<const Clock*> g_clock{nullptr};

std::string nowIso8601() {
  const Clock* clock = g_clock.load();
  if (clock == nullptr) return "";
  Timestamp now = clock->now();
  auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", seconds, (now - seconds).count());
}

}  // namespace

void configureLogging(const config::LogConfig& config, const Clock& clock) {
  g_clock = &clock;
  g_level = config.level;
  g_format = config.format;
  logger();
}

void logEvent(config::LogLevel level, std::string_view message,
              std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < static_cast<int>(g_level.load())) return;
  std::string line;
  if (g_format.load() == config::LogFormat::Json) {
    line = fmt::format("{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":{}", nowIso8601(),
                       config::toString(level), jsonString(message));
    for (const auto& [key, value] : fields) {
      line +=
          fmt::format(",{}:{}", jsonString(key), isPlainNumber(value) ? value : jsonString(value));
    }
    line += '}';
  } else {
    line = fmt::format("{} {:<5} {}", nowIso8601(), config::toString(level), message);
    for (const auto& [key, value] : fields) line += fmt::format(" {}={}", key, value);
  }
  logger()->info(line);
}

void logAccessLine(std::string_view json_line) {
  if (static_cast<int>(config::LogLevel::Info) < static_cast<int>(g_level.load())) return;
  logger()->info(json_line);
}

}  // namespace mxauth::app
