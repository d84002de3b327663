#include "storage/postgres/invalidation_listener.h"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "storage/postgres/libpq.h"

namespace mxauth::storage::postgres {
namespace {

using namespace std::chrono_literals;

// How long one wait on the socket lasts: the bound on noticing a stop.
constexpr int kPollMillis = 200;
constexpr auto kReconnectDelay = 1s;

class InvalidationListener final : public Subscription {
 public:
  InvalidationListener(PostgresOptions options, InvalidationHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        thread_([this](const std::stop_token& stop) { run(stop); }) {}

  ~InvalidationListener() override {
    thread_.request_stop();
    thread_.join();
  }

  InvalidationListener(const InvalidationListener&) = delete;
  InvalidationListener& operator=(const InvalidationListener&) = delete;

 private:
  struct ConnectionCloser {
    void operator()(PGconn* connection) const { libpq().PQfinish(connection); }
  };
  using ConnectionPtr = std::unique_ptr<PGconn, ConnectionCloser>;

  ConnectionPtr connect() const {
    const std::string timeout = std::to_string(options_.connect_timeout.count());
    const char* const keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* const values[] = {timeout.c_str(), "mxauth-listener", options_.uri.c_str(),
                                  nullptr};
    if (!loadLibpq()) return nullptr;
    ConnectionPtr connection(libpq().PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
    if (!connection || libpq().PQstatus(connection.get()) != CONNECTION_OK) return nullptr;
    const std::string listen = std::string("LISTEN ") + kInvalidationChannel;
    PGresult* result = libpq().PQexec(connection.get(), listen.c_str());
    const bool listening = result != nullptr && libpq().PQresultStatus(result) == PGRES_COMMAND_OK;
    libpq().PQclear(result);
    if (!listening) return nullptr;
    return connection;
  }

  // Waits up to `delay` in short steps; false when asked to stop.
  static bool pause(const std::stop_token& stop, std::chrono::milliseconds delay) {
    for (auto waited = 0ms; waited < delay; waited += std::chrono::milliseconds(kPollMillis)) {
      if (stop.stop_requested()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMillis));
    }
    return !stop.stop_requested();
  }

  void run(const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      ConnectionPtr connection = connect();
      if (!connection) {
        if (!pause(stop, kReconnectDelay)) return;
        continue;
      }
      // Whatever committed before LISTEN took effect is unknown: also the
      // first time, since the caller may have cached answers already.
      handler_(Invalidation{Invalidation::Kind::Everything, {}});
      listen(stop, connection.get());
      if (!stop.stop_requested()) {
        handler_(Invalidation{Invalidation::Kind::Everything, {}});
        if (!pause(stop, kReconnectDelay)) return;
      }
    }
  }

  // Delivers notifications until the connection fails or a stop.
  void listen(const std::stop_token& stop, PGconn* connection) {
    const int socket = libpq().PQsocket(connection);
    if (socket < 0) return;
    while (!stop.stop_requested()) {
      pollfd waiting{socket, POLLIN, 0};
      const int ready = ::poll(&waiting, 1, kPollMillis);
      if (ready < 0 && errno != EINTR) return;
      if (ready <= 0) continue;
      if (libpq().PQconsumeInput(connection) == 0) return;  // the connection is gone
      while (PGnotify* notification = libpq().PQnotifies(connection)) {
        const std::optional<Invalidation> invalidation =
            parseInvalidation(notification->extra != nullptr ? notification->extra : "");
        libpq().PQfreemem(notification);
        if (invalidation) handler_(*invalidation);
      }
      if (libpq().PQstatus(connection) != CONNECTION_OK) return;
    }
  }

  const PostgresOptions options_;
  const InvalidationHandler handler_;
  std::jthread thread_;  // last: it uses the members above
};

}  // namespace

std::unique_ptr<Subscription> listenForInvalidations(const PostgresOptions& options,
                                                     InvalidationHandler handler) {
  return std::make_unique<InvalidationListener>(options, std::move(handler));
}

}  // namespace mxauth::storage::postgres
