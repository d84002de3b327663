// The physical limit of the box: a minimal Boost.Beast server that answers
// every request with the same JSON document. `make bench` loads it in the
// same run as mxauth, with the same requests as the workload it is compared
// with, so that ratios, not absolute figures, are compared.
//
//   static_server PORT [IO_THREADS [BODY]]
//
// BODY is the document (default {"status":"ok"}); `make bench` passes one
// shaped and sized like an introspection answer.

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kDefaultBody = R"({"status":"ok"})";

asio::awaitable<void> serve(tcp::socket socket, std::string_view body) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    beast::http::request<beast::http::string_body> request;
    auto [ec, n] = co_await beast::http::async_read(stream, buffer, request,
                                                    asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    beast::http::response<beast::http::string_body> response(beast::http::status::ok,
                                                             request.version());
    response.set(beast::http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = body;
    response.prepare_payload();
    auto [wec, wn] =
        co_await beast::http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
    if (wec || !response.keep_alive()) co_return;
  }
}

asio::awaitable<void> listen(tcp::acceptor& acceptor, std::string_view body) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) continue;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), body), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: static_server PORT [IO_THREADS [BODY]]\n");
    return 2;
  }
  auto port = static_cast<unsigned short>(std::atoi(argv[1]));
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  const std::string body(argc > 3 ? std::string_view(argv[3]) : kDefaultBody);
  asio::io_context io(threads);
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
  asio::co_spawn(io, listen(acceptor, body), asio::detached);
  std::vector<std::thread> extra;
  for (int i = 1; i < threads; ++i) extra.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
}
