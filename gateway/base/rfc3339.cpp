#include "gateway/base/rfc3339.h"

#include <cstdio>

namespace edgegw::gateway {

namespace {

using namespace std::chrono;

// Reads exactly `n` decimal digits at `pos`.
bool read_digits(std::string_view s, size_t& pos, size_t n, int& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, std::string_view any_of) {
  if (pos >= s.size() || any_of.find(s[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

// `.F...` (at least one digit) as nanoseconds; absent: 0.
bool read_fraction(std::string_view s, size_t& pos, int64_t& nanos) {
  nanos = 0;
  if (pos >= s.size() || s[pos] != '.') return true;
  ++pos;
  size_t digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
    ++digits;
    ++pos;
  }
  for (size_t i = digits; i < 9; ++i) nanos *= 10;
  return digits > 0;
}

// `Z` or `+HH:MM` / `-HH:MM`, as the offset east of UTC.
bool read_offset(std::string_view s, size_t& pos, minutes& offset) {
  if (expect(s, pos, "Zz")) {
    offset = minutes(0);
    return true;
  }
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  int sign = s[pos++] == '-' ? -1 : 1;
  int hh = 0, mm = 0;
  if (!read_digits(s, pos, 2, hh) || !expect(s, pos, ":") || !read_digits(s, pos, 2, mm)) return false;
  if (hh > 23 || mm > 59) return false;
  offset = minutes(sign * (hh * 60 + mm));
  return true;
}

}  // namespace

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  int64_t nanos = 0;
  minutes offset{0};
  bool ok = read_digits(s, pos, 4, y) && expect(s, pos, "-") && read_digits(s, pos, 2, mo) && expect(s, pos, "-") &&
            read_digits(s, pos, 2, d) && expect(s, pos, "Tt ") && read_digits(s, pos, 2, h) && expect(s, pos, ":") &&
            read_digits(s, pos, 2, mi) && expect(s, pos, ":") && read_digits(s, pos, 2, sec) &&
            read_fraction(s, pos, nanos) && read_offset(s, pos, offset) && pos == s.size();
  if (!ok || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  auto local = sys_days(ymd) + hours(h) + minutes(mi) + seconds(sec) + nanoseconds(nanos);
  return TimePoint(duration_cast<Duration>((local - offset).time_since_epoch()));
}

std::string format_rfc3339(TimePoint t) {
  auto day_start = floor<days>(t);
  year_month_day ymd{day_start};
  hh_mm_ss<Duration> tod{t - day_start};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(tod.hours().count()), static_cast<int>(tod.minutes().count()),
                        static_cast<int>(tod.seconds().count()));
  std::string out(buf, static_cast<size_t>(n));
  auto nanos = duration_cast<nanoseconds>(tod.subseconds()).count();
  if (nanos != 0) {
    std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(nanos));
    std::string frac(buf);
    while (frac.back() == '0') frac.pop_back();
    out += frac;
  }
  out += 'Z';
  return out;
}

}  // namespace edgegw::gateway
