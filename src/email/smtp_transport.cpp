#include "email/smtp_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

namespace mxauth::email {
namespace {

void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// The message text libcurl reads (CURLOPT_READFUNCTION). libcurl itself
// escapes a line that starts with "." (RFC 5321 §4.5.2) and ends the data.
struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t readUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

std::string_view securityName(SmtpSecurity security) {
  switch (security) {
    case SmtpSecurity::Plain:
      return "plain";
    case SmtpSecurity::StartTls:
      return "starttls";
    case SmtpSecurity::Tls:
      return "tls";
  }
  return "plain";
}

// An address for MAIL FROM / RCPT TO: nothing that could end the command.
bool isSafeEnvelopeAddress(std::string_view address) {
  return !address.empty() &&
         address.find_first_of(std::string_view("\r\n\0<> ", 6)) == std::string_view::npos;
}

// One SMTP exchange: a configured handle and what it needs to stay alive.
class Exchange {
 public:
  Exchange(const SmtpOptions& options, std::string url) : url_(std::move(url)) {
    initCurlOnce();
    curl_.reset(curl_easy_init());
    if (!curl_) return;
    CURL* curl = curl_.get();
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_.data());
    switch (options.security) {
      case SmtpSecurity::Plain:
        curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
        break;
      case SmtpSecurity::StartTls:
      case SmtpSecurity::Tls:
        curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        break;
    }
    if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
    if (!options.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, options.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options.password.c_str());
    }
  }

  CURL* get() const { return curl_.get(); }

  // Runs the exchange; on failure, what went wrong in the words of libcurl
  // and the server's last reply code (never the password: libcurl's error
  // texts do not carry credentials, and the URL holds none).
  Result<void, SendError> perform(std::string_view server) {
    const CURLcode code = curl_easy_perform(curl_.get());
    if (code == CURLE_OK) return {};
    long reply = 0;
    curl_easy_getinfo(curl_.get(), CURLINFO_RESPONSE_CODE, &reply);
    std::string detail = error_[0] != '\0' ? std::string(error_.data()) : curl_easy_strerror(code);
    SendError error;
    error.message = std::string(server) + ": " + detail;
    if (reply != 0) error.message += " (SMTP reply " + std::to_string(reply) + ")";
    // RFC 5321 §4.2.1: 5yz is a permanent refusal of this message. A
    // refused login is the operator's to fix, after which a retry helps.
    error.permanent = reply >= 500 && reply < 600 && code != CURLE_LOGIN_DENIED;
    return unexpected(std::move(error));
  }

 private:
  std::string url_;
  CurlHandle curl_;
  std::array<char, CURL_ERROR_SIZE> error_{};
};

// host:port for a URL, with an IPv6 address in brackets.
std::string hostPort(const SmtpOptions& options) {
  const bool ipv6 = options.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
}

std::string_view schemeOf(const SmtpOptions& options) {
  return options.security == SmtpSecurity::Tls ? "smtps://" : "smtp://";
}

// smtp[s]://host:port/helo-name: libcurl says EHLO with the URL's path.
std::string smtpUrl(const SmtpOptions& options) {
  return std::string(schemeOf(options)) + hostPort(options) + "/" + options.helo_name;
}

}  // namespace

SmtpTransport::SmtpTransport(SmtpOptions options) : options_(std::move(options)) {}

std::string SmtpTransport::describe() const {
  return std::string(schemeOf(options_)) + hostPort(options_) + " (" +
         std::string(securityName(options_.security)) + ")";
}

Result<void, SendError> SmtpTransport::send(const Envelope& envelope, std::string_view mime) {
  if (!isSafeEnvelopeAddress(envelope.from) || !isSafeEnvelopeAddress(envelope.to)) {
    return unexpected(SendError{"the envelope addresses are not plain addresses", true});
  }
  Exchange exchange(options_, smtpUrl(options_));
  if (exchange.get() == nullptr) return unexpected(SendError{"curl_easy_init failed", false});
  CURL* curl = exchange.get();
  const std::string mail_from = "<" + envelope.from + ">";
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  const std::string rcpt_to = "<" + envelope.to + ">";
  Slist recipients(curl_slist_append(nullptr, rcpt_to.c_str()));
  if (!recipients) return unexpected(SendError{"out of memory", false});
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients.get());
  Upload upload{mime, 0};
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, readUpload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mime.size()));
  return exchange.perform(describe());
}

Result<void, SendError> SmtpTransport::check() {
  Exchange exchange(options_, smtpUrl(options_));
  if (exchange.get() == nullptr) return unexpected(SendError{"curl_easy_init failed", false});
  // The connection phase only: greeting, EHLO, STARTTLS, AUTH; then QUIT.
  curl_easy_setopt(exchange.get(), CURLOPT_CONNECT_ONLY, 1L);
  return exchange.perform(describe());
}

}  // namespace mxauth::email
