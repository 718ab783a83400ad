// tests/fuzz/fuzz_input.h — splitting one fuzz input into the parts a target needs.
//
// Inputs are text so the seed corpus stays hand-writable: parts are separated
// by a line "%%" ("expr\n%%\n{json}"). A missing part is empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace edgegw::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first `count` parts of `in`; the last one takes the rest of the input.
inline std::vector<std::string_view> split_parts(std::string_view in, size_t count) {
  static constexpr std::string_view kSeparator = "\n%%\n";
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    size_t at = in.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(in.substr(0, at));
    in.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(in);
  parts.resize(count);
  return parts;
}

}  // namespace edgegw::fuzz
