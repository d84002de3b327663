#include "i18n/catalogue.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

namespace mxauth::i18n {
namespace {

Result<Catalogue, std::string> loadPair(std::string_view english, std::string_view french) {
  const std::array<core::EmbeddedFile, 2> files{core::EmbeddedFile{"en.json", english},
                                                core::EmbeddedFile{"fr.json", french}};
  return Catalogue::loadFrom(files);
}

TEST(CatalogueTest, TheBuiltInCataloguesLoadWithEnglishFirst) {
  auto catalogue = Catalogue::load();
  ASSERT_TRUE(catalogue) << catalogue.error();
  ASSERT_GE(catalogue->languages().size(), 2U);
  EXPECT_EQ(catalogue->languages()[0], "en");
  EXPECT_TRUE(catalogue->supports("fr"));
  EXPECT_FALSE(catalogue->keys().empty());
}

TEST(CatalogueTest, EveryBuiltInLanguageTranslatesEveryKey) {
  auto catalogue = Catalogue::load();
  ASSERT_TRUE(catalogue) << catalogue.error();
  for (const std::string& language : catalogue->languages()) {
    std::set<std::string> distinct;
    for (const std::string& key : catalogue->keys()) {
      const std::string* text = catalogue->find(language, key);
      ASSERT_NE(text, nullptr) << language << " " << key;
      EXPECT_FALSE(text->empty()) << language << " " << key;
    }
  }
}

TEST(CatalogueTest, TranslatesWithNamedPlaceholders) {
  auto catalogue = loadPair(R"({"wait": "Wait {seconds} seconds, {name}."})",
                            R"({"wait": "Attendez {seconds} secondes, {name}."})");
  ASSERT_TRUE(catalogue) << catalogue.error();
  EXPECT_EQ(catalogue->translate("fr", "wait", {{"seconds", "42"}, {"name", "Alice"}}),
            "Attendez 42 secondes, Alice.");
  EXPECT_EQ(catalogue->translate("en", Message("wait", {{"seconds", "3"}, {"name", "{name}"}})),
            "Wait 3 seconds, {name}.");
  // An unknown language is English; an unknown key is the key.
  EXPECT_EQ(catalogue->translate("de", "wait", {{"seconds", "1"}, {"name", "B"}}),
            "Wait 1 seconds, B.");
  EXPECT_EQ(catalogue->translate("fr", "nope"), "[missing message: nope]");
  EXPECT_EQ(catalogue->translate("fr", Message::verbatim("Alice's phone")), "Alice's phone");
}

TEST(CatalogueTest, AMessageCanBeTheArgumentOfAnother) {
  auto catalogue = loadPair(R"({"wait": "Wait {wait}.", "seconds": "{count} seconds"})",
                            R"({"wait": "Attendez {wait}.", "seconds": "{count} secondes"})");
  ASSERT_TRUE(catalogue) << catalogue.error();
  const Message message = Message("wait").with("wait", Message("seconds", {{"count", "42"}}));
  EXPECT_EQ(catalogue->translate("fr", message), "Attendez 42 secondes.");
  EXPECT_EQ(catalogue->translate("en", message), "Wait 42 seconds.");
}

TEST(CatalogueTest, PlaceholdersAreSortedAndDistinct) {
  EXPECT_EQ(placeholders("{b} and {a} and {b}, {not one}, {} {A}"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(substitute("{a}{", {{"a", "x"}}), "x{");
}

TEST(CatalogueTest, AMissingKeyFailsNamingLanguageAndKey) {
  auto catalogue = loadPair(R"({"a": "A", "b": "B"})", R"({"a": "A fr"})");
  ASSERT_FALSE(catalogue);
  EXPECT_EQ(catalogue.error(), "language fr, key b: missing");
}

TEST(CatalogueTest, AnExtraKeyFailsNamingLanguageAndKey) {
  auto catalogue = loadPair(R"({"a": "A"})", R"({"a": "A fr", "c": "C"})");
  ASSERT_FALSE(catalogue);
  EXPECT_EQ(catalogue.error(), "language fr, key c: not in English (en.json)");
}

TEST(CatalogueTest, APlaceholderMissingFromATranslationFails) {
  auto catalogue = loadPair(R"({"wait": "Wait {seconds}"})", R"({"wait": "Attendez"})");
  ASSERT_FALSE(catalogue);
  EXPECT_EQ(catalogue.error(),
            "language fr, key wait: placeholders none differ from English {seconds}");
}

TEST(CatalogueTest, ARenamedPlaceholderFails) {
  auto catalogue = loadPair(R"({"wait": "Wait {seconds}"})", R"({"wait": "Attendez {secondes}"})");
  ASSERT_FALSE(catalogue);
  EXPECT_EQ(catalogue.error(),
            "language fr, key wait: placeholders {secondes} differ from English {seconds}");
}

TEST(CatalogueTest, AnExtraPlaceholderFails) {
  auto catalogue = loadPair(R"({"hi": "Hello"})", R"({"hi": "Bonjour {name}"})");
  ASSERT_FALSE(catalogue);
  EXPECT_EQ(catalogue.error(), "language fr, key hi: placeholders {name} differ from English none");
}

TEST(CatalogueTest, InlineMarkupMustMatchEnglishAndIsRemovedFromText) {
  auto different = loadPair(R"({"who": "Signed in as <strong>{user_id}</strong>"})",
                            R"({"who": "Session ouverte avec {user_id}"})");
  ASSERT_FALSE(different);
  EXPECT_EQ(different.error(), "language fr, key who: the markup <strong> differs from English");
  auto same = loadPair(R"({"who": "Signed in as <strong>{user_id}</strong>"})",
                       R"({"who": "Session ouverte avec <strong>{user_id}</strong>"})");
  ASSERT_TRUE(same) << same.error();
  EXPECT_EQ(same->translate("fr", "who", {{"user_id", "<b>@a:b</b>"}}),
            "Session ouverte avec <b>@a:b</b>");
  EXPECT_EQ(*same->find("fr", "who"), "Session ouverte avec <strong>{user_id}</strong>");
}

TEST(CatalogueTest, MalformedCataloguesFail) {
  EXPECT_FALSE(loadPair(R"({"a": "A"})", R"(["a"])"));
  EXPECT_FALSE(loadPair(R"({"a": "A"})", R"({"a": 1})"));
  EXPECT_FALSE(loadPair(R"({"a": "A"})", R"({"a": ""})"));
  EXPECT_FALSE(loadPair(R"({"a": "A"})", R"({"a": "A"  )"));
  EXPECT_FALSE(loadPair(R"({"A b": "A"})", R"({"A b": "A"})"));
  auto mustache = loadPair(R"({"a": "A {{x}}"})", R"({"a": "A"})");
  ASSERT_FALSE(mustache);
  EXPECT_EQ(mustache.error(), "language en, key a: a message may not contain \"{{\" or \"}}\"");
  const std::array<core::EmbeddedFile, 1> french_only{core::EmbeddedFile{"fr.json", "{}"}};
  EXPECT_FALSE(Catalogue::loadFrom(french_only));
  const std::array<core::EmbeddedFile, 2> bad_name{core::EmbeddedFile{"en.json", "{}"},
                                                   core::EmbeddedFile{"FR.json", "{}"}};
  EXPECT_FALSE(Catalogue::loadFrom(bad_name));
}

}  // namespace
}  // namespace mxauth::i18n
