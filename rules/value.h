// rules/value.h — what expressions compute and templates render.
//
// A Value is null, a bool, a number (a double), a string, or a JSON-like array
// or object (members kept in written order). Arrays and objects are immutable
// and shared, so copying a Value is cheap. Pure data: no thread affinity, but
// a Value is not synchronised, so share one across threads only read-only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace edgegw::rules {

class Value {
 public:
  enum class Type : uint8_t { null, boolean, number, string, array, object };
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;  // written order; lookups are linear

  Value() = default;  // null
  static Value from_bool(bool b);
  static Value from_number(double d);  // NaN and infinities become null
  static Value from_string(std::string s);
  static Value from_array(Array items);
  static Value from_object(Object members);

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::null; }
  bool is_bool() const { return type() == Type::boolean; }
  bool is_number() const { return type() == Type::number; }
  bool is_string() const { return type() == Type::string; }
  bool is_array() const { return type() == Type::array; }
  bool is_object() const { return type() == Type::object; }

  // Accessors: the caller checks the type first (std::bad_variant_access otherwise).
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return *std::get<std::shared_ptr<const Array>>(v_); }
  const Object& as_object() const { return *std::get<std::shared_ptr<const Object>>(v_); }

  // Python-like: null, false, 0, "" and empty containers are false.
  bool truthy() const;

  // Compact JSON: no spaces, members in order, integers without ".0".
  void append_json(std::string& out) const;
  std::string to_json() const;

  // Text for string templates: strings as-is, null as "", numbers and bools
  // as in JSON, arrays and objects as compact JSON.
  void append_text(std::string& out) const;
  std::string to_text() const;

  // Deep equality. null equals only null; no conversions across types
  // ("1" != 1, true != 1).
  friend bool operator==(const Value& a, const Value& b);

 private:
  std::variant<std::monostate, bool, double, std::string, std::shared_ptr<const Array>, std::shared_ptr<const Object>>
      v_;
};

// One step into a value: an object key or an array index (negative counts
// from the end: -1 is the last element). `key` is borrowed, not owned.
struct PathKey {
  std::string_view key;
  int64_t index = 0;
  bool is_index = false;
};

// `d` as an int64_t when it is a whole number that int64_t holds exactly;
// nullopt for fractions, NaN, infinities and anything at or beyond 2^63
// (a plain static_cast of those is undefined behaviour). -0.0 gives 0.
std::optional<int64_t> exact_int64(double d);

// Follows `path` into `v`; null if any step is missing or of the wrong kind.
Value lookup(const Value& v, std::span<const PathKey> path);

// JSON number text: integral values up to 2^53 print without a fraction
// ("3", "-12"), others in the shortest form that reads back exactly.
void append_json_number(double d, std::string& out);

// A JSON string literal, quoted and escaped; invalid UTF-8 bytes become U+FFFD
// so the output is always valid JSON.
void append_json_string(std::string_view s, std::string& out);

}  // namespace edgegw::rules
