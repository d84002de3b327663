#pragma once

// An e-mail and its wire form: a MIME message (RFC 5322, RFC 2045–2047)
// with a plain-text and an HTML alternative (RFC 2046 §5.1.4), both UTF-8
// and quoted-printable, ready for SMTP (CRLF line ends, lines well under
// RFC 5321's 1000 octets).
//
// Header injection: every header value is checked before it is written; a
// CR, LF or NUL in the recipient, the subject, the sender or the message id
// fails buildMime() instead of ending the header, so no value can add a
// header (Bcc:) or start the body.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "core/rng.h"

namespace mxauth::email {

// One e-mail to one recipient. Every text is UTF-8; the bodies may use LF
// or CRLF line ends.
struct Message {
  std::string to;       // an address: local@domain
  std::string subject;  // one line
  std::string text;     // the text/plain part
  std::string html;     // the text/html part

  friend bool operator==(const Message&, const Message&) = default;
};

// "Display Name <local@domain>", or an address alone (email.from).
struct Mailbox {
  std::string display_name;  // unquoted; may be empty
  std::string address;

  friend bool operator==(const Mailbox&, const Mailbox&) = default;
};

// Reads "Name <a@b>", "\"Quoted, Name\" <a@b>", "<a@b>" or "a@b"; refuses
// control characters (CR, LF) anywhere.
Result<Mailbox, std::string> parseMailbox(std::string_view text);

// What identifies one message, fixed when it is queued so that every
// attempt to send it produces the same bytes (a receiving server that got
// an earlier attempt after all can tell a duplicate by its Message-ID).
struct MessageIdentity {
  std::string message_id;  // "<unique>@<host>", without the angle brackets
  Timestamp date;
};

// A fresh identity: a ULID at `host` (the host of http.public_base), dated now.
MessageIdentity newMessageIdentity(Rng& rng, const Clock& clock, std::string_view host);

// The whole message, headers and body, with CRLF line ends. Fails, saying
// which header, when a value would break out of its header (CR, LF, NUL)
// or the recipient is not an address.
Result<std::string, std::string> buildMime(const Message& message, const Mailbox& from,
                                           const MessageIdentity& identity);

// RFC 2045 §6.7: UTF-8 text as quoted-printable lines of at most 76
// characters joined by CRLF (soft breaks "=" CRLF); LF or CRLF in the input
// become CRLF line breaks.
std::string encodeQuotedPrintable(std::string_view text);

// RFC 2047 §4.1: text for an unstructured header (Subject) or a display
// name: as it is when it is short printable ASCII, otherwise "=?UTF-8?B?…?="
// encoded words, folded, never splitting a UTF-8 sequence.
std::string encodeHeaderText(std::string_view text);

// RFC 5322 §3.3: "Thu, 01 Jan 2026 00:00:00 +0000".
std::string formatDate(Timestamp at);

// True when `value` may stand in a header: no CR, LF or NUL.
bool isSafeHeaderValue(std::string_view value);

}  // namespace mxauth::email
