// core/status.h — expected failures as values.
//
// A Status is ok or carries a context ("outbox.db") and a detail ("database or
// disk is full"); message() joins them as "outbox.db: database or disk is full".
// Result<T> is a T or a failed Status. Neither throws.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace edgegw {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status error(std::string context, std::string detail) {
    Status s;
    s.failed_ = true;
    s.context_ = std::move(context);
    s.detail_ = std::move(detail);
    return s;
  }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& context() const { return context_; }
  const std::string& detail() const { return detail_; }
  std::string message() const {
    if (!failed_) return "ok";
    return context_.empty() ? detail_ : context_ + ": " + detail_;
  }

 private:
  bool failed_ = false;
  std::string context_;
  std::string detail_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}   // NOLINT: must be a failed Status

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace edgegw
