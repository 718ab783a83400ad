#include "core/diag.h"

#include <algorithm>

namespace edgegw {

std::string Diagnostic::format() const {
  std::string out = pos.file.empty() ? std::string("<input>") : pos.file;
  if (pos.line > 0) {
    out += ':' + std::to_string(pos.line);
    if (pos.column > 0) out += ':' + std::to_string(pos.column);
  }
  out += severity == Severity::error ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void Diagnostics::error(SourcePos pos, std::string message) {
  items_.push_back({Severity::error, std::move(pos), std::move(message)});
}

void Diagnostics::warning(SourcePos pos, std::string message) {
  items_.push_back({Severity::warning, std::move(pos), std::move(message)});
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

size_t Diagnostics::error_count() const {
  return static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

std::string Diagnostics::format_all() const {
  std::string out;
  for (const auto& d : items_) out += d.format() + '\n';
  return out;
}

}  // namespace edgegw
