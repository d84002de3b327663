#include "http/testing/running_server.h"

#include <stdexcept>
#include <utility>

namespace mxauth::test {
namespace {

http::ServerOptions onLoopback(http::ServerOptions options) {
  if (options.listen == http::ServerOptions().listen) options.listen = "127.0.0.1:0";
  return options;
}

}  // namespace

RunningServer::RunningServer(http::ServerOptions options, http::Router& router,
                             core::WorkerPool& pool, http::ServerHooks hooks)
    : server_(onLoopback(std::move(options)), router, pool, std::move(hooks)) {
  auto started = server_.start();
  if (!started) throw std::runtime_error(started.error());
  std::promise<void> done;
  finished_ = done.get_future();
  thread_ = std::thread([this, done = std::move(done)]() mutable {
    server_.run();
    done.set_value();
  });
}

RunningServer::~RunningServer() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

bool RunningServer::waitUntilStopped(std::chrono::milliseconds timeout) {
  return finished_.wait_for(timeout) == std::future_status::ready;
}

}  // namespace mxauth::test
