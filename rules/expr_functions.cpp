// The built-in functions of the expression language. Each takes evaluated
// arguments and returns null on a type error, never throws.
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iterator>

#include "rules/expr_ast.h"

namespace edgegw::rules::detail {

namespace {

Value num(double d) { return Value::from_number(d); }

// The argument as a number, or nullopt (the caller returns null).
std::optional<double> number_arg(const FuncArgs& a, size_t i) {
  if (i >= a.v.size() || !a.v[i].is_number()) return std::nullopt;
  return a.v[i].as_number();
}

const std::string* string_arg(const FuncArgs& a, size_t i) {
  return i < a.v.size() && a.v[i].is_string() ? &a.v[i].as_string() : nullptr;
}

Value unary_math(const FuncArgs& a, double (*f)(double)) {
  const auto x = number_arg(a, 0);
  return x ? num(f(*x)) : Value();
}

Value fn_abs(const FuncArgs& a) {
  return unary_math(a, [](double x) { return std::fabs(x); });
}
Value fn_floor(const FuncArgs& a) {
  return unary_math(a, [](double x) { return std::floor(x); });
}
Value fn_ceil(const FuncArgs& a) {
  return unary_math(a, [](double x) { return std::ceil(x); });
}

// min/max over the arguments, or over the one list argument.
Value extreme(const FuncArgs& a, bool want_max) {
  std::span<const Value> items = a.v;
  if (a.v.size() == 1 && a.v[0].is_array()) items = a.v[0].as_array();
  if (items.empty()) return {};
  double best = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_number()) return {};
    const double x = items[i].as_number();
    if (i == 0 || (want_max ? x > best : x < best)) best = x;
  }
  return num(best);
}
Value fn_min(const FuncArgs& a) { return extreme(a, false); }
Value fn_max(const FuncArgs& a) { return extreme(a, true); }

// Half away from zero, as std::round; digits may be negative (round(1234, -2) = 1200).
Value fn_round(const FuncArgs& a) {
  const auto x = number_arg(a, 0);
  if (!x) return {};
  if (a.v.size() < 2) return num(std::round(*x));
  const auto digits = number_arg(a, 1);
  if (!digits || *digits != std::trunc(*digits) || std::fabs(*digits) > 15) return {};
  const double scale = std::pow(10.0, *digits);
  return num(std::round(*x * scale) / scale);
}

// Strings parse as whole numbers ("21.5", " 3 "); anything else fails.
std::optional<double> to_number(const Value& v) {
  if (v.is_number()) return v.as_number();
  if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
  if (!v.is_string()) return std::nullopt;
  std::string_view s = v.as_string();
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  double d = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

Value fn_int(const FuncArgs& a) {
  const auto x = to_number(a.v[0]);
  return x ? num(std::trunc(*x)) : Value();
}
Value fn_float(const FuncArgs& a) {
  const auto x = to_number(a.v[0]);
  return x ? num(*x) : Value();
}
Value fn_str(const FuncArgs& a) {
  if (a.v[0].is_null() || a.v[0].is_string()) return a.v[0];
  return Value::from_string(a.v[0].to_text());
}

// Characters (UTF-8 code points) of a string, items of a list or object.
Value fn_len(const FuncArgs& a) {
  const Value& v = a.v[0];
  if (v.is_array()) return num(static_cast<double>(v.as_array().size()));
  if (v.is_object()) return num(static_cast<double>(v.as_object().size()));
  if (!v.is_string()) return {};
  const auto& s = v.as_string();
  const auto n = std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
  return num(static_cast<double>(n));
}

Value change_case(const FuncArgs& a, bool upper) {
  const std::string* s = string_arg(a, 0);
  if (s == nullptr) return {};
  std::string out = *s;
  for (char& c : out) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return Value::from_string(std::move(out));
}
Value fn_lower(const FuncArgs& a) { return change_case(a, false); }
Value fn_upper(const FuncArgs& a) { return change_case(a, true); }

Value fn_contains(const FuncArgs& a) { return membership(a.v[1], a.v[0]); }

Value fn_starts_with(const FuncArgs& a) {
  const std::string* s = string_arg(a, 0);
  const std::string* p = string_arg(a, 1);
  return s && p ? Value::from_bool(s->starts_with(*p)) : Value();
}
Value fn_ends_with(const FuncArgs& a) {
  const std::string* s = string_arg(a, 0);
  const std::string* p = string_arg(a, 1);
  return s && p ? Value::from_bool(s->ends_with(*p)) : Value();
}

Value fn_matches(const FuncArgs& a) {
  const std::string* s = string_arg(a, 0);
  if (s == nullptr || !a.call.regex) return {};
  return Value::from_bool(RE2::PartialMatch(*s, *a.call.regex));
}

// --- time: from the context's `now`, in the system time zone ----------------
std::tm local_time(TimePoint now) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto t = static_cast<std::time_t>(secs);
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm;
}

