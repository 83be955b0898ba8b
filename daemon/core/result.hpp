// Result<T>: a value or an Error, for the tap path where failure is ordinary
// (card removed, wrong PIN, broker away). GCC 12 in C++20 mode has no
// std::expected, so this is the small subset kazasu needs.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace kazasu {

/** A failure with a machine-readable reason and a staff-readable message. */
struct Error {
  std::string reason;   // e.g. "read_failed", "expired"
  std::string message;  // e.g. "the card was removed during the read"
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() {
    assert(ok());
    return std::get<T>(v_);
  }
  [[nodiscard]] const T& value() const {
    assert(ok());
    return std::get<T>(v_);
  }
  [[nodiscard]] const Error& error() const {
    assert(!ok());
    return std::get<Error>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace kazasu
