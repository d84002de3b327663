#pragma once

// A fixed set of threads with a bounded queue, for work that must not run
// on the I/O threads (design §2): database calls, argon2id, RSA signing.
// When the queue is full, trySubmit() refuses at once so that the caller can
// answer 503 quickly instead of letting memory grow without bound.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mxauth::core {

class WorkerPool {
 public:
  WorkerPool(std::string name, std::size_t threads, std::size_t queue_limit);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false (and `job` dropped) when the queue is at its limit
  // or the pool is stopping.
  [[nodiscard]] bool trySubmit(std::function<void()> job);

  // Stops taking work, finishes what is queued, joins the threads.
  void shutdown();

  std::size_t threads() const { return threads_.size(); }
  std::size_t queueLimit() const { return queue_limit_; }
  std::size_t queued() const;
  std::size_t busy() const;

 private:
  void run();

  std::string name_;
  std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::size_t busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mxauth::core