Value fn_now(const FuncArgs& a) { return num(std::chrono::duration<double>(a.ctx.now().time_since_epoch()).count()); }
Value fn_hour(const FuncArgs& a) { return num(local_time(a.ctx.now()).tm_hour); }
Value fn_minute(const FuncArgs& a) { return num(local_time(a.ctx.now()).tm_min); }
// 0 = Monday ... 6 = Sunday (tm_wday counts from Sunday).
Value fn_weekday(const FuncArgs& a) { return num((local_time(a.ctx.now()).tm_wday + 6) % 7); }

// [start, end) in local time of day; start > end wraps midnight.
Value fn_between(const FuncArgs& a) {
  const std::string* s = string_arg(a, 0);
  const std::string* e = string_arg(a, 1);
  if (s == nullptr || e == nullptr) return {};
  const auto start = parse_time_of_day(*s);
  const auto end = parse_time_of_day(*e);
  if (!start || !end) return {};
  const std::tm tm = local_time(a.ctx.now());
  const int t = tm.tm_hour * 3600 + tm.tm_min * 60 + std::min(tm.tm_sec, 59);
  if (*start <= *end) return Value::from_bool(t >= *start && t < *end);
  return Value::from_bool(t >= *start || t < *end);
}

// In Func order, so function_info() can index it.
constexpr FuncInfo kFunctions[] = {
    {"abs", Func::abs, 1, 1, false, fn_abs},
    {"min", Func::min, 1, kMaxArgs, false, fn_min},
    {"max", Func::max, 1, kMaxArgs, false, fn_max},
    {"round", Func::round, 1, 2, false, fn_round},
    {"floor", Func::floor, 1, 1, false, fn_floor},
    {"ceil", Func::ceil, 1, 1, false, fn_ceil},
    {"int", Func::to_int, 1, 1, false, fn_int},
    {"float", Func::to_float, 1, 1, false, fn_float},
    {"str", Func::str, 1, 1, false, fn_str},
    {"len", Func::len, 1, 1, false, fn_len},
    {"lower", Func::lower, 1, 1, false, fn_lower},
    {"upper", Func::upper, 1, 1, false, fn_upper},
    {"contains", Func::contains, 2, 2, false, fn_contains},
    {"starts_with", Func::starts_with, 2, 2, false, fn_starts_with},
    {"ends_with", Func::ends_with, 2, 2, false, fn_ends_with},
    {"matches", Func::matches, 2, 2, false, fn_matches},
    {"now", Func::now, 0, 0, true, fn_now},
    {"hour", Func::hour, 0, 0, true, fn_hour},
    {"minute", Func::minute, 0, 0, true, fn_minute},
    {"weekday", Func::weekday, 0, 0, true, fn_weekday},
    {"between", Func::between, 2, 2, false, fn_between},
    {"changed", Func::changed, 1, 1, false, nullptr},
};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < std::size(kFunctions); ++i) {
    if (static_cast<size_t>(kFunctions[i].func) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kFunctions must list functions in Func order");

}  // namespace

std::span<const FuncInfo> functions() { return kFunctions; }

const FuncInfo* find_function(std::string_view name) {
  for (const FuncInfo& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Value membership(const Value& needle, const Value& hay) {
  if (hay.is_array()) {
    const auto& items = hay.as_array();
    return Value::from_bool(std::find(items.begin(), items.end(), needle) != items.end());
  }
  if (!needle.is_string()) return {};
  if (hay.is_string()) return Value::from_bool(hay.as_string().find(needle.as_string()) != std::string::npos);
  if (!hay.is_object()) return {};
  const auto& members = hay.as_object();
  return Value::from_bool(
      std::any_of(members.begin(), members.end(), [&](const auto& m) { return m.first == needle.as_string(); }));
}

std::optional<int> parse_time_of_day(std::string_view text) {
  auto two_digits = [&](size_t at, int max) -> std::optional<int> {
    if (at + 2 > text.size()) return std::nullopt;
    const char a = text[at], b = text[at + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return std::nullopt;
    const int v = (a - '0') * 10 + (b - '0');
    return v <= max ? std::optional<int>(v) : std::nullopt;
  };
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  const auto h = two_digits(0, 23);
  const auto m = two_digits(3, 59);
  if (!h || !m || text[2] != ':') return std::nullopt;
  int secs = *h * 3600 + *m * 60;
  if (text.size() == 8) {
    const auto s = two_digits(6, 59);
    if (!s || text[5] != ':') return std::nullopt;
    secs += *s;
  }
  return secs;
}

}  // namespace edgegw::rules::detail
