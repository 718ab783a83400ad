// core/status.h — expected failures as values.
//
// A Status is ok or carries a code (what kind of failure: callers branch on
// it), a context ("outbox.db") and a detail ("database or disk is full");
// message() joins the last two as "outbox.db: database or disk is full".
// Result<T> is a T or a failed Status. Neither throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace edgegw {

// What kind of failure a Status is. Only the store sets codes other than
// `error` today (gateway/store/sqlite_db.h maps SQLite's result codes).
enum class StatusCode : uint8_t {
  ok,       // not a failure
  error,    // a failure with no more specific code
  corrupt,  // the file is damaged; only moving it aside helps
  busy,     // another connection holds the lock; a retry may succeed
  full,     // no space: the disk, or a size cap on the file
  io,       // an I/O error other than a full disk
};

// "ok", "error", "corrupt", "busy", "full", "io".
constexpr const char* status_code_name(StatusCode code) {
  constexpr const char* kNames[] = {"ok", "error", "corrupt", "busy", "full", "io"};
  return kNames[static_cast<size_t>(code)];
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  // A failure with the generic code `error`.
  static Status error(std::string context, std::string detail) {
    return error(StatusCode::error, std::move(context), std::move(detail));
  }
  // A failure of the given kind; StatusCode::ok counts as `error` (a
  // failure is never ok).
  static Status error(StatusCode code, std::string context, std::string detail) {
    Status s;
    s.code_ = code == StatusCode::ok ? StatusCode::error : code;
    s.context_ = std::move(context);
    s.detail_ = std::move(detail);
    return s;
  }

  bool ok() const { return code_ == StatusCode::ok; }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return code_; }
  const std::string& context() const { return context_; }
  const std::string& detail() const { return detail_; }
  std::string message() const {
    if (ok()) return "ok";
    return context_.empty() ? detail_ : context_ + ": " + detail_;
  }

 private:
  StatusCode code_ = StatusCode::ok;
  std::string context_;
  std::string detail_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}       // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}  // NOLINT: must be a failed Status

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
