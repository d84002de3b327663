#pragma once

// Runs an http::Server on 127.0.0.1 and a port of its choosing, on a
// thread of its own, for tests. The destructor stops it and waits.

#include <chrono>
#include <cstdint>
#include <future>
#include <thread>

#include "http/server.h"

namespace mxauth::test {

class RunningServer {
 public:
  // Starts the server (options.listen defaults to "127.0.0.1:0" here);
  // throws std::runtime_error when it cannot listen.
  RunningServer(http::ServerOptions options, http::Router& router, core::WorkerPool& pool,
                http::ServerHooks hooks = {});
  ~RunningServer();
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return server_.boundPort(); }
  http::Server& server() { return server_; }

  // Begins a graceful stop; returns at once.
  void stop() { server_.stop(); }
  // True once run() has returned, waiting up to `timeout`.
  bool waitUntilStopped(std::chrono::milliseconds timeout);

  // Polls `condition` until it holds or `timeout` passes.
  template <class Predicate>
  static bool eventually(Predicate condition,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

 private:
  http::Server server_;
  std::future<void> finished_;
  std::thread thread_;
};

}  // namespace mxauth::test
