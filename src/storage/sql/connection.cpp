#include "storage/sql/connection.h"

#include <charconv>

namespace mxauth::storage::sql {
namespace {

// RFC 3629 §4: well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool isValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    if (byte(i + 1) < low || byte(i + 1) > high) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace

Result<void, StorageError> checkParams(std::span<const Param> params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto* text = std::get_if<std::string>(&params[i].value());
    if (text == nullptr) continue;
    if (text->find('\0') != std::string::npos) {
      return unexpected(
          StorageError{StorageErrorCode::Constraint,
                       "parameter $" + std::to_string(i + 1) + " contains a NUL byte"});
    }
    if (!isValidUtf8(*text)) {
      return unexpected(
          StorageError{StorageErrorCode::Constraint,
                       "parameter $" + std::to_string(i + 1) + " is not valid UTF-8"});
    }
  }
  return {};
}

const std::optional<std::string>* RowReader::next() {
  if (error_) return nullptr;
  if (index_ >= row_.size()) {
    fail("result row has no column " + std::to_string(index_));
    return nullptr;
  }
  return &row_[index_++];
}

void RowReader::fail(std::string detail) {
  if (!error_) error_ = StorageError{StorageErrorCode::Internal, std::move(detail)};
}

std::optional<std::string> RowReader::optionalText() {
  const auto* column = next();
  if (column == nullptr) return std::nullopt;
  return *column;
}

std::string RowReader::text() {
  std::size_t index = index_;
  auto value = optionalText();
  if (!value) {
    fail("column " + std::to_string(index) + " is unexpectedly NULL");
    return {};
  }
  return std::move(*value);
}

std::optional<std::int64_t> RowReader::optionalInteger() {
  std::size_t index = index_;
  auto value = optionalText();
  if (!value) return std::nullopt;
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number);
  if (ec != std::errc() || end != value->data() + value->size()) {
    fail("column " + std::to_string(index) + " is not an integer");
    return std::nullopt;
  }
  return number;
}

std::int64_t RowReader::integer() {
  std::size_t index = index_;
  auto value = optionalInteger();
  if (!value) {
    fail("column " + std::to_string(index) + " is unexpectedly NULL");
    return 0;
  }
  return *value;
}

bool RowReader::boolean() {
  std::size_t index = index_;
  std::string value = text();
  if (value == "1" || value == "t" || value == "true") return true;
  if (value == "0" || value == "f" || value == "false") return false;
  fail("column " + std::to_string(index) + " is not a boolean");
  return false;
}

std::optional<Timestamp> RowReader::optionalTimestamp() {
  auto value = optionalInteger();
  if (!value) return std::nullopt;
  return fromUnixMillis(*value);
}

}  // namespace mxauth::storage::sql
