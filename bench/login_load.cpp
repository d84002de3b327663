// The password-login workload of `make bench`: the complete browser flow
// of bench/login_flow.mjs (GET /authorize → the login page → POST the
// password → the consent page → POST allow → the redirect with the code →
// the token exchange with PKCE), done by CONCURRENCY threads in a loop for
// SECONDS, each login with a fresh cookie jar, as a new browser would.
//
// Written in C++ rather than Node so that the client, which shares the
// machine's cores with the server, costs little next to the argon2id hash
// the figure is compared with (Node's fetch spent ~9 ms of CPU per login,
// a quarter of the hash).
//
//   bench_login_load BASE CLIENT_ID REDIRECT_URI USERNAME PASSWORD SCOPE CONCURRENCY SECONDS
//
// Prints one JSON object: {"count", "rps", "p50", "p99", "failures"}.

#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host;
  std::string port;
  std::string client_id;
  std::string redirect_uri;
  std::string username;
  std::string password;
  std::string scope;
  int concurrency = 8;
  int seconds = 10;
};

// A failed step, by what a report should count it as.
struct StepFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string randomUrlSafe(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  if (RAND_bytes(buffer.data(), static_cast<int>(buffer.size())) != 1) {
    throw StepFailure("RAND_bytes failed");
  }
  return mxauth::core::base64UrlEncode(buffer);
}

std::string htmlUnescape(std::string_view text) {
  static const std::pair<std::string_view, char> kEntities[] = {{"&amp;", '&'},   {"&quot;", '"'},
                                                                {"&apos;", '\''}, {"&#39;", '\''},
                                                                {"&lt;", '<'},    {"&gt;", '>'}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

std::string attribute(std::string_view tag, std::string_view name) {
  const std::string key = " " + std::string(name) + "=\"";
  const std::size_t at = tag.find(key);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + key.size();
  const std::size_t end = tag.find('"', start);
  return htmlUnescape(tag.substr(start, end - start));
}

// The hidden inputs of a page's form, as a browser sends them back.
std::vector<std::pair<std::string, std::string>> hiddenFields(std::string_view html) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (std::size_t at = html.find("<input"); at != std::string_view::npos;
       at = html.find("<input", at + 1)) {
    const std::string_view tag = html.substr(at, html.find('>', at) - at);
    if (tag.find("type=\"hidden\"") == std::string_view::npos) continue;
    fields.emplace_back(attribute(tag, "name"), attribute(tag, "value"));
  }
  return fields;
}

// RFC 3986 unreserved characters stay, everything else is %XX.
std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

std::string percentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string formBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += percentEncode(name) + "=" + percentEncode(value);
  }
  return body;
}

// One browser: a keep-alive connection and a cookie jar.
class Browser {
 public:
  explicit Browser(const Options& options) : options_(options), stream_(io_) {}

  // One complete login; throws StepFailure.
  void login() {
    cookies_.clear();
    const std::string verifier = randomUrlSafe(32);
    const auto digest = mxauth::crypto::sha256(verifier);
    const std::string challenge = mxauth::core::base64UrlEncode(digest);
    std::string next = "/authorize?" + formBody({{"response_type", "code"},
                                                 {"client_id", options_.client_id},
                                                 {"redirect_uri", options_.redirect_uri},
                                                 {"scope", options_.scope},
                                                 {"state", randomUrlSafe(8)},
                                                 {"code_challenge", challenge},
                                                 {"code_challenge_method", "S256"}});
    bool logged_in = false;
    for (int steps = 0; !next.starts_with(options_.redirect_uri); ++steps) {
      if (steps > 12) throw StepFailure("too many steps before the redirect back");
      auto response = send(http::verb::get, next, {});
      if (response.result_int() == 200) {
        const std::string& html = response.body();
        auto fields = hiddenFields(html);
        if (html.find("<form id=\"login\"") != std::string::npos && !logged_in) {
          fields.emplace_back("username", options_.username);
          fields.emplace_back("password", options_.password);
          logged_in = true;
        } else {
          fields.emplace_back("action", "allow");
        }
        response = send(http::verb::post, next, formBody(fields));
      }
      if (response.result_int() != 302 && response.result_int() != 303) {
        throw StepFailure("HTTP " + std::to_string(response.result_int()));
      }
      next = localTarget(std::string(response[http::field::location]));
    }
    const std::size_t code_at = next.find("code=");
    if (code_at == std::string::npos) throw StepFailure("came back without a code");
    const std::string code =
        percentDecode(next.substr(code_at + 5, next.find('&', code_at) - code_at - 5));
    auto token = send(http::verb::post, "/oauth2/token",
                      formBody({{"grant_type", "authorization_code"},
                                {"code", code},
                                {"redirect_uri", options_.redirect_uri},
                                {"client_id", options_.client_id},
                                {"code_verifier", verifier}}),
                      /*with_cookies=*/false);
    if (token.result_int() != 200 || token.body().find("\"refresh_token\"") == std::string::npos) {
      throw StepFailure("token exchange: HTTP " + std::to_string(token.result_int()));
    }
  }

