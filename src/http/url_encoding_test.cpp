#include "http/url_encoding.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndPlusAsSpaceInForms) {
  auto decoded = percentDecode("a%20b+c%2Bd", true);

  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "a b c+d");
}

TEST(PercentDecodeTest, KeepsPlusOutsideForms) {
  auto decoded = percentDecode("a+b", false);

  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "a+b");
}

TEST(PercentDecodeTest, RejectsTruncatedAndNonHexEscapes) {
  EXPECT_EQ(percentDecode("abc%", true).error(), ParseError::InvalidPercentEncoding);
  EXPECT_EQ(percentDecode("abc%4", true).error(), ParseError::InvalidPercentEncoding);
  EXPECT_EQ(percentDecode("abc%zz", true).error(), ParseError::InvalidPercentEncoding);
}

TEST(PercentDecodeTest, RejectsEscapesThatDecodeToInvalidUtf8) {
  EXPECT_EQ(percentDecode("%ff", true).error(), ParseError::InvalidUtf8);
  EXPECT_EQ(percentDecode("%c3", true).error(), ParseError::InvalidUtf8);
  EXPECT_EQ(percentDecode("%c0%af", true).error(), ParseError::InvalidUtf8);  // overlong '/'
}

TEST(PercentDecodeTest, RejectsNul) {
  EXPECT_EQ(percentDecode("a%00b", true).error(), ParseError::NulCharacter);
}

TEST(PercentDecodeTest, AcceptsMultibyteUtf8) {
  auto decoded = percentDecode("%C3%A9t%C3%A9", true);

  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, "\xc3\xa9t\xc3\xa9");
}

TEST(Utf8Test, AcceptsValidAndRejectsSurrogatesOverlongsAndOutOfRange) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("\xf0\x9f\x98\x80"));   // U+1F600
  EXPECT_TRUE(isValidUtf8("\xef\xbf\xbd"));       // U+FFFD
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation byte
  EXPECT_FALSE(isValidUtf8("\xe2\x82"));          // truncated
}

TEST(ParseUrlEncodedTest, KeepsOrderAndRepeatedNames) {
  auto params = parseUrlEncoded("b=2&a=1&b=3");

  ASSERT_TRUE(params);
  ASSERT_EQ(params->entries().size(), 3u);
  EXPECT_EQ(params->get("b"), "2");
  EXPECT_EQ(params->getAll("b"), (std::vector<std::string_view>{"2", "3"}));
  EXPECT_EQ(params->entries()[1].first, "a");
}

TEST(ParseUrlEncodedTest, SkipsEmptySegmentsAndTreatsBareNamesAsEmptyValues) {
  auto params = parseUrlEncoded("&a=1&&flag&c=");

  ASSERT_TRUE(params);
  EXPECT_EQ(params->entries().size(), 3u);
  EXPECT_EQ(params->get("flag"), "");
  EXPECT_EQ(params->get("c"), "");
}

TEST(ParseUrlEncodedTest, DecodesNamesAndValues) {
  auto params = parseUrlEncoded("redirect%5Furi=https%3A%2F%2Fexample.org%2Fcb&scope=openid+email");

  ASSERT_TRUE(params);
  EXPECT_EQ(params->get("redirect_uri"), "https://example.org/cb");
  EXPECT_EQ(params->get("scope"), "openid email");
}

TEST(ParseUrlEncodedTest, FailsOnABadValueAnywhere) {
  EXPECT_EQ(parseUrlEncoded("a=1&b=%G0").error(), ParseError::InvalidPercentEncoding);
  EXPECT_EQ(parseUrlEncoded("a=%80").error(), ParseError::InvalidUtf8);
  EXPECT_EQ(parseUrlEncoded("a%00=1").error(), ParseError::NulCharacter);
}

TEST(FormParamsTest, GetUniqueRefusesARepeatedParameter) {
  auto params = parseUrlEncoded("grant_type=a&grant_type=b&code=x");
  ASSERT_TRUE(params);

  EXPECT_EQ(params->getUnique("grant_type").error(), ParseError::DuplicateParameter);
  EXPECT_EQ(*params->getUnique("code"), std::optional<std::string_view>("x"));
  EXPECT_EQ(*params->getUnique("missing"), std::nullopt);
  EXPECT_EQ(params->firstDuplicate(), "grant_type");
}

