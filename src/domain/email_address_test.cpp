#include "domain/email_address.h"

#include <gtest/gtest.h>

#include <string>

namespace mxauth::domain {
namespace {

TEST(EmailAddressTest, AcceptsOrdinaryAddresses) {
  for (std::string_view address : {"alice@example.org", "a.b+tag@sub.example.co.uk", "x@localhost",
                                   "o'brien@example.org", "UPPER@EXAMPLE.ORG", "a-b@x-y.z"}) {
    EXPECT_TRUE(isValidEmailAddress(address)) << address;
  }
}

TEST(EmailAddressTest, RejectsMissingOrRepeatedAt) {
  EXPECT_FALSE(isValidEmailAddress("alice.example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@@example.org"));
  EXPECT_FALSE(isValidEmailAddress("a@b@example.org"));
}

TEST(EmailAddressTest, RejectsEmptyParts) {
  EXPECT_FALSE(isValidEmailAddress(""));
  EXPECT_FALSE(isValidEmailAddress("@example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@"));
}

TEST(EmailAddressTest, RejectsMisplacedDots) {
  EXPECT_FALSE(isValidEmailAddress(".alice@example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice.@example.org"));
  EXPECT_FALSE(isValidEmailAddress("al..ice@example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@example..org"));
  EXPECT_FALSE(isValidEmailAddress("alice@.example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@example.org."));
}

TEST(EmailAddressTest, RejectsBadDomainLabels) {
  EXPECT_FALSE(isValidEmailAddress("alice@-example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@example-.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@exa_mple.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@[127.0.0.1]"));
  EXPECT_FALSE(isValidEmailAddress("alice@" + std::string(64, 'a') + ".org"));
}

TEST(EmailAddressTest, RejectsWhitespaceControlAndNonAsciiBytes) {
  EXPECT_FALSE(isValidEmailAddress("al ice@example.org"));
  EXPECT_FALSE(isValidEmailAddress("alice@example.org\n"));
  EXPECT_FALSE(isValidEmailAddress(std::string("alice\0@example.org", 18)));
  EXPECT_FALSE(isValidEmailAddress("j\xC3\xBCrgen@example.org"));
  EXPECT_FALSE(isValidEmailAddress("\"quoted\"@example.org"));
}

TEST(EmailAddressTest, EnforcesTheLengthLimits) {
  EXPECT_TRUE(isValidEmailAddress(std::string(64, 'a') + "@example.org"));
  EXPECT_FALSE(isValidEmailAddress(std::string(65, 'a') + "@example.org"));
  std::string domain = std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                       std::string(63, 'd') + "." + std::string(57, 'e');  // 249 bytes
  EXPECT_TRUE(isValidEmailAddress("abcd@" + domain));                      // 254
  EXPECT_FALSE(isValidEmailAddress("abcde@" + domain));                    // 255
}

}  // namespace
}  // namespace mxauth::domain
