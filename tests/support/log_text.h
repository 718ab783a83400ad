// tests/support/log_text.h — reading a gateway's log (Gateway::log()) in tests.
#pragma once

#include <cstddef>
#include <string>

namespace edgegw::testing {

// How often `needle` occurs in `text` (overlaps counted).
inline size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The last `n` lines of `text` (all of it when it has fewer).
inline std::string last_lines(const std::string& text, size_t n) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  while (n > 0 && at > 0) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
    --n;
  }
  return n == 0 ? text.substr(at + 1) : text;
}

}  // namespace edgegw::testing
