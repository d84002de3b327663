#include "core/line_writer.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace mxauth::core {
namespace {

// Writes all of `data`, retrying after a signal or a short write. Gives up
// on any other error: there is nowhere left to report a failing log.
void writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

LineWriter::LineWriter(int fd, LineWriterOptions options)
    : fd_(fd), options_(std::move(options)), thread_([this] { run(); }) {}

LineWriter::~LineWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void LineWriter::append(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + line.size() + 1 > options_.max_pending) {
      ++dropped_;
      return;
    }
    // The writer sleeps while nothing is pending: the first line of a batch
    // wakes it (to start the batch's delay), a full batch ends the delay.
    const bool first = pending_.empty();
    pending_ += line;
    pending_ += '\n';
    wake = first || pending_.size() >= options_.flush_bytes;
  }
  if (wake) wake_.notify_one();
}

void LineWriter::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty() || dropped_ > 0; });
    // Gather more lines for a moment, unless stopping or already full.
    wake_.wait_for(lock, options_.batch_delay,
                   [this] { return stopping_ || pending_.size() >= options_.flush_bytes; });
    batch.swap(pending_);
    const std::uint64_t dropped = std::exchange(dropped_, 0);
    const bool stop = stopping_;
    lock.unlock();
    writeAll(fd_, batch);
    batch.clear();
    if (dropped > 0 && options_.dropped_line) {
      std::string report = options_.dropped_line(dropped);
      report += '\n';
      writeAll(fd_, report);
    }
    lock.lock();
    if (stop && pending_.empty() && dropped_ == 0) return;
  }
}

}  // namespace mxauth::core
