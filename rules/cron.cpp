#include "rules/cron.h"

#include <charconv>
#include <ctime>
#include <vector>

namespace edgegw::rules {

namespace {

struct FieldRange {
  const char* name;
  int min;
  int max;
};

constexpr FieldRange kFields[5] = {
    {"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 7}};

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Sets the bits of one comma-separated item ("*/5", "1-5", "7"); false if bad.
bool parse_item(std::string_view item, const FieldRange& f, std::vector<bool>& bits) {
  int step = 1;
  if (auto slash = item.find('/'); slash != std::string_view::npos) {
    auto s = parse_int(item.substr(slash + 1));
    if (!s || *s <= 0) return false;
    step = *s;
    item = item.substr(0, slash);
  }
  int lo = f.min;
  int hi = f.max;
  if (item != "*") {
    auto dash = item.find('-');
    auto a = parse_int(item.substr(0, dash));
    if (!a) return false;
    lo = *a;
    if (dash != std::string_view::npos) {
      auto b = parse_int(item.substr(dash + 1));
      if (!b) return false;
      hi = *b;
    } else if (step == 1) {
      hi = lo;  // "N" alone; "N/S" runs to the maximum
    }
  }
  if (lo < f.min || hi > f.max || lo > hi) return false;
  for (int v = lo; v <= hi; v += step) bits[static_cast<size_t>(v)] = true;
  return true;
}

// One field: "*" or a comma list of items.
bool parse_field(std::string_view text, const FieldRange& f, std::vector<bool>& bits) {
  bits.assign(static_cast<size_t>(f.max) + 1, false);
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    if (!parse_item(text.substr(start, comma - start), f, bits)) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

TimePoint from_time_t(std::time_t t) { return TimePoint(std::chrono::seconds(t)); }

}  // namespace

CompileResult<Cron> Cron::parse(std::string_view text) {
  Cron c;
  c.text_ = std::string(text);
  size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos >= text.size()) {
      return CompileError{
          static_cast<int>(pos) + 1,
          "cron needs 5 fields (minute hour day-of-month month day-of-week), found " + std::to_string(i)};
    }
    const size_t end = std::min(text.find(' ', pos), text.size());
    const std::string_view field = text.substr(pos, end - pos);
    std::vector<bool> bits;
    if (!parse_field(field, kFields[i], bits)) {
      return CompileError{static_cast<int>(pos) + 1, std::string("bad cron ") + kFields[i].name + " field '" +
                                                         std::string(field) + "' (allowed " +
                                                         std::to_string(kFields[i].min) + "-" +
                                                         std::to_string(kFields[i].max) + ", *, lists, ranges, steps)"};
    }
    for (size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (i) {
        case 0: c.minutes_.set(v); break;
        case 1: c.hours_.set(v); break;
        case 2: c.mdays_.set(v); break;
        case 3: c.months_.set(v); break;
        default: c.wdays_.set(v % 7); break;
      }
    }
    if (i == 2) c.mday_star_ = field.front() == '*';
    if (i == 4) c.wday_star_ = field.front() == '*';
    pos = end;
  }
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos < text.size()) {
    return CompileError{static_cast<int>(pos) + 1, "cron has more than 5 fields"};
  }
  return c;
}

bool Cron::day_matches(int mday, int wday) const {
  const bool m = mdays_.test(static_cast<size_t>(mday));
  const bool w = wdays_.test(static_cast<size_t>(wday));
  if (mday_star_ || wday_star_) return m && w;  // a `*` field matches every day anyway
  return m || w;                                // Vixie cron: either restricted field
}

std::optional<TimePoint> Cron::next_after(TimePoint t) const {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  std::time_t cur = static_cast<std::time_t>(secs - (((secs % 60) + 60) % 60) + 60);
  // Skip whole months, days and hours through mktime (local calendar); step
  // minutes in absolute time, which always moves forward, even across DST.
  for (int guard = 0; guard < 200000; ++guard) {
    std::tm tm{};
    localtime_r(&cur, &tm);
    std::tm next = tm;
    next.tm_sec = 0;
    next.tm_isdst = -1;
    if (!months_.test(static_cast<size_t>(tm.tm_mon + 1))) {
      next.tm_mon += 1, next.tm_mday = 1, next.tm_hour = 0, next.tm_min = 0;
    } else if (!day_matches(tm.tm_mday, tm.tm_wday)) {
      next.tm_mday += 1, next.tm_hour = 0, next.tm_min = 0;
    } else if (!hours_.test(static_cast<size_t>(tm.tm_hour))) {
      next.tm_hour += 1, next.tm_min = 0;
    } else if (!minutes_.test(static_cast<size_t>(tm.tm_min))) {
      cur += 60 - tm.tm_sec;
      continue;
    } else {
      return from_time_t(cur);
    }
    const std::time_t jumped = std::mktime(&next);
    cur = jumped > cur ? jumped : cur + 60;
  }
  return std::nullopt;
}

}  // namespace edgegw::rules
