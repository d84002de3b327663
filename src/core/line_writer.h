#pragma once

// Lines written to a file descriptor by a thread of their own, in batches
// (the server's log on stdout, design §12). A caller appends and returns at
// once: it neither waits for a slow reader of the descriptor nor pays a
// system call per line. The thread writes what has gathered at most
// `batch_delay` after the first line of a batch, or at once when
// `flush_bytes` have gathered.
//
// Contract:
//  - lines come out whole, in the order append() was called;
//  - when more than `max_pending` bytes wait (the reader has stalled), a
//    line is dropped rather than the caller blocked or memory grown; the
//    count of dropped lines is handed to `dropped_line` once the writer
//    catches up, and the line it returns is written in their place;
//  - the destructor writes every line appended before it and joins the
//    thread; nothing may append concurrently with or after it.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/clock.h"

namespace mxauth::core {

struct LineWriterOptions {
  Duration batch_delay = std::chrono::milliseconds(20);
  std::size_t flush_bytes = std::size_t{64} * 1024;
  std::size_t max_pending = std::size_t{8} * 1024 * 1024;
  // The line (without its newline) reporting `count` dropped lines.
  std::function<std::string(std::uint64_t count)> dropped_line;
};

class LineWriter {
 public:
  LineWriter(int fd, LineWriterOptions options);
  ~LineWriter();
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // Queues `line` and a newline.
  void append(std::string_view line);

 private:
  void run();

  const int fd_;
  const LineWriterOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;
  std::uint64_t dropped_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mxauth::core
