#include "app/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "core/line_writer.h"

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

// The writer thread of the serving process (BackgroundLogging); while it
// exists every line goes through it.
std::atomic<core::LineWriter*> g_writer{nullptr};

std::string nowIso8601() {
  const Clock* clock = g_clock.load();
  if (clock == nullptr) return "";
  Timestamp now = clock->now();
  auto seconds = std::chrono::floor<std::chrono::seconds>(now);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", seconds, (now - seconds).count());
}

std::string formatEvent(config::LogLevel level, std::string_view message,
                        std::initializer_list<LogField> fields) {
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
  return line;
}

void writeLine(std::string_view line) {
  if (core::LineWriter* writer = g_writer.load()) {
    writer->append(line);
  } else {
    logger()->info(line);
  }
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
  writeLine(formatEvent(level, message, fields));
}

void logAccessLine(std::string_view json_line) {
  if (static_cast<int>(config::LogLevel::Info) < static_cast<int>(g_level.load())) return;
  writeLine(json_line);
}

BackgroundLogging::BackgroundLogging() {
  std::fflush(stdout);
  core::LineWriterOptions options;
  options.dropped_line = [](std::uint64_t count) {
    return formatEvent(config::LogLevel::Warn,
                       "log lines dropped: standard output is not keeping up",
                       {{"count", std::to_string(count)}});
  };
  auto writer = std::make_unique<core::LineWriter>(STDOUT_FILENO, std::move(options));
  core::LineWriter* expected = nullptr;
  if (g_writer.compare_exchange_strong(expected, writer.get())) writer_ = std::move(writer);
}

BackgroundLogging::~BackgroundLogging() {
  if (!writer_) return;
  g_writer = nullptr;
  writer_.reset();  // writes what is left
}

}  // namespace mxauth::app
