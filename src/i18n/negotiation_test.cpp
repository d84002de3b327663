#include <gtest/gtest.h>

#include <array>

#include "i18n/catalogue.h"

namespace mxauth::i18n {
namespace {

Catalogue languages() {
  const std::array<core::EmbeddedFile, 3> files{core::EmbeddedFile{"en.json", R"({"a": "A"})"},
                                                core::EmbeddedFile{"fr.json", R"({"a": "B"})"},
                                                core::EmbeddedFile{"pt-br.json", R"({"a": "C"})"}};
  auto catalogue = Catalogue::loadFrom(files);
  if (!catalogue) ADD_FAILURE() << catalogue.error();
  return std::move(catalogue).value();
}

TEST(NegotiationTest, PicksTheMostPreferredSupportedLanguage) {
  const Catalogue catalogue = languages();
  EXPECT_EQ(catalogue.negotiate("fr"), "fr");
  EXPECT_EQ(catalogue.negotiate("de, fr;q=0.5, en;q=0.4"), "fr");
  EXPECT_EQ(catalogue.negotiate("en;q=0.4, fr;q=0.9"), "fr");
  EXPECT_EQ(catalogue.negotiate("fr;q=0.4, en;q=0.9"), "en");
  EXPECT_EQ(catalogue.negotiate("de, it"), "en");
  EXPECT_EQ(catalogue.negotiate(""), "en");
}

TEST(NegotiationTest, ARegionalTagFallsBackToItsLanguage) {
  const Catalogue catalogue = languages();
  EXPECT_EQ(catalogue.negotiate("fr-CA"), "fr");
  EXPECT_EQ(catalogue.negotiate("FR-ca, en;q=0.8"), "fr");
  EXPECT_EQ(catalogue.negotiate("pt-BR"), "pt-br");
  EXPECT_EQ(catalogue.negotiate("pt"), "en");  // lookup never widens to a longer tag
  EXPECT_EQ(catalogue.negotiate("zh-Hant-x-fr"), "en");
}

TEST(NegotiationTest, TheWildcardAndZeroQualityFollowRfc4647) {
  const Catalogue catalogue = languages();
  EXPECT_EQ(catalogue.negotiate("de, *;q=0.5, fr;q=0.1"), "en");
  EXPECT_EQ(catalogue.negotiate("fr;q=0, en;q=0.1"), "en");
  EXPECT_EQ(catalogue.negotiate("fr;q=0"), "en");
}

TEST(NegotiationTest, MalformedEntriesAreSkipped) {
  const Catalogue catalogue = languages();
  EXPECT_EQ(catalogue.negotiate("fr;q=2, fr;q=abc, en;q=0.1"), "en");
  EXPECT_EQ(catalogue.negotiate("f_r, fr;x=1, ;;, , fr-, -fr, fr"), "fr");
  EXPECT_EQ(catalogue.negotiate("franceisnotatag, fr"), "fr");
  EXPECT_EQ(catalogue.negotiate(",,,"), "en");
  EXPECT_EQ(catalogue.negotiate(std::string(10000, ',') + "fr"), "en");  // bounded work
}

TEST(NegotiationTest, UiLocalesWinOverAcceptLanguage) {
  const Catalogue catalogue = languages();
  EXPECT_EQ(catalogue.negotiate("en", "fr"), "fr");
  EXPECT_EQ(catalogue.negotiate("en", "de fr-CA en"), "fr");
  EXPECT_EQ(catalogue.negotiate("fr", "en"), "en");
  // Nothing in ui_locales is served: Accept-Language decides.
  EXPECT_EQ(catalogue.negotiate("fr", "de it"), "fr");
  EXPECT_EQ(catalogue.negotiate("fr", "  "), "fr");
  EXPECT_EQ(catalogue.negotiate("fr", "*"), "fr");
}

TEST(NegotiationTest, RangesAreOrderedByQuality) {
  EXPECT_EQ(languageRanges("de;q=0.5, FR, *;q=0.1, en;q=0.50"),
            (std::vector<std::string>{"fr", "de", "en", "*"}));
}

}  // namespace
}  // namespace mxauth::i18n
