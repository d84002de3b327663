#include "core/line_writer.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mxauth::core {
namespace {

constexpr auto kForever = std::chrono::hours(1);

// A pipe whose read end is drained by a thread into a string.
class Pipe {
 public:
  Pipe() {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    read_fd_ = fds[0];
    write_fd_ = fds[1];
  }
  ~Pipe() {
    closeWriteEnd();
    ::close(read_fd_);
  }
  int writeEnd() const { return write_fd_; }
  void closeWriteEnd() {
    if (write_fd_ >= 0) ::close(write_fd_);
    write_fd_ = -1;
  }
  // Everything written until the write end closed.
  std::string readAll() {
    std::string out;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
      if (n <= 0) return out;
      out.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // What arrives within `timeout_ms`, without waiting for the end.
  std::optional<std::string> readSome(int timeout_ms) {
    pollfd pfd{read_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) != 1) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    return std::string(chunk, static_cast<std::size_t>(n));
  }

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(LineWriter, WritesEveryLineWholeAndInOrderPerThreadBeforeItIsDestroyed) {
  Pipe pipe;
  std::string output;
  std::thread reader([&] { output = pipe.readAll(); });
  {
    LineWriterOptions options;
    options.batch_delay = std::chrono::milliseconds(1);
    LineWriter writer(pipe.writeEnd(), options);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 2000; ++i) {
          writer.append("thread " + std::to_string(t) + " line " + std::to_string(i));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  pipe.closeWriteEnd();
  reader.join();
  const std::vector<std::string> got = lines(output);
  ASSERT_EQ(got.size(), 8000U);
  std::vector<int> next(4, 0);
  for (const std::string& line : got) {
    int t = -1;
    int i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "thread %d line %d", &t, &i), 2) << line;
    ASSERT_GE(t, 0);
    ASSERT_LT(t, 4);
    EXPECT_EQ(i, next[static_cast<std::size_t>(t)]) << "thread " << t << " out of order";
    next[static_cast<std::size_t>(t)] = i + 1;
  }
}

TEST(LineWriter, HoldsABatchUntilItsDelayOrSizeAndWritesAFullOneAtOnce) {
  Pipe pipe;
  LineWriterOptions options;
  options.batch_delay = kForever;
  options.flush_bytes = 100;
  auto writer = std::make_unique<LineWriter>(pipe.writeEnd(), options);
  writer->append("short line");
  // Under the size and with an hour's delay, nothing is written yet.
  EXPECT_EQ(pipe.readSome(50), std::nullopt);
  for (int i = 0; i < 10; ++i) writer->append("another line of some length");
  const std::optional<std::string> batch = pipe.readSome(10000);
  ASSERT_TRUE(batch.has_value()) << "a full batch was not written";
  EXPECT_TRUE(batch->starts_with("short line\nanother line of some length\n")) << *batch;
  writer.reset();
}

TEST(LineWriter, DropsLinesPastTheCapAndReportsHowMany) {
  Pipe pipe;
  std::string output;
  std::thread reader([&] { output = pipe.readAll(); });
  {
    LineWriterOptions options;
    options.batch_delay = kForever;
    options.max_pending = 45;
    options.dropped_line = [](std::uint64_t n) { return "dropped " + std::to_string(n); };
    LineWriter writer(pipe.writeEnd(), options);
    for (int i = 0; i < 5; ++i) writer.append("line number " + std::to_string(i) + "...");
    // 17 bytes each with the newline: two fit under 45, three are dropped.
  }
  pipe.closeWriteEnd();
  reader.join();
  EXPECT_EQ(lines(output),
            (std::vector<std::string>{"line number 0...", "line number 1...", "dropped 3"}));
}

}  // namespace
}  // namespace mxauth::core
