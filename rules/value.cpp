#include "rules/value.h"

#include <charconv>
#include <cmath>

namespace edgegw::rules {

namespace {

// Above 2^53 doubles no longer hold every integer, so printing them as
// integers would invent digits; the shortest round-trip form is honest.
constexpr double kMaxExactInteger = 9007199254740992.0;

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return len;
}

void append_escaped_byte(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    default: break;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u00";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

bool equal_arrays(const Value::Array& a, const Value::Array& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i])) return false;
  }
  return true;
}

bool equal_objects(const Value::Object& a, const Value::Object& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a) {
    bool found = false;
    for (const auto& [other_key, other_value] : b) {
      if (other_key == key) {
        found = value == other_value;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Value Value::from_bool(bool b) {
  Value v;
  v.v_ = b;
  return v;
}

Value Value::from_number(double d) {
  Value v;
  if (std::isfinite(d)) v.v_ = d;
  return v;
}

Value Value::from_string(std::string s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::from_array(Array items) {
  Value v;
  v.v_ = std::make_shared<const Array>(std::move(items));
  return v;
}

Value Value::from_object(Object members) {
  Value v;
  v.v_ = std::make_shared<const Object>(std::move(members));
  return v;
}

bool Value::truthy() const {
  switch (type()) {
    case Type::null: return false;
    case Type::boolean: return as_bool();
    case Type::number: return as_number() != 0.0;
    case Type::string: return !as_string().empty();
    case Type::array: return !as_array().empty();
    case Type::object: return !as_object().empty();
  }
  return false;
}

void Value::append_json(std::string& out) const {
  switch (type()) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += as_bool() ? "true" : "false"; return;
    case Type::number: append_json_number(as_number(), out); return;
    case Type::string: append_json_string(as_string(), out); return;
    case Type::array: {
      out += '[';
      bool first = true;
      for (const auto& item : as_array()) {
        if (!first) out += ',';
        first = false;
        item.append_json(out);
      }
      out += ']';
      return;
    }
    case Type::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : as_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(key, out);
        out += ':';
        value.append_json(out);
      }
      out += '}';
      return;
    }
  }
}

std::string Value::to_json() const {
  std::string out;
  append_json(out);
  return out;
}

void Value::append_text(std::string& out) const {
  if (is_null()) return;
  if (is_string()) {
    out += as_string();
    return;
  }
  append_json(out);
}

std::string Value::to_text() const {
  std::string out;
  append_text(out);
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::null: return true;
    case Value::Type::boolean: return a.as_bool() == b.as_bool();
    case Value::Type::number: return a.as_number() == b.as_number();
    case Value::Type::string: return a.as_string() == b.as_string();
    case Value::Type::array: return equal_arrays(a.as_array(), b.as_array());
    case Value::Type::object: return equal_objects(a.as_object(), b.as_object());
  }
  return false;
}

std::optional<int64_t> exact_int64(double d) {
  // 2^63 is exact as a double; every double below it and at or above -2^63 converts.
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kTwo63 || d >= kTwo63) return std::nullopt;
  return static_cast<int64_t>(d);
}

Value lookup(const Value& v, std::span<const PathKey> path) {
  const Value* cur = &v;
  for (const PathKey& step : path) {
    if (step.is_index) {
      if (!cur->is_array()) return {};
      const auto& items = cur->as_array();
      const int64_t n = static_cast<int64_t>(items.size());
      const int64_t i = step.index < 0 ? n + step.index : step.index;
      if (i < 0 || i >= n) return {};
      cur = &items[static_cast<size_t>(i)];
    } else {
      if (!cur->is_object()) return {};
      const Value* next = nullptr;
      for (const auto& [key, value] : cur->as_object()) {
        if (key == step.key) {
          next = &value;
          break;
        }
      }
      if (next == nullptr) return {};
      cur = next;
    }
  }
  return *cur;
}

void append_json_number(double d, std::string& out) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  std::to_chars_result r{};
  if (d == std::trunc(d) && std::fabs(d) <= kMaxExactInteger) {
    if (d == 0.0) d = 0.0;  // print -0 as 0
    r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, 0);
  } else {
    r = std::to_chars(buf, buf + sizeof buf, d);
  }
  out.append(buf, r.ptr);
}

void append_json_string(std::string_view s, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') {
        append_escaped_byte(c, out);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

}  // namespace edgegw::rules
