#include "tests/integration/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace mxauth::test {
namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The child's environment: PATH and HOME from ours, then `env`. Nothing else
// leaks in, so MXAUTH_* settings of the test run cannot change the binary's
// configuration behind a test's back.
std::vector<std::string> childEnvironment(const EnvVars& env) {
  std::vector<std::string> out;
  for (const char* name : {"PATH", "HOME", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) out.push_back(std::string(name) + "=" + value);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(const std::vector<std::string>& args, const EnvVars& env,
            const std::filesystem::path& cwd, int stdin_fd, int stdout_fd, int stderr_fd) {
  std::vector<std::string> argv_storage{mxauthBinary()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto env_storage = childEnvironment(env);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv_storage[0]);
  return pid;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` with a deadline by polling waitpid(WNOHANG): the wait is
// on a condition, bounded, not a fixed sleep.
std::optional<int> waitWithDeadline(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return decodeStatus(status);
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string mxauthBinary() { return MXAUTH_BINARY; }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "mxauth-it.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult runMxauth(const std::vector<std::string>& args, const EnvVars& env,
                        const std::filesystem::path& cwd, const std::string& stdin_data,
                        std::chrono::seconds timeout) {
  TempDir io;
  auto in_path = io.path() / "stdin";
  std::ofstream(in_path, std::ios::binary) << stdin_data;
  int in_fd = ::open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  int out_fd = ::open((io.path() / "out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  int err_fd = ::open((io.path() / "err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  pid_t pid = spawn(args, env, cwd, in_fd, out_fd, err_fd);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
  CommandResult result;
  auto code = waitWithDeadline(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    code = waitWithDeadline(pid, std::chrono::seconds(10));
  }
  result.exit_code = code.value_or(-1);
  result.out = readFile(io.path() / "out");
  result.err = readFile(io.path() / "err");
  return result;
}

ServeProcess::ServeProcess(const std::filesystem::path& cwd, EnvVars env,
                           std::vector<std::string> extra_args) {
  env.try_emplace("MXAUTH_HTTP__LISTEN", "127.0.0.1:0");
  out_path_ = cwd / "serve.out";
  err_path_ = cwd / "serve.err";
  int in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::vector<std::string> args{"serve"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(args, env, cwd, in_fd, out_fd, err_fd);
  ::close(in_fd);
  ::close(out_fd);
  ::close(err_fd);
}

ServeProcess::~ServeProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

std::optional<std::uint16_t> ServeProcess::waitUntilListening(std::chrono::milliseconds timeout) {
  static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    std::string text = out();
    if (std::regex_search(text, match, kListening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1].str()));
      return port_;
    }
    if (wait(std::chrono::milliseconds(10))) return std::nullopt;  // exited
  }
  return std::nullopt;
}

void ServeProcess::signal(int signo) {
  if (!exit_code_) ::kill(pid_, signo);
}

std::optional<int> ServeProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  exit_code_ = waitWithDeadline(pid_, timeout);
  return exit_code_;
}

std::string ServeProcess::out() const { return readFile(out_path_); }
std::string ServeProcess::err() const { return readFile(err_path_); }

}  // namespace mxauth::test