TEST(FormParamsTest, FirstDuplicateIsEmptyWhenAllNamesDiffer) {
  auto params = parseUrlEncoded("a=1&b=1&c=1");

  ASSERT_TRUE(params);
  EXPECT_EQ(params->firstDuplicate(), std::nullopt);
}

TEST(PercentEncodeTest, RoundTripsThroughTheDecoder) {
  const std::string original = "a b&c=d/é?+%";

  const std::string encoded = encodeUrlEncoded({{"k", original}});
  auto params = parseUrlEncoded(encoded);

  ASSERT_TRUE(params);
  EXPECT_EQ(params->get("k"), original);
  EXPECT_EQ(percentEncode("A-z_0.~"), "A-z_0.~");
}

TEST(FormContentTypeTest, AcceptsParametersAndAnyCaseButNothingElse) {
  EXPECT_TRUE(isFormContentType("application/x-www-form-urlencoded"));
  EXPECT_TRUE(isFormContentType("Application/X-WWW-Form-Urlencoded ; charset=UTF-8"));
  EXPECT_FALSE(isFormContentType("application/json"));
  EXPECT_FALSE(isFormContentType("application/x-www-form-urlencodedx"));
  EXPECT_FALSE(isFormContentType(""));
}

TEST(ParseRequestTargetTest, SplitsAndDecodesPathAndQuery) {
  auto target = parseRequestTarget("/a%20b/c+d?x=1+2&y=%2F");

  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/a b/c+d");
  EXPECT_EQ(target->raw_query, "x=1+2&y=%2F");
  EXPECT_EQ(target->query.get("x"), "1 2");
  EXPECT_EQ(target->query.get("y"), "/");
}

TEST(ParseRequestTargetTest, AcceptsAbsoluteForm) {
  auto target = parseRequestTarget("http://example.org:8080/health?probe=1");

  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/health");
  EXPECT_EQ(target->query.get("probe"), "1");
  EXPECT_EQ(parseRequestTarget("https://example.org")->path, "/");
}

TEST(ParseRequestTargetTest, RejectsWhatIsNotAPath) {
  EXPECT_EQ(parseRequestTarget("").error(), ParseError::Malformed);
  EXPECT_EQ(parseRequestTarget("*").error(), ParseError::Malformed);
  EXPECT_EQ(parseRequestTarget("relative/path").error(), ParseError::Malformed);
  EXPECT_EQ(parseRequestTarget("/a#fragment").error(), ParseError::Malformed);
  EXPECT_EQ(parseRequestTarget("/a b").error(), ParseError::Malformed);
  EXPECT_EQ(parseRequestTarget("http:///nohost").error(), ParseError::Malformed);
}

TEST(ParseRequestTargetTest, RejectsPathsThatDecodeToNulOrInvalidUtf8) {
  EXPECT_EQ(parseRequestTarget("/a%00").error(), ParseError::NulCharacter);
  EXPECT_EQ(parseRequestTarget("/a%ff").error(), ParseError::InvalidUtf8);
  EXPECT_EQ(parseRequestTarget("/a%2").error(), ParseError::InvalidPercentEncoding);
  EXPECT_EQ(parseRequestTarget("/a?x=%fe").error(), ParseError::InvalidUtf8);
}

TEST(ParseCookieHeaderTest, ParsesPairsAndStripsQuotes) {
  const std::string header = "session=abc; theme=\"dark\";lang=en";

  const std::vector<Cookie> cookies = parseCookieHeader(header);

  ASSERT_EQ(cookies.size(), 3u);
  EXPECT_EQ(cookies[0].name, "session");
  EXPECT_EQ(cookies[0].value, "abc");
  EXPECT_EQ(cookies[1].value, "dark");
  EXPECT_EQ(cookies[2].name, "lang");
}

TEST(ParseCookieHeaderTest, SkipsMalformedPairsInsteadOfFailing) {
  const std::vector<Cookie> cookies = parseCookieHeader("novalue; =empty; ok=1; ;  spaced = 2 ");

  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(cookies[0].name, "ok");
  EXPECT_EQ(cookies[1].name, "spaced");
  EXPECT_EQ(cookies[1].value, "2");
}

TEST(ParseCookieHeaderTest, KeepsEqualsSignsInValues) {
  const std::vector<Cookie> cookies = parseCookieHeader("token=a=b==");

  ASSERT_EQ(cookies.size(), 1u);
  EXPECT_EQ(cookies[0].value, "a=b==");
}

}  // namespace
}  // namespace mxauth::http
