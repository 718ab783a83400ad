// tests/unit/fixture_text.h — reading fixture files and comparing diagnostics.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/diag.h"

namespace edgegw::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The diagnostics with `dir` cut from the file names, so expected lines name
// the fixture file alone.
inline std::string diagnostics_text(const Diagnostics& diags, const std::string& dir) {
  std::string out = diags.format_all();
  for (size_t at = out.find(dir); at != std::string::npos; at = out.find(dir, at)) out.erase(at, dir.size());
  return out;
}

}  // namespace edgegw::testing
