#include "email/message.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/testing/fakes.h"

namespace mxauth::email {
namespace {

// RFC 2045 §6.7 decoding, strict enough to catch an encoder mistake: a
// malformed escape fails the test.
std::string decodeQuotedPrintable(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    if (encoded.substr(i + 1, 2) == "\r\n") {
      i += 2;
      continue;
    }
    auto byte = core::hexDecode(encoded.substr(i + 1, 2));
    EXPECT_TRUE(byte.has_value()) << "bad escape at " << i;
    if (byte) out += *byte;
    i += 2;
  }
  // CRLF back to the LF the bodies were written with.
  std::string lf;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\r' && i + 1 < out.size() && out[i + 1] == '\n') continue;
    lf.push_back(out[i]);
  }
  return lf;
}

std::vector<std::string> crlfLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      break;
    }
    lines.emplace_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

// The text of "=?UTF-8?B?…?=" words (folded with CRLF SP), decoded and
// joined; each word must hold whole UTF-8 characters.
std::string decodeEncodedWords(std::string_view header) {
  std::string out;
  for (std::string line : crlfLines(header)) {
    if (!line.empty() && line.front() == ' ') line.erase(0, 1);
    EXPECT_TRUE(line.starts_with("=?UTF-8?B?") && line.ends_with("?=")) << line;
    EXPECT_LE(line.size(), 75u);
    auto decoded = core::base64Decode(line.substr(10, line.size() - 12));
    EXPECT_TRUE(decoded.has_value()) << line;
    if (!decoded) continue;
    // No word ends inside a character: its last lead byte starts a whole one.
    std::size_t lead = decoded->size();
    while (lead > 0 && (static_cast<unsigned char>((*decoded)[lead - 1]) & 0xC0U) == 0x80U) --lead;
    if (lead > 0) {
      const auto first = static_cast<unsigned char>((*decoded)[lead - 1]);
      const std::size_t length = first < 0x80 ? 1 : first < 0xE0 ? 2 : first < 0xF0 ? 3 : 4;
      EXPECT_EQ(decoded->size() - (lead - 1), length) << line;
    }
    out += *decoded;
  }
  return out;
}

// The value of header `name` (with its folded lines), or empty.
std::string headerOf(std::string_view mime, std::string_view name) {
  const std::string_view head = mime.substr(0, mime.find("\r\n\r\n"));
  const std::string key = std::string(name) + ": ";
  std::string value;
  bool in_header = false;
  for (const std::string& line : crlfLines(head)) {
    if (line.starts_with(key)) {
      value = line.substr(key.size());
      in_header = true;
    } else if (in_header && !line.empty() && line.front() == ' ') {
      value += "\r\n" + line;
    } else {
      in_header = false;
    }
  }
  return value;
}

class MimeTest : public ::testing::Test {
 protected:
  Message message() const {
    return Message{"bob@example.org", "Your code: 123456", "Hello Bob,\nyour code is 123456.\n",
                   "<!DOCTYPE html>\n<p>Hello Bob, your code is <b>123456</b>.</p>\n"};
  }
  Result<std::string, std::string> build(const Message& message) const {
    return buildMime(message, from_, identity_);
  }

  Mailbox from_{"mxauth", "noreply@auth.example.org"};
  MessageIdentity identity_{"01JZ8Q3V4M6S9W2Y5B7C0D1E3F@auth.example.org",
                            test::at("2026-01-01T00:00:00Z")};
};

