#pragma once

// Runs the real mxauth binary for integration tests: a child process in a
// temporary working directory, with a clean environment, its output captured
// to files. Waits always have deadlines; nothing sleeps to synchronise.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mxauth::test {

// The binary under test (set by CMake).
std::string mxauthBinary();

using EnvVars = std::map<std::string, std::string>;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A scratch directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `mxauth args...` to completion (bounded by `timeout`).
CommandResult runMxauth(const std::vector<std::string>& args, const EnvVars& env,
                        const std::filesystem::path& cwd, const std::string& stdin_data = {},
                        std::chrono::seconds timeout = std::chrono::seconds(60));

// A long-running `mxauth serve`.
class ServeProcess {
 public:
  // Starts `mxauth serve extra_args...` with http.listen on a free port
  // chosen by the kernel (127.0.0.1:0) unless env sets it.
  ServeProcess(const std::filesystem::path& cwd, EnvVars env,
               std::vector<std::string> extra_args = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // Waits for the "listening" log line and returns the bound port, or
  // nullopt when the process exits or the deadline passes first.
  std::optional<std::uint16_t> waitUntilListening(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  void signal(int signo);
  // The exit code (or 128 + signal), or nullopt if still running at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  std::uint16_t port_ = 0;
};

}  // namespace mxauth::test
