#include "http/middleware.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "http/headers.h"
#include "http/url_encoding.h"

namespace mxauth::http {
namespace {

std::string_view mediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return type;
}

bool isHtml(std::string_view content_type) {
  return equalsIgnoreCase(mediaType(content_type), "text/html");
}

bool isJson(std::string_view content_type) {
  const std::string_view type = mediaType(content_type);
  if (equalsIgnoreCase(type, "application/json")) return true;
  constexpr std::string_view kSuffix = "+json";
  return type.size() > kSuffix.size() &&
         equalsIgnoreCase(type.substr(type.size() - kSuffix.size()), kSuffix);
}

void setIfAbsent(Headers& headers, std::string_view name, std::string_view value) {
  if (!headers.contains(name)) headers.add(std::string(name), std::string(value));
}

// Length of the valid UTF-8 sequence at the start of `text`, or 0.
std::size_t utf8SequenceLength(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
  } else {
    return 0;
  }
  if (text.size() < length || !isValidUtf8(text.substr(0, length))) return 0;
  return length;
}

}  // namespace

void applyDefaultHeaders(Response& response, std::string_view request_id,
                         std::string_view strict_transport_security) {
  Headers& headers = response.headers;
  headers.set("X-Request-Id", std::string(request_id));
  headers.set("Server", "mxauth");
  setIfAbsent(headers, "X-Content-Type-Options", "nosniff");
  if (!strict_transport_security.empty()) {
    setIfAbsent(headers, "Strict-Transport-Security", strict_transport_security);
  }
  const std::string_view content_type = headers.get("Content-Type").value_or("");
  if (isHtml(content_type)) {
    setIfAbsent(headers, "Content-Security-Policy", kContentSecurityPolicy);
    setIfAbsent(headers, "X-Frame-Options", "DENY");
    setIfAbsent(headers, "Referrer-Policy", "no-referrer");
  } else if (isJson(content_type)) {
    setIfAbsent(headers, "Cache-Control", "no-store");
  }
}

bool isAcceptableRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    // A run of characters that need no escaping is copied in one go.
    std::size_t plain = i;
    while (plain < text.size()) {
      const auto p = static_cast<unsigned char>(text[plain]);
      if (p < 0x20 || p >= 0x7f || p == '"' || p == '\\') break;
      ++plain;
    }
    if (plain > i) {
      out.append(text.data() + i, plain - i);
      i = plain;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0x0f]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

namespace {

// `value` (0 ≤ value < 10^width) in exactly `width` decimal digits.
void appendDigits(std::string& out, long long value, int width) {
  char digits[8];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<std::size_t>(width));
}

}  // namespace

void appendIso8601(std::string& out, Timestamp time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date(days);
  const auto in_day = time - days;
  const auto hours = std::chrono::duration_cast<std::chrono::hours>(in_day);
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(in_day - hours);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(in_day - hours - minutes);
  const auto millis = in_day - hours - minutes - seconds;
  // "YYYY-MM-DDTHH:MM:SS.mmmZ", by hand: snprintf cost the access log more
  // than the rest of the line. Years outside 0–9999 keep their sign and
  // digits (they do not occur; the format stays unambiguous).
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    out += std::to_string(year);
  } else {
    appendDigits(out, year, 4);
  }
  out += '-';
  appendDigits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  appendDigits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  appendDigits(out, hours.count(), 2);
  out += ':';
  appendDigits(out, minutes.count(), 2);
  out += ':';
  appendDigits(out, seconds.count(), 2);
  out += '.';
  appendDigits(out, millis.count(), 3);
  out += 'Z';
}

std::string formatIso8601(Timestamp time) {
  std::string out;
  out.reserve(24);
  appendIso8601(out, time);
  return out;
}

std::string formatAccessLog(const AccessLogEntry& entry) {
  std::string line;
  line.reserve(320);
  appendAccessLog(line, entry);
  return line;
}

void appendAccessLog(std::string& line, const AccessLogEntry& entry) {
  line += '{';
  if (entry.time) {
    line += "\"ts\":\"";
    appendIso8601(line, *entry.time);
    line += "\",";
  }
  line += R"("level":"info","msg":"request","method":)";
  appendJsonString(line, entry.method);
  line += ",\"route\":";
  appendJsonString(line, entry.route);
  line += ",\"path\":";
  appendJsonString(line, entry.path);
  char number[24];
  line += ",\"status\":";
  line.append(number, std::to_chars(number, number + sizeof number, entry.status).ptr);
  char duration[32];
  const auto written = std::to_chars(duration, duration + sizeof duration, entry.duration_ms,
                                     std::chars_format::fixed, 3);
  line += ",\"duration_ms\":";
  line.append(duration, written.ec == std::errc() ? written.ptr : duration);
  line += ",\"request_id\":";
  appendJsonString(line, entry.request_id);
  line += ",\"remote\":";
  appendJsonString(line, entry.remote);
  if (!entry.peer.empty()) {
    line += ",\"peer\":";
    appendJsonString(line, entry.peer);
  }
  line += ",\"bytes\":";
  line.append(number, std::to_chars(number, number + sizeof number, entry.bytes).ptr);
  line += ",\"ua\":";
  appendJsonString(line, entry.user_agent);
  line += '}';
}

}  // namespace mxauth::http
