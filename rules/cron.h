// rules/cron.h — 5-field cron schedules in the system time zone.
//
// Fields: minute (0-59) hour (0-23) day-of-month (1-31) month (1-12)
// day-of-week (0-7, 0 and 7 are Sunday). Each field is `*` or a comma list of
// `N`, `N-M`, `*/S`, `N-M/S` or `N/S` (N to the field's maximum, step S).
// As in Vixie cron, when both day fields are restricted a day matches if
// either does. Local time via localtime_r/mktime (TZ); a local time that a
// DST change skips does not occur that day.
//
// Threads: immutable after parse.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "rules/compile_error.h"

namespace edgegw::rules {

class Cron {
 public:
  // Errors carry the 1-based column of the bad field inside `text`.
  static CompileResult<Cron> parse(std::string_view text);

  // The first minute boundary strictly after `t` that matches, or nullopt if
  // none within about 5 years (such as "0 0 30 2 *").
  std::optional<TimePoint> next_after(TimePoint t) const;

  const std::string& text() const { return text_; }

 private:
  Cron() = default;
  bool day_matches(int mday, int wday) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> mdays_;
  std::bitset<13> months_;
  std::bitset<8> wdays_;  // 0..6, Sunday = 0
  bool mday_star_ = false;
  bool wday_star_ = false;
};

}  // namespace edgegw::rules
