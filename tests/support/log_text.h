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

}  // namespace edgegw::testing
