// rules/compile_error.h — load-time errors of expressions and templates.
//
// An error carries the 1-based column inside the text that was compiled, so
// the caller can add it to the YAML position where that text starts.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/diag.h"

namespace edgegw::rules {

struct CompileError {
  int column = 1;  // 1-based, inside the compiled text
  std::string message;
};

// A compiled T or the first error found. Never throws.
template <class T>
class [[nodiscard]] CompileResult {
 public:
  CompileResult(T value) : v_(std::move(value)) {}             // NOLINT: implicit by design
  CompileResult(CompileError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const CompileError& error() const { return std::get<CompileError>(v_); }

 private:
  std::variant<T, CompileError> v_;
};

// Reports `error` at `text_start` moved right by its column, as
// "WHERE: MESSAGE" ("forward[2].if: unknown function 'avg' ..."); `where`
// may be empty. Assumes the text sits on one line from text_start (a quoted
// or plain YAML scalar); if text_start's column is unknown it stays unknown.
inline void report(Diagnostics& diag, const SourcePos& text_start, std::string_view where, const CompileError& error) {
  SourcePos pos = text_start;
  if (pos.column > 0) pos.column += error.column - 1;
  std::string message = where.empty() ? std::string() : std::string(where) + ": ";
  message += error.message;
  diag.error(std::move(pos), std::move(message));
}

}  // namespace edgegw::rules
