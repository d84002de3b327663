#include "email/message.h"

#include <array>
#include <chrono>
#include <cstdio>

#include "core/encoding.h"
#include "core/ulid.h"
#include "domain/email_address.h"

namespace mxauth::email {
namespace {

constexpr std::string_view kCrlf = "\r\n";
// RFC 2045 §6.7 (5): encoded lines are at most 76 characters.
constexpr std::size_t kMaxQuotedPrintableLine = 76;
// RFC 2047 §2: an encoded word is at most 75 characters. 42 bytes of text
// give 56 base64 characters and 68-character words, so that "Subject: "
// and the first word stay within RFC 5322's 78-character line.
constexpr std::size_t kMaxEncodedWordBytes = 42;
// Printable ASCII headers up to this length are written as they are.
constexpr std::size_t kMaxPlainHeaderText = 66;

bool isPrintableAscii(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

// RFC 5322 §3.2.3 atext, plus the space between atoms of a phrase.
bool isPhraseOfAtoms(std::string_view text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ') return false;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~ ";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool alphanumeric =
        (u >= '0' && u <= '9') || (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z');
    if (!alphanumeric && kSpecials.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string_view trimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A display name as a header phrase: atoms as they are, other ASCII as a
// quoted string, anything else as encoded words.
std::string formatDisplayName(std::string_view name) {
  if (isPhraseOfAtoms(name) && name.size() <= kMaxPlainHeaderText) return std::string(name);
  if (isPrintableAscii(name) && name.size() <= kMaxPlainHeaderText) {
    std::string quoted = "\"";
    for (const char c : name) {
      if (c == '"' || c == '\\') quoted.push_back('\\');
      quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
  }
  return encodeHeaderText(name);
}

std::string formatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  return formatDisplayName(mailbox.display_name) + " <" + mailbox.address + ">";
}

// The boundary of the multipart body. "=_" never occurs in quoted-printable
// text (an "=" is followed by two hex digits or a line end), so it cannot
// collide with the encoded parts (RFC 2045 §6.7, RFC 2046 §5.1.1).
std::string boundaryFor(const MessageIdentity& identity) {
  const std::string_view id = identity.message_id;
  return "=_mxauth_" + std::string(id.substr(0, id.find('@')));
}

std::string part(std::string_view boundary, std::string_view content_type, std::string_view body) {
  std::string out;
  out.append("--").append(boundary).append(kCrlf);
  out.append("Content-Type: ").append(content_type).append("; charset=UTF-8").append(kCrlf);
  out.append("Content-Transfer-Encoding: quoted-printable").append(kCrlf);
  out.append(kCrlf);
  out.append(encodeQuotedPrintable(body));
  out.append(kCrlf);
  return out;
}

}  // namespace

Result<Mailbox, std::string> parseMailbox(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return unexpected(std::string("contains a control character"));
  }
  text = trimSpaces(text);
  Mailbox mailbox;
  std::string_view address = text;
  if (!text.empty() && text.back() == '>') {
    const std::size_t open = text.rfind('<');
    if (open == std::string_view::npos) return unexpected(std::string("has no '<'"));
    address = text.substr(open + 1, text.size() - open - 2);
    std::string_view name = trimSpaces(text.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        mailbox.display_name.push_back(name[i]);
      }
    } else {
      mailbox.display_name = std::string(name);
    }
  }
  if (!domain::isValidEmailAddress(address)) {
    return unexpected("\"" + std::string(address) + "\" is not an e-mail address");
  }
  mailbox.address = std::string(address);
  return mailbox;
}

MessageIdentity newMessageIdentity(Rng& rng, const Clock& clock, std::string_view host) {
  return MessageIdentity{core::newUlid(rng, clock) + "@" + std::string(host), clock.now()};
}

bool isSafeHeaderValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string encodeQuotedPrintable(std::string_view text) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t line_length = 0;
  // Appends one encoded unit, breaking the line first (soft break) when the
  // unit and the "=" of a soft break would not fit.
  const auto emit = [&](std::string_view unit) {
    if (line_length + unit.size() > kMaxQuotedPrintableLine - 1) {
      out.append("=").append(kCrlf);
      line_length = 0;
    }
    out.append(unit);
    line_length += unit.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n') {
      out.append(kCrlf);
      line_length = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\n' ||
                             (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n');
    // Literal: printable ASCII except "="; a space or tab only inside a
    // line (trailing white space may be dropped in transport, §6.7 (3)); a
    // "." opening a line is encoded too, so no line is a lone "." to SMTP.
    const bool literal = (u >= 33 && u <= 126 && c != '=' && !(c == '.' && line_length == 0)) ||
                         ((c == ' ' || c == '\t') && !at_line_end);
    if (literal) {
      emit(std::string_view(&c, 1));
    } else {
      const std::array<char, 3> unit = {'=', kHex[u >> 4U], kHex[u & 0x0FU]};
      emit(std::string_view(unit.data(), unit.size()));
    }
  }
  return out;
}

std::string encodeHeaderText(std::string_view text) {
  if (isPrintableAscii(text) && text.size() <= kMaxPlainHeaderText &&
      text.find("=?") == std::string_view::npos) {
    return std::string(text);
  }
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + kMaxEncodedWordBytes);
    // Never end a word inside a UTF-8 sequence: back up to a lead byte.
    while (end < text.size() && end > start + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
      --end;
    }
    if (!out.empty()) out.append(kCrlf).append(" ");
    out.append("=?UTF-8?B?")
        .append(core::base64Encode(text.substr(start, end - start)))
        .append("?=");
    start = end;
  }
  return out;
}

std::string formatDate(Timestamp at) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day date(day);
  const std::chrono::weekday weekday(day);
  const std::chrono::hh_mm_ss time(std::chrono::floor<std::chrono::seconds>(at - day));
  std::array<char, 40> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kDays[weekday.c_encoding()], static_cast<unsigned>(date.day()),
                kMonths[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return buffer.data();
}

Result<std::string, std::string> buildMime(const Message& message, const Mailbox& from,
                                           const MessageIdentity& identity) {
  if (!domain::isValidEmailAddress(message.to)) {
    return unexpected(std::string("To: not an e-mail address"));
  }
  if (!isSafeHeaderValue(message.subject)) {
    return unexpected(std::string("Subject: contains a line break or NUL"));
  }
  if (!isSafeHeaderValue(from.display_name) || !domain::isValidEmailAddress(from.address)) {
    return unexpected(std::string("From: contains a line break or is not an address"));
  }
  const std::string_view id = identity.message_id;
  const std::size_t at = id.find('@');
  if (!isSafeHeaderValue(id) || at == std::string_view::npos || at == 0 ||
      id.find_first_of("<> ") != std::string_view::npos) {
    return unexpected(std::string("Message-ID: not of the form unique@host"));
  }
  const std::string boundary = boundaryFor(identity);
  std::string out;
  const auto header = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append(kCrlf);
  };
  header("Date", formatDate(identity.date));
  header("From", formatMailbox(from));
  header("To", message.to);
  header("Subject", encodeHeaderText(message.subject));
  header("Message-ID", "<" + std::string(id) + ">");
  header("MIME-Version", "1.0");
  // RFC 3834 §5: machine-sent; auto-responders should not answer it.
  header("Auto-Submitted", "auto-generated");
  header("Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  out.append(kCrlf);
  out.append(part(boundary, "text/plain", message.text));
  out.append(part(boundary, "text/html", message.html));
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

}  // namespace mxauth::email
