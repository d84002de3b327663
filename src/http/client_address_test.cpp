#include "http/client_address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxauth::http {
namespace {

TrustedProxies trust(const std::vector<std::string>& entries) {
  auto parsed = TrustedProxies::parse(entries);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error());
  return parsed ? *parsed : TrustedProxies();
}

Headers forwardedFor(const std::vector<std::string>& values) {
  Headers headers;
  for (const std::string& value : values) headers.add("X-Forwarded-For", value);
  return headers;
}

TEST(IpAddressTest, ParsesBothFamiliesIntoCanonicalText) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->str(), "192.0.2.1");
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0:0:0:0:1")->str(), "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("2001:db8:0:1:0:0:0:0")->str(), "2001:db8:0:1::");
  EXPECT_EQ(IpAddress::parse("::1")->str(), "::1");
  EXPECT_TRUE(IpAddress::parse("192.0.2.1")->isV4());
  EXPECT_FALSE(IpAddress::parse("::1")->isV4());
}

TEST(IpAddressTest, AnIpv4MappedAddressIsTheIpv4AddressItCarries) {
  const auto mapped = IpAddress::parse("::ffff:192.0.2.1");
  const auto hex = IpAddress::parse("::FFFF:c000:0201");

  ASSERT_TRUE(mapped && hex);
  EXPECT_TRUE(mapped->isV4());
  EXPECT_EQ(mapped->str(), "192.0.2.1");
  EXPECT_EQ(*mapped, *IpAddress::parse("192.0.2.1"));
  EXPECT_EQ(*hex, *mapped);
}

TEST(IpAddressTest, RefusesEverythingButABareAddress) {
  for (const char* text : {"",
                           " 192.0.2.1",
                           "192.0.2.1 ",
                           "192.0.2",
                           "192.0.2.256",
                           "192.0.2.01",
                           "1.2.3.4.5",
                           "192.0.2.1:80",
                           "[::1]",
                           "[::1]:443",
                           "fe80::1%eth0",
                           "::1/128",
                           "2001:db8::1::2",
                           "gggg::1",
                           "localhost",
                           "unknown",
                           "_hidden",
                           "0x7f.0.0.1",
                           "127.1",
                           "1111:2222:3333:4444:5555:6666:7777:8888:9999",
                           "192.0.2.1\n",
                           "1234567890123456789012345678901234567890123456"}) {
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << text;
  }
  EXPECT_FALSE(IpAddress::parse(std::string_view("1.2.3.4\0x", 9)).has_value());
}

TEST(IpRangeTest, MatchesTheLeadingBitsOfTheSameFamily) {
  const auto ten = IpRange::parse("10.0.0.0/8");
  const auto doc = IpRange::parse("2001:db8::/32");
  const auto host = IpRange::parse("192.0.2.7");

  ASSERT_TRUE(ten && doc && host);
  EXPECT_TRUE(ten->contains(*IpAddress::parse("10.255.1.2")));
  EXPECT_TRUE(ten->contains(*IpAddress::parse("::ffff:10.1.2.3")));
  EXPECT_FALSE(ten->contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_FALSE(ten->contains(*IpAddress::parse("a00::1")));  // 0a00:: shares bits, not family
  EXPECT_TRUE(doc->contains(*IpAddress::parse("2001:db8:ffff::1")));
  EXPECT_FALSE(doc->contains(*IpAddress::parse("2001:db9::1")));
  EXPECT_TRUE(host->contains(*IpAddress::parse("192.0.2.7")));
  EXPECT_FALSE(host->contains(*IpAddress::parse("192.0.2.8")));
}

TEST(IpRangeTest, HandlesPrefixesOffByteBoundariesAndTheExtremes) {
  const auto odd = IpRange::parse("192.0.2.64/26");  // .64–.127
  const auto host_bits_set = IpRange::parse("10.1.2.3/8");
  const auto every_v4 = IpRange::parse("0.0.0.0/0");
  const auto everything = IpRange::parse("::/0");
  const auto mapped = IpRange::parse("::ffff:10.0.0.0/104");

  ASSERT_TRUE(odd && host_bits_set && every_v4 && everything && mapped);
  EXPECT_TRUE(odd->contains(*IpAddress::parse("192.0.2.64")));
  EXPECT_TRUE(odd->contains(*IpAddress::parse("192.0.2.127")));
  EXPECT_FALSE(odd->contains(*IpAddress::parse("192.0.2.63")));
  EXPECT_FALSE(odd->contains(*IpAddress::parse("192.0.2.128")));
  EXPECT_TRUE(host_bits_set->contains(*IpAddress::parse("10.200.0.1")));
  EXPECT_TRUE(every_v4->contains(*IpAddress::parse("203.0.113.9")));
  EXPECT_FALSE(every_v4->contains(*IpAddress::parse("2001:db8::1")));
  EXPECT_TRUE(everything->contains(*IpAddress::parse("2001:db8::1")));
  EXPECT_TRUE(everything->contains(*IpAddress::parse("203.0.113.9")));
  EXPECT_TRUE(mapped->contains(*IpAddress::parse("10.9.8.7")));
}

TEST(IpRangeTest, RefusesPrefixesBeyondTheFamilyAndMalformedText) {
  for (const char* text : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8",
                           "10.0.0.0/ 8", "10.0.0.0/0x8", "/8", "example.org/8", "10.0.0.0/0008"}) {
    EXPECT_FALSE(IpRange::parse(text).has_value()) << text;
  }
}

