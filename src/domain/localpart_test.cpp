#include "domain/localpart.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::domain {
namespace {

constexpr std::string_view kServer = "example.org";

LocalpartError errorOf(std::string_view input, std::string_view server = kServer) {
  auto parsed = Localpart::parse(input, server);
  EXPECT_FALSE(parsed.has_value()) << "accepted " << input;
  return parsed ? LocalpartError::Empty : parsed.error();
}

TEST(LocalpartTest, AcceptsEveryCharacterOfTheGrammar) {
  auto parsed = Localpart::parse("a-z.0_9=x/y+z", kServer);

  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->str(), "a-z.0_9=x/y+z");
}

TEST(LocalpartTest, LowerCasesAsciiLettersBeforeValidating) {
  auto parsed = Localpart::parse("Alice.SMITH", kServer);

  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->str(), "alice.smith");
}

TEST(LocalpartTest, DifferentlyCasedInputsGiveEqualLocalparts) {
  EXPECT_EQ(*Localpart::parse("Bob", kServer), *Localpart::parse("bOB", kServer));
}

TEST(LocalpartTest, RejectsEmptyInput) { EXPECT_EQ(errorOf(""), LocalpartError::Empty); }

TEST(LocalpartTest, RejectsCharactersOutsideTheGrammar) {
  for (std::string_view input : {"al ice", "alice:", "@alice", "ali#ce", "al!ce", "alice*",
                                 "ali\tce", "al\"ice", "al\\ice", "ali,ce", "~alice"}) {
    EXPECT_EQ(errorOf(input), LocalpartError::InvalidCharacter) << input;
  }
}

TEST(LocalpartTest, RejectsNonAsciiAndControlBytes) {
  EXPECT_EQ(errorOf("j\xC3\xBCrgen"), LocalpartError::InvalidCharacter);
  EXPECT_EQ(errorOf(std::string("nul\0byte", 8)), LocalpartError::InvalidCharacter);
  EXPECT_EQ(errorOf("\xff\xfe"), LocalpartError::InvalidCharacter);
}

TEST(LocalpartTest, RejectsALeadingUnderscoreAsReserved) {
  EXPECT_EQ(errorOf("_bridge_bot"), LocalpartError::Reserved);
}

TEST(LocalpartTest, RejectsAllDigitsAsReservedForGuests) {
  EXPECT_EQ(errorOf("12345"), LocalpartError::Reserved);
  EXPECT_TRUE(Localpart::parse("12345a", kServer).has_value());
}

TEST(LocalpartTest, AcceptsTheLongestLocalpartThatKeepsTheUserIdWithin255Bytes) {
  // '@' + localpart + ':' + "example.org" (11) == 255
  std::string longest(255 - 2 - kServer.size(), 'a');

  auto parsed = Localpart::parse(longest, kServer);

  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->userId(kServer).size(), 255u);
}

TEST(LocalpartTest, RejectsOneByteMoreThanTheUserIdLimitAllows) {
  std::string too_long(255 - 2 - kServer.size() + 1, 'a');

  EXPECT_EQ(errorOf(too_long), LocalpartError::TooLong);
}

TEST(LocalpartTest, CountsTheServerNameTowardsTheLimit) {
  std::string name(200, 'a');

  EXPECT_TRUE(Localpart::parse(name, "short.org").has_value());
  EXPECT_EQ(errorOf(name, std::string(60, 'b')), LocalpartError::TooLong);
}

TEST(LocalpartTest, RejectsHugeInputWithoutScanningItAsTooLong) {
  EXPECT_EQ(errorOf(std::string(1 << 20, '!')), LocalpartError::TooLong);
}

TEST(LocalpartTest, BuildsTheFullUserId) {
  EXPECT_EQ(Localpart::parse("alice", kServer)->userId(kServer), "@alice:example.org");
}

TEST(LocalpartTest, DescribesEveryError) {
  for (auto error : {LocalpartError::Empty, LocalpartError::TooLong,
                     LocalpartError::InvalidCharacter, LocalpartError::Reserved}) {
    EXPECT_FALSE(describe(error).empty());
  }
}

}  // namespace
}  // namespace mxauth::domain
