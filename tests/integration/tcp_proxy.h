#pragma once

// A TCP forwarder between the server under test and its database, which a
// test can cut and restore: the database "goes away" and "comes back"
// without stopping the shared PostgreSQL cluster.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mxauth::test {

class TcpProxy {
 public:
  TcpProxy(std::string upstream_host, std::uint16_t upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // Cut: closes every forwarded connection and refuses new ones (accepts
  // and closes at once) until restore().
  void cut();
  void restore();

 private:
  void acceptLoop();
  void pump(int client, int upstream);

  std::string upstream_host_;
  std::uint16_t upstream_port_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::mutex mutex_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace mxauth::test