 private:
  // A Location as this client follows it: the redirect URI as it is, our
  // own URLs as a path.
  std::string localTarget(std::string location) const {
    if (location.starts_with(options_.redirect_uri)) return location;
    if (location.starts_with("http://") || location.starts_with("https://")) {
      const std::size_t path = location.find('/', location.find("//") + 2);
      return path == std::string::npos ? "/" : location.substr(path);
    }
    return location;
  }

  http::response<http::string_body> send(http::verb method, const std::string& target,
                                         std::string body, bool with_cookies = true) {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, options_.host + ":" + options_.port);
    request.set(http::field::user_agent, "mxauth-bench-login");
    if (with_cookies && !cookies_.empty()) {
      std::string header;
      for (const auto& [name, value] : cookies_) {
        if (!header.empty()) header += "; ";
        header += name + "=" + value;
      }
      request.set(http::field::cookie, header);
    }
    if (method == http::verb::post) {
      request.set(http::field::content_type, "application/x-www-form-urlencoded");
      request.body() = std::move(body);
      request.prepare_payload();
    }
    for (int attempt = 0;; ++attempt) {
      try {
        if (!connected_) connect();
        http::write(stream_, request);
        http::response<http::string_body> response;
        http::read(stream_, buffer_, response);
        if (!response.keep_alive()) disconnect();
        storeCookies(response);
        return response;
      } catch (const boost::system::system_error& error) {
        // The server may close an idle keep-alive connection: once more on
        // a new one.
        disconnect();
        if (attempt > 0) throw StepFailure(std::string("connection: ") + error.what());
      }
    }
  }

  void storeCookies(const http::response<http::string_body>& response) {
    const auto [first, last] = response.base().equal_range(http::field::set_cookie);
    for (auto field = first; field != last; ++field) {
      const std::string_view line = field->value();
      const std::string_view pair = line.substr(0, line.find(';'));
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string name(pair.substr(0, eq));
      const std::string value(pair.substr(eq + 1));
      if (value.empty() || line.find("Max-Age=0") != std::string_view::npos) {
        cookies_.erase(name);
      } else {
        cookies_[name] = value;
      }
    }
  }

  void connect() {
    tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve(options_.host, options_.port));
    stream_.socket().set_option(tcp::no_delay(true));
    connected_ = true;
  }

  void disconnect() {
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    buffer_.clear();
    connected_ = false;
  }

  const Options& options_;
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  std::map<std::string, std::string> cookies_;
};

Options parse(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr,
                 "usage: %s BASE CLIENT_ID REDIRECT_URI USERNAME PASSWORD SCOPE CONCURRENCY "
                 "SECONDS\n",
                 argv[0]);
    std::exit(2);
  }
  Options options;
  std::string base = argv[1];  // http://host:port/
  if (!base.starts_with("http://")) throw std::invalid_argument("BASE must be http://host:port/");
  base = base.substr(7);
  base = base.substr(0, base.find('/'));
  const std::size_t colon = base.rfind(':');
  options.host = base.substr(0, colon);
  options.port = colon == std::string::npos ? "80" : base.substr(colon + 1);
  options.client_id = argv[2];
  options.redirect_uri = argv[3];
  options.username = argv[4];
  options.password = argv[5];
  options.scope = argv[6];
  options.concurrency = std::max(1, std::atoi(argv[7]));
  options.seconds = std::max(1, std::atoi(argv[8]));
  return options;
}

std::string jsonEscape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  std::mutex mutex;
  std::vector<double> latencies;
  std::map<std::string, int> failures;
  const auto started = Clock::now();
  const auto until = started + std::chrono::seconds(options.seconds);
  std::vector<std::thread> threads;
  for (int i = 0; i < options.concurrency; ++i) {
    threads.emplace_back([&] {
      Browser browser(options);
      std::vector<double> mine;
      std::map<std::string, int> failed;
      while (Clock::now() < until) {
        const auto t0 = Clock::now();
        try {
          browser.login();
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        } catch (const std::exception& error) {
          ++failed[error.what()];
        }
      }
      const std::lock_guard lock(mutex);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
      for (const auto& [what, count] : failed) failures[what] += count;
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double q) {
    if (latencies.empty()) return 0.0;
    const auto index = static_cast<std::size_t>(q * static_cast<double>(latencies.size()));
    return latencies[std::min(latencies.size() - 1, index)];
  };
  std::string failed;
  for (const auto& [what, count] : failures) {
    if (!failed.empty()) failed += ',';
    failed += "\"" + jsonEscape(what) + "\":" + std::to_string(count);
  }
  std::printf("{\"count\":%zu,\"rps\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"failures\":{%s}}\n",
              latencies.size(), static_cast<double>(latencies.size()) / elapsed, at(0.5), at(0.99),
              failed.c_str());
  return 0;
}
