#include "core/units.h"

#include <charconv>
#include <cmath>

namespace edgegw {
namespace {

struct Unit {
  std::string_view name;
  double nanos;
};

constexpr Unit kDurationUnits[] = {
    {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9},
};

struct SizeUnit {
  std::string_view name;
  uint64_t bytes;
};

constexpr SizeUnit kSizeUnits[] = {
    {"", 1},      {"B", 1},        {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
    {"KB", 1000}, {"MB", 1000000}, {"GB", 1000000000},
};

// Splits "12.5ms" into 12.5 and "ms". Rejects signs, exponents, empty numbers.
bool split_number(std::string_view text, double& number, std::string_view& unit) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return false;
  auto num = text.substr(0, i);
  if (num.front() == '.' || num.back() == '.') return false;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), number);
  if (ec != std::errc() || ptr != num.data() + num.size()) return false;
  unit = text.substr(i);
  return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  double number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) return std::nullopt;
  if (unit.empty()) {
    if (number == 0) return Duration::zero();
    return std::nullopt;
  }
  for (const auto& u : kDurationUnits) {
    if (u.name == unit) {
      double ns = number * u.nanos;
      if (ns > 9.2e18) return std::nullopt;
      return Duration(static_cast<int64_t>(std::llround(ns)));
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> parse_size(std::string_view text) {
  double number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) return std::nullopt;
  for (const auto& u : kSizeUnits) {
    if (u.name == unit) {
      double bytes = number * static_cast<double>(u.bytes);
      if (bytes > 1.8e19 || bytes != std::floor(bytes)) return std::nullopt;
      return static_cast<uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  struct F {
    int64_t nanos;
    const char* name;
  };
  constexpr F kUnits[] = {{86400'000'000'000, "d"},
                          {3600'000'000'000, "h"},
                          {60'000'000'000, "m"},
                          {1'000'000'000, "s"},
                          {1'000'000, "ms"}};
  for (const auto& u : kUnits) {
    if (ns % u.nanos == 0) return std::to_string(ns / u.nanos) + u.name;
  }
  return std::to_string(ns / 1'000'000) + "ms";
}

}  // namespace edgegw
