#include "devices/json_merge.h"

#include <algorithm>
#include <cstdio>

namespace edgegw::devices {

namespace dom = simdjson::dom;

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

JsonMembers members_of(dom::object obj) {
  JsonMembers out;
  for (auto field : obj) out.emplace_back(std::string(field.key), simdjson::minify(field.value));
  return out;
}

std::string merge_members(dom::parser& scratch, std::string_view state, const JsonMembers& updates) {
  JsonMembers merged;
  dom::object old;
  if (!state.empty() && scratch.parse(state.data(), state.size()).get_object().get(old) == simdjson::SUCCESS) {
    merged = members_of(old);
  }
  for (const auto& update : updates) {
    auto it = std::find_if(merged.begin(), merged.end(), [&update](const auto& m) { return m.first == update.first; });
    if (it != merged.end())
      it->second = update.second;
    else
      merged.push_back(update);
  }
  std::string out = "{";
  for (const auto& [key, value] : merged) {
    if (out.size() > 1) out += ',';
    out += json_quote(key);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

std::string member_text(dom::parser& scratch, std::string_view json, std::string_view key) {
  dom::element value;
  if (json.empty() || scratch.parse(json.data(), json.size())[key].get(value) != simdjson::SUCCESS) return {};
  return simdjson::minify(value);
}

}  // namespace edgegw::devices
