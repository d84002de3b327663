#include "storage/sql/connection.h"

#include <gtest/gtest.h>

#include <array>

#include "core/testing/fakes.h"

namespace mxauth::storage::sql {
namespace {

TEST(CheckParamsTest, AcceptsValidUtf8AndNonTextValues) {
  std::array<Param, 5> params{Param("plain"), Param("j\xC3\xBCrgen \xF0\x9F\x94\x91"),
                              Param(nullptr), Param(std::int64_t{5}), Param(true)};

  EXPECT_TRUE(checkParams(params).has_value());
}

TEST(CheckParamsTest, RefusesANulByteAsAConstraintViolation) {
  std::array<Param, 2> params{Param("ok"), Param(std::string_view("a\0b", 3))};

  auto checked = checkParams(params);

  ASSERT_FALSE(checked.has_value());
  EXPECT_EQ(checked.error().code, StorageErrorCode::Constraint);
  EXPECT_NE(checked.error().detail.find("$2"), std::string::npos);
}

TEST(CheckParamsTest, RefusesMalformedUtf8) {
  for (std::string_view bad :
       {"\xff", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    std::array<Param, 1> params{Param(bad)};

    EXPECT_FALSE(checkParams(params).has_value());
  }
}

TEST(RowReaderTest, ReadsColumnsInOrder) {
  Row row{"id1", "42", std::nullopt, "t", "1767225600000"};
  RowReader reader(row);

  EXPECT_EQ(reader.text(), "id1");
  EXPECT_EQ(reader.integer(), 42);
  EXPECT_EQ(reader.optionalInteger(), std::nullopt);
  EXPECT_TRUE(reader.boolean());
  EXPECT_EQ(reader.timestamp(), test::at("2026-01-01T00:00:00Z"));
  EXPECT_FALSE(reader.error().has_value());
}

TEST(RowReaderTest, ReportsANullWhereAValueIsRequired) {
  Row row{std::nullopt};
  RowReader reader(row);

  (void)reader.text();

  ASSERT_TRUE(reader.error().has_value());
  EXPECT_EQ(reader.error()->code, StorageErrorCode::Internal);
}

TEST(RowReaderTest, ReportsNonNumericTextAndMissingColumns) {
  Row row{"12abc"};
  RowReader reader(row);
  (void)reader.integer();
  EXPECT_TRUE(reader.error().has_value());

  Row empty;
  RowReader short_reader(empty);
  (void)short_reader.optionalText();
  EXPECT_TRUE(short_reader.error().has_value());
}

}  // namespace
}  // namespace mxauth::storage::sql