TEST_F(MimeTest, WritesTheHeadersAndATextAndAnHtmlAlternative) {
  auto mime = build(message());

  ASSERT_TRUE(mime.has_value()) << mime.error();
  EXPECT_EQ(headerOf(*mime, "Date"), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(headerOf(*mime, "From"), "mxauth <noreply@auth.example.org>");
  EXPECT_EQ(headerOf(*mime, "To"), "bob@example.org");
  EXPECT_EQ(headerOf(*mime, "Subject"), "Your code: 123456");
  EXPECT_EQ(headerOf(*mime, "Message-ID"), "<01JZ8Q3V4M6S9W2Y5B7C0D1E3F@auth.example.org>");
  EXPECT_EQ(headerOf(*mime, "MIME-Version"), "1.0");
  EXPECT_EQ(headerOf(*mime, "Auto-Submitted"), "auto-generated");
  const std::string boundary = "=_mxauth_01JZ8Q3V4M6S9W2Y5B7C0D1E3F";
  EXPECT_EQ(headerOf(*mime, "Content-Type"),
            "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  const std::size_t text = mime->find("--" + boundary +
                                      "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                      "Hello Bob,\r\nyour code is 123456.\r\n");
  const std::size_t html =
      mime->find("--" + boundary +
                 "\r\nContent-Type: text/html; charset=UTF-8\r\n"
                 "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                 "<!DOCTYPE html>\r\n<p>Hello Bob, your code is <b>123456</b>.</p>\r\n");
  EXPECT_NE(text, std::string::npos) << *mime;
  EXPECT_NE(html, std::string::npos) << *mime;
  EXPECT_LT(text, html);
  EXPECT_TRUE(mime->ends_with("--" + boundary + "--\r\n"));
}

TEST_F(MimeTest, UsesCrlfLineEndsOnlyAndShortLines) {
  Message long_message = message();
  long_message.text = std::string(300, 'x') + "\n" + "Ünïcödé " + std::string(200, 'y') + "\n";

  auto mime = build(long_message);

  ASSERT_TRUE(mime.has_value());
  for (std::size_t i = 0; i < mime->size(); ++i) {
    if ((*mime)[i] == '\n') {
      EXPECT_TRUE(i > 0 && (*mime)[i - 1] == '\r') << "bare LF at " << i;
    }
    if ((*mime)[i] == '\r') {
      EXPECT_TRUE(i + 1 < mime->size() && (*mime)[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  for (const std::string& line : crlfLines(*mime)) EXPECT_LE(line.size(), 78u) << line;
}

TEST_F(MimeTest, TheSameIdentityGivesTheSameBytes) {
  auto first = build(message());
  auto second = build(message());

  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST_F(MimeTest, EncodesANonAsciiSubjectAsUtf8EncodedWords) {
  Message accented = message();
  accented.subject = "Votre code de vérification : 123456 — merci";

  auto mime = build(accented);

  ASSERT_TRUE(mime.has_value());
  const std::string subject = headerOf(*mime, "Subject");
  EXPECT_TRUE(subject.starts_with("=?UTF-8?B?")) << subject;
  EXPECT_EQ(decodeEncodedWords(subject), accented.subject);
}

TEST_F(MimeTest, FoldsALongSubjectWithoutSplittingACharacter) {
  std::string subject;
  for (int i = 0; i < 40; ++i) subject += "é€😀a";

  const std::string encoded = encodeHeaderText(subject);

  EXPECT_GT(crlfLines(encoded).size(), 3u);
  EXPECT_EQ(decodeEncodedWords(encoded), subject);
}

TEST_F(MimeTest, KeepsShortAsciiAsItIsAndEncodesWhatLooksLikeAnEncodedWord) {
  EXPECT_EQ(encodeHeaderText("Test message from mxauth"), "Test message from mxauth");
  const std::string tricky = "=?UTF-8?B?SGk=?=";
  EXPECT_EQ(decodeEncodedWords(encodeHeaderText(tricky)), tricky);
}

TEST_F(MimeTest, QuotesOrEncodesADisplayNameThatIsNotPlainAtoms) {
  Mailbox comma{"Example, Inc.", "noreply@example.org"};
  Mailbox accented{"Exämple \"Chat\"", "noreply@example.org"};

  auto with_comma = buildMime(message(), comma, identity_);
  auto with_accent = buildMime(message(), accented, identity_);

  ASSERT_TRUE(with_comma && with_accent);
  EXPECT_EQ(headerOf(*with_comma, "From"), "\"Example, Inc.\" <noreply@example.org>");
  const std::string from = headerOf(*with_accent, "From");
  ASSERT_TRUE(from.ends_with(" <noreply@example.org>")) << from;
  EXPECT_EQ(decodeEncodedWords(from.substr(0, from.size() - 22)), accented.display_name);
}

TEST_F(MimeTest, RefusesALineBreakInAnyHeaderValue) {
  Message subject = message();
  subject.subject = "Hello\r\nBcc: eve@example.net";
  Message lone_lf = message();
  lone_lf.subject = "Hello\nBcc: eve@example.net";
  Message to = message();
  to.to = "bob@example.org\r\nBcc: eve@example.net";
  Mailbox from{"mxauth\r\nBcc: eve@example.net", "noreply@example.org"};
  MessageIdentity identity = identity_;
  identity.message_id = "x@example.org>\r\nBcc: eve@example.net";

  EXPECT_FALSE(build(subject).has_value());
  EXPECT_FALSE(build(lone_lf).has_value());
  EXPECT_FALSE(build(to).has_value());
  EXPECT_FALSE(buildMime(message(), from, identity_).has_value());
  EXPECT_FALSE(buildMime(message(), from_, identity).has_value());
  // A NUL, too.
  Message nul = message();
  nul.subject = std::string("Hello\0Bcc", 9);
  EXPECT_FALSE(build(nul).has_value());
}

TEST_F(MimeTest, ALineBreakInABodyStaysInTheBody) {
  Message body = message();
  body.text = "line\r\nBcc: eve@example.net\r\n\r\n--=_mxauth_01JZ8Q3V4M6S9W2Y5B7C0D1E3F--\n";

  auto mime = build(body);

  ASSERT_TRUE(mime.has_value());
  EXPECT_EQ(headerOf(*mime, "Bcc"), "");
  // The fake boundary is encoded ("=" is "=3D"), so the message has one end.
  EXPECT_EQ(mime->find("\r\n--=_mxauth_01JZ8Q3V4M6S9W2Y5B7C0D1E3F--\r\n"),
            mime->size() - std::string("\r\n--=_mxauth_01JZ8Q3V4M6S9W2Y5B7C0D1E3F--\r\n").size());
}

TEST(QuotedPrintableTest, RoundTripsUtf8EqualsSignsAndLongLines) {
  const std::string text = "a=b ünïcode ✓\n" + std::string(180, 'z') + "\n.leading dot\n";

  const std::string encoded = encodeQuotedPrintable(text);

  EXPECT_EQ(decodeQuotedPrintable(encoded), text);
  EXPECT_NE(encoded.find("a=3Db =C3=BCn"), std::string::npos) << encoded;
  EXPECT_NE(encoded.find("\r\n=2Eleading dot"), std::string::npos) << encoded;
  for (const std::string& line : crlfLines(encoded)) EXPECT_LE(line.size(), 76u) << line;
}

TEST(QuotedPrintableTest, EncodesWhiteSpaceAtTheEndOfALine) {
  const std::string encoded = encodeQuotedPrintable("-- \nend\t\n");

  EXPECT_EQ(encoded, "--=20\r\nend=09\r\n");
  EXPECT_EQ(decodeQuotedPrintable(encoded), "-- \nend\t\n");
}

TEST(QuotedPrintableTest, OnlyPrintableAsciiLeavesTheEncoder) {
  std::string every_byte;
  for (int b = 1; b < 256; ++b) every_byte.push_back(static_cast<char>(b));

  const std::string encoded = encodeQuotedPrintable(every_byte);

  for (const char c : encoded) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\r' || c == '\n' || (u >= 0x20 && u <= 0x7e)) << static_cast<int>(u);
  }
  std::string expected = every_byte;
  // The lone CR (13) is encoded; the LF (10) became a line break.
  EXPECT_EQ(decodeQuotedPrintable(encoded), expected);
}

TEST(DateTest, FormatsRfc5322Dates) {
  EXPECT_EQ(formatDate(test::at("2026-01-01T00:00:00Z")), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(formatDate(test::at("2024-02-29T13:05:09Z")), "Thu, 29 Feb 2024 13:05:09 +0000");
  EXPECT_EQ(formatDate(test::at("2030-12-31T23:59:59Z")), "Tue, 31 Dec 2030 23:59:59 +0000");
}

TEST(MailboxTest, ReadsTheFormsOfEmailFrom) {
  EXPECT_EQ(*parseMailbox("noreply@localhost"), (Mailbox{"", "noreply@localhost"}));
  EXPECT_EQ(*parseMailbox("mxauth <noreply@localhost>"), (Mailbox{"mxauth", "noreply@localhost"}));
  EXPECT_EQ(*parseMailbox("\"Example, \\\"Inc.\\\"\" <a.b+c@example.org>"),
            (Mailbox{"Example, \"Inc.\"", "a.b+c@example.org"}));
  EXPECT_EQ(*parseMailbox("<x@example.org>"), (Mailbox{"", "x@example.org"}));
}

TEST(MailboxTest, RefusesControlCharactersAndNonAddresses) {
  EXPECT_FALSE(parseMailbox("mxauth <a@b.org>\r\nBcc: c@d.org").has_value());
  EXPECT_FALSE(parseMailbox("mxauth\n <a@b.org>").has_value());
  EXPECT_FALSE(parseMailbox("mxauth <not an address>").has_value());
  EXPECT_FALSE(parseMailbox("").has_value());
}

TEST(MessageIdentityTest, IsAUlidAtTheHostDatedNow) {
  test::FakeClock clock(test::at("2026-03-04T05:06:07Z"));
  test::SeededRng rng(7);

  const MessageIdentity identity = newMessageIdentity(rng, clock, "auth.example.org");

  EXPECT_EQ(identity.date, clock.now());
  ASSERT_EQ(identity.message_id.size(), 26u + 1 + 16);
  EXPECT_TRUE(identity.message_id.ends_with("@auth.example.org"));
  EXPECT_NE(newMessageIdentity(rng, clock, "auth.example.org").message_id, identity.message_id);
}

}  // namespace
}  // namespace mxauth::email