TEST(TrustedProxiesTest, ParseNamesTheFirstEntryThatIsNotARange) {
  auto parsed = TrustedProxies::parse({"10.0.0.0/8", "::1", "proxy.internal"});

  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().find("proxy.internal"), std::string::npos);
}

TEST(ClientAddressTest, WithoutTrustedProxiesThePeerIsTheClientWhateverTheHeadersSay) {
  const Headers spoofed = forwardedFor({"203.0.113.66"});

  EXPECT_EQ(clientAddress("198.51.100.7", spoofed, TrustedProxies()), "198.51.100.7");
  EXPECT_EQ(clientAddress("::ffff:198.51.100.7", spoofed, TrustedProxies()), "198.51.100.7");
}

TEST(ClientAddressTest, AnUntrustedPeerCannotSpoofItsAddressWithForwardedFor) {
  const TrustedProxies proxies = trust({"10.0.0.0/8"});

  // An attacker rotating X-Forwarded-For (checklist J.59) stays one client;
  // so does one that claims to be a trusted proxy.
  for (const char* spoof : {"203.0.113.1", "203.0.113.2", "10.0.0.1", "127.0.0.1, 10.0.0.2"}) {
    EXPECT_EQ(clientAddress("198.51.100.7", forwardedFor({spoof}), proxies), "198.51.100.7")
        << spoof;
  }
}

TEST(ClientAddressTest, BehindATrustedProxyTheClientIsTheRightMostUntrustedHop) {
  const TrustedProxies proxies = trust({"10.0.0.0/8", "2001:db8:ffff::/48"});

  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"203.0.113.9"}), proxies), "203.0.113.9");
  // The client's own header is to the left of what the proxy appended.
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"1.1.1.1, 203.0.113.9"}), proxies),
            "203.0.113.9");
  // Two proxies: both trusted hops are passed over.
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"1.1.1.1, 203.0.113.9, 10.0.0.2"}), proxies),
            "203.0.113.9");
  EXPECT_EQ(clientAddress("2001:db8:ffff::1", forwardedFor({"2001:DB8:1::5"}), proxies),
            "2001:db8:1::5");
  EXPECT_EQ(clientAddress("::ffff:10.0.0.1", forwardedFor({"::ffff:203.0.113.9"}), proxies),
            "203.0.113.9");
}

TEST(ClientAddressTest, ReadsEveryForwardedForFieldInOrderAndSkipsEmptyElements) {
  const TrustedProxies proxies = trust({"10.0.0.0/8"});

  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"203.0.113.9", "10.0.0.3"}), proxies),
            "203.0.113.9");
  EXPECT_EQ(
      clientAddress("10.0.0.1", forwardedFor({"1.1.1.1", "203.0.113.9 , ,10.0.0.3,"}), proxies),
      "203.0.113.9");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"\t203.0.113.9\t"}), proxies), "203.0.113.9");
}

TEST(ClientAddressTest, AcceptsAPortOnAForwardedAddress) {
  const TrustedProxies proxies = trust({"10.0.0.0/8"});

  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"203.0.113.9:51234"}), proxies), "203.0.113.9");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"[2001:db8::7]:443"}), proxies), "2001:db8::7");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"[2001:db8::7]"}), proxies), "2001:db8::7");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"[::ffff:203.0.113.9]:80"}), proxies),
            "203.0.113.9");
}

TEST(ClientAddressTest, AMalformedHopFallsBackToThePeerAndNeverToWhatIsLeftOfIt) {
  const TrustedProxies proxies = trust({"10.0.0.0/8"});

  for (const char* hostile :
       {"unknown", "203.0.113.9, garbage", "203.0.113.9, _hidden", "203.0.113.9:port",
        "203.0.113.9:123456", "[203.0.113.9]", "[2001:db8::7", "[2001:db8::7]x",
        "2001:db8::7:443:", "fe80::1%eth0", "203.0.113.9 10.0.0.2", "203.0.113.9;10.0.0.2",
        "\"203.0.113.9\"", "for=203.0.113.9"}) {
    EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({hostile}), proxies), "10.0.0.1") << hostile;
  }
  // Garbage left of the client's hop is never read.
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"garbage, 203.0.113.9"}), proxies),
            "203.0.113.9");
}

TEST(ClientAddressTest, SurvivesAHugeHeaderOfTrustedHops) {
  const TrustedProxies proxies = trust({"10.0.0.0/8"});
  std::string chain = "203.0.113.9";
  for (int i = 0; i < 2000; ++i) chain += ", 10.0.0." + std::to_string(i % 250);

  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({chain}), proxies), "203.0.113.9");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({std::string(16384, ',')}), proxies),
            "10.0.0.1");
}

TEST(ClientAddressTest, WithNoHeaderOrOnlyTrustedHopsTheFurthestKnownHopIsTheClient) {
  const TrustedProxies proxies = trust({"10.0.0.0/8", "127.0.0.1"});

  EXPECT_EQ(clientAddress("10.0.0.1", Headers(), proxies), "10.0.0.1");
  EXPECT_EQ(clientAddress("10.0.0.1", forwardedFor({"10.0.0.5, 127.0.0.1"}), proxies), "10.0.0.5");
}

TEST(ClientAddressTest, APeerThatIsNotAnAddressIsKeptAsItIs) {
  EXPECT_EQ(clientAddress("", forwardedFor({"203.0.113.9"}), trust({"::/0"})), "");
}

TEST(AddressKeyTest, GroupsIpv6ByItsSlash64AndKeepsIpv4Whole) {
  EXPECT_EQ(addressKey("203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:3::1"));
  EXPECT_EQ(addressKey("::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(addressKey("not an address"), "not an address");
}

}  // namespace
}  // namespace mxauth::http
