#include "tests/integration/smtp_sink.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>

namespace mxauth::test {
namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path freshDirectory() {
  std::string pattern = (std::filesystem::temp_directory_path() / "mxauth-smtp-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

}  // namespace

SmtpSink::SmtpSink(SmtpSinkOptions options) : dir_(freshDirectory()) {
  std::vector<std::string> args = {MXAUTH_PYTHON,
                                   std::string(MXAUTH_SOURCE_DIR) + "/tests/smtp/smtp_sink.py",
                                   "--dir", dir_.string()};
  if (options.credentials) {
    args.emplace_back("--auth");
    args.push_back(*options.credentials);
  }
  if (options.auth_mechanism) {
    args.emplace_back("--auth-mechanism");
    args.push_back(*options.auth_mechanism);
  }
  if (options.tls) {
    args.emplace_back("--tls");
    args.push_back(*options.tls);
  }
  args.emplace_back("--fail-first");
  args.push_back(std::to_string(options.fail_first));
  args.emplace_back("--fail-code");
  args.push_back(std::to_string(options.fail_code));

  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) {
    error_ = "pipe failed";
    return;
  }
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  // Wait (with a deadline) for "port N" on its stdout.
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (output.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd fd{out_pipe[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) break;
    char buffer[256];
    const ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  if (output.rfind("port ", 0) == 0) {
    port_ = static_cast<std::uint16_t>(std::stoi(output.substr(5)));
  } else {
    error_ =
        "tests/smtp/smtp_sink.py did not start (is python3-aiosmtpd installed? "
        "tools/install-deps.sh installs it): " +
        output;
  }
}

SmtpSink::~SmtpSink() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the sink stops at EOF
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

std::vector<ReceivedEmail> SmtpSink::messages() const {
  std::vector<ReceivedEmail> received;
  for (int index = 1;; ++index) {
    char stem[16];
    std::snprintf(stem, sizeof stem, "%04d", index);
    const std::filesystem::path meta = dir_ / (std::string(stem) + ".json");
    if (!std::filesystem::exists(meta)) break;
    boost::system::error_code ec;
    const boost::json::value value = boost::json::parse(readFile(meta), ec);
    if (ec || !value.is_object()) break;
    const boost::json::object& object = value.as_object();
    ReceivedEmail email;
    if (const auto* from = object.if_contains("mail_from"); from && from->is_string()) {
      email.mail_from = std::string(from->as_string());
    }
    if (const auto* to = object.if_contains("rcpt_tos"); to && to->is_array()) {
      for (const auto& rcpt : to->as_array()) {
        if (rcpt.is_string()) email.rcpt_tos.emplace_back(rcpt.as_string());
      }
    }
    if (const auto* auth = object.if_contains("authenticated"); auth && auth->is_bool()) {
      email.authenticated = auth->as_bool();
    }
    if (const auto* login = object.if_contains("login"); login && login->is_string()) {
      email.login = std::string(login->as_string());
    }
    if (const auto* tls = object.if_contains("tls"); tls && tls->is_bool()) {
      email.tls = tls->as_bool();
    }
    email.data = readFile(dir_ / (std::string(stem) + ".eml"));
    received.push_back(std::move(email));
  }
  return received;
}

}  // namespace mxauth::test
