// core/diag.h — config and rule diagnostics, reported all at once.
//
// Printed as `FILE:LINE:COL: error: MESSAGE` (or `warning:`), LINE and COL
// from 1, FILE as the path that was opened.
#pragma once

#include <string>
#include <vector>

namespace edgegw {

struct SourcePos {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

enum class Severity { warning, error };

struct Diagnostic {
  Severity severity = Severity::error;
  SourcePos pos;
  std::string message;

  std::string format() const;  // "FILE:LINE:COL: error: MESSAGE"
};

class Diagnostics {
 public:
  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);
  void add(Diagnostic d) { items_.push_back(std::move(d)); }

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::string format_all() const;  // one line each, '\n'-terminated

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace edgegw
