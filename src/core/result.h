#pragma once

// Result<T, E>: a value or an error, with std::expected's member names so
// that moving to C++23 is an alias change. Failure is a value (style §6.4):
// functions that can fail on input or I/O return a Result and are
// [[nodiscard]] through this type.

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

namespace mxauth {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & { return error_; }
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result() requires std::is_default_constructible_v<T> : state_(std::in_place_index<0>) {}
  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Result> &&
           !std::is_same_v<std::remove_cvref_t<U>, Unexpected<E>>)
      // NOLINTNEXTLINE(bugprone-forwarding-reference-overload): constrained above
      Result(U&& value)  // NOLINT(google-explicit-constructor): mirrors std::expected
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}
  template <class G>
  Result(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
      : state_(std::in_place_index<1>, std::move(error).error()) {}

  // std::expected's names, so that C++23 is an alias change.
  bool has_value() const noexcept {  // NOLINT(readability-identifier-naming)
    return state_.index() == 0;
  }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return check(), std::get<0>(state_); }
  const T& value() const& { return check(), std::get<0>(state_); }
  T&& value() && { return check(), std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return checkError(), std::get<1>(state_); }
  const E& error() const& { return checkError(), std::get<1>(state_); }
  E&& error() && { return checkError(), std::get<1>(std::move(state_)); }

  template <class U>
  T value_or(U&& fallback) const& {  // NOLINT(readability-identifier-naming)
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!has_value()) std::abort();  // a bug: value() on an error
  }
  void checkError() const {
    if (has_value()) std::abort();  // a bug: error() on a value
  }
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class G>
  Result(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
      : error_(std::in_place, std::move(error).error()) {}

  bool has_value() const noexcept {  // NOLINT(readability-identifier-naming)
    return !error_.has_value();
  }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (!has_value()) std::abort();
  }
  E& error() & { return checkError(), *error_; }
  const E& error() const& { return checkError(), *error_; }
  E&& error() && { return checkError(), std::move(*error_); }

 private:
  void checkError() const {
    if (has_value()) std::abort();
  }
  std::optional<E> error_;
};

}  // namespace mxauth
