#pragma once
// Result<T, E>: the value or the error of a fallible core function, an `expected`-like type
// (std::expected arrives with C++23; this keeps the same spelling so the switch is mechanical).
#include <type_traits>
#include <utility>
#include <variant>

#include "proxy/base/check.h"

namespace resproxy {

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}

template <typename T, typename E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <typename G>
  Result(Unexpected<G> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}  // NOLINT

  [[nodiscard]] bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    RESPROXY_CHECK(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    RESPROXY_CHECK(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    RESPROXY_CHECK(has_value());
    return std::move(std::get<0>(v_));
  }
  const E& error() const {
    RESPROXY_CHECK(!has_value());
    return std::get<1>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  friend bool operator==(const Result& a, const Result& b) = default;

 private:
  std::variant<T, E> v_;
};

}  // namespace resproxy
