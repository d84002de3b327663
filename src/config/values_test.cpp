#include "config/values.h"

#include <gtest/gtest.h>

namespace mxauth::config {
namespace {

TEST(ParseListenAddressTest, SplitsHostAndPort) {
  EXPECT_EQ(*parseListenAddress("127.0.0.1:8080"), (ListenAddress{"127.0.0.1", 8080}));
  EXPECT_EQ(*parseListenAddress("[::1]:443"), (ListenAddress{"::1", 443}));
  EXPECT_EQ(*parseListenAddress("localhost:1"), (ListenAddress{"localhost", 1}));
}

TEST(ParseListenAddressTest, AcceptsPortZeroForAnyFreePort) {
  EXPECT_EQ(*parseListenAddress("127.0.0.1:0"), (ListenAddress{"127.0.0.1", 0}));
  EXPECT_EQ(*parseListenAddress("[::1]:0"), (ListenAddress{"::1", 0}));
  EXPECT_FALSE(parseListenAddress("256.1.1.1:0"));
  EXPECT_FALSE(parseListenAddress(":0"));
}

TEST(ParseListenAddressTest, RejectsMissingOrOutOfRangePorts) {
  for (const char* text : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:99999999",
                           "::1:80", "[::1]80", "256.1.1.1:80", "a..b:80", "-:80"}) {
    EXPECT_FALSE(parseListenAddress(text)) << text;
  }
}

TEST(NormaliseBaseUrlTest, LowercasesTheSchemeAndAddsATrailingSlash) {
  EXPECT_EQ(*normaliseBaseUrl("HTTP://example.org"), "http://example.org/");
  EXPECT_EQ(*normaliseBaseUrl("https://example.org/a/b"), "https://example.org/a/b/");
  EXPECT_EQ(*normaliseBaseUrl("https://[::1]:8443/"), "https://[::1]:8443/");
}

TEST(NormaliseBaseUrlTest, RejectsOtherSchemesUserInfoQueriesAndFragments) {
  for (const char* text :
       {"ftp://example.org/", "//example.org/", "https://", "https://:80/",
        "https://a@example.org/", "https://example.org/?q", "https://example.org/#f",
        "https://example.org:0/", "https://example.org/\n"}) {
    EXPECT_FALSE(normaliseBaseUrl(text)) << text;
  }
}

TEST(ServerNameTest, AcceptsHostsWithOptionalPorts) {
  for (const char* name : {"localhost", "example.org", "example.org:8448", "1.2.3.4",
                           "[1234:5678::abcd]", "[::1]:8448"}) {
    EXPECT_TRUE(isServerName(name)) << name;
  }
  for (const char* name :
       {"", "exa mple.org", "example.org:", "example.org:70000", "@x", "1.2.3.999", "[::1"}) {
    EXPECT_FALSE(isServerName(name)) << name;
  }
}

TEST(MailboxTest, AcceptsAddressesWithAndWithoutDisplayNames) {
  for (const char* text : {"noreply@localhost", "mxauth <noreply@localhost>",
                           "\"Example, Inc.\" <a.b+c@example.org>", "<x@example.org>"}) {
    EXPECT_TRUE(isMailbox(text)) << text;
  }
  for (const char* text :
       {"", "mxauth", "a@", "@b", "a b@c", "x <y>", "a@b\r\nBcc: c@d", "x <a@b"}) {
    EXPECT_FALSE(isMailbox(text)) << text;
  }
}

TEST(CidrTest, AcceptsAddressesAndPrefixes) {
  for (const char* text : {"10.0.0.0/8", "192.0.2.1", "::1", "fd00::/8", "0.0.0.0/0", "::/128"}) {
    EXPECT_TRUE(isCidr(text)) << text;
  }
  for (const char* text :
       {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host/8", "1.2.3.4/x"}) {
    EXPECT_FALSE(isCidr(text)) << text;
  }
}

TEST(EncryptionKeyTest, RequiresExactlySixtyFourHexCharacters) {
  EXPECT_TRUE(isEncryptionKey(std::string(64, 'A')));
  EXPECT_FALSE(isEncryptionKey(std::string(63, 'a')));
  EXPECT_FALSE(isEncryptionKey(std::string(65, 'a')));
  EXPECT_FALSE(isEncryptionKey(std::string(63, 'a') + "z"));
}

}  // namespace
}  // namespace mxauth::config
