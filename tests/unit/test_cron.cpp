#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "rules/cron.h"

using namespace edgegw;
using edgegw::rules::Cron;

namespace {

// Sets TZ for one test and restores it, so the cron tests do not depend on
// the machine's zone (and other tests do not see ours).
class TzGuard {
 public:
  explicit TzGuard(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~TzGuard() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

// "2026-01-17 10:03:20" in UTC.
TimePoint utc(int y, int mo, int d, int h, int mi, int s = 0) {
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
  return TimePoint(std::chrono::seconds(timegm(&tm)));
}

std::optional<TimePoint> next(std::string_view text, TimePoint after) {
  auto c = Cron::parse(text);
  REQUIRE(c.ok());
  return c.value().next_after(after);
}

std::string parse_error(std::string_view text) {
  auto c = Cron::parse(text);
  if (c) return "parsed";
  return std::to_string(c.error().column) + ": " + c.error().message;
}

}  // namespace

TEST_CASE("Does a weekday cron skip the weekend to Monday 07:00?", "[rules][cron]") {
  TzGuard tz("UTC");
  // 2026-01-17 is a Saturday.
  CHECK(next("0 7 * * 1-5", utc(2026, 1, 17, 10, 3, 20)) == utc(2026, 1, 19, 7, 0));
  // Friday 06:59:59 -> the same day's 07:00; exactly 07:00 -> Monday.
  CHECK(next("0 7 * * 1-5", utc(2026, 1, 16, 6, 59, 59)) == utc(2026, 1, 16, 7, 0));
  CHECK(next("0 7 * * 1-5", utc(2026, 1, 16, 7, 0)) == utc(2026, 1, 19, 7, 0));
}

TEST_CASE("Do steps, lists and ranges give the next matching minute?", "[rules][cron]") {
  TzGuard tz("UTC");
  CHECK(next("*/15 * * * *", utc(2026, 1, 17, 10, 3)) == utc(2026, 1, 17, 10, 15));
  CHECK(next("*/15 * * * *", utc(2026, 1, 17, 23, 50)) == utc(2026, 1, 18, 0, 0));
  CHECK(next("5,35 8-9 * * *", utc(2026, 1, 17, 9, 40)) == utc(2026, 1, 18, 8, 5));
  CHECK(next("10-20/5 * * * *", utc(2026, 1, 17, 9, 16)) == utc(2026, 1, 17, 9, 20));
  CHECK(next("30/10 * * * *", utc(2026, 1, 17, 9, 55)) == utc(2026, 1, 17, 10, 30));
  CHECK(next("* * * * *", utc(2026, 1, 17, 9, 55, 1)) == utc(2026, 1, 17, 9, 56));
  CHECK(next("0 0 1 1 *", utc(2026, 1, 17, 9, 55)) == utc(2027, 1, 1, 0, 0));
  CHECK(next("0 12 * * 7", utc(2026, 1, 17, 9, 55)) == utc(2026, 1, 18, 12, 0));  // 7 = Sunday
}

TEST_CASE("Does a cron with both day fields restricted fire on either, as Vixie cron does?", "[rules][cron]") {
  TzGuard tz("UTC");
  // The 20th or any Monday: from Saturday the 17th, Monday the 19th comes first.
  CHECK(next("0 0 20 * 1", utc(2026, 1, 17, 0, 0)) == utc(2026, 1, 19, 0, 0));
  CHECK(next("0 0 20 * 1", utc(2026, 1, 19, 0, 0)) == utc(2026, 1, 20, 0, 0));
}

TEST_CASE("Does an impossible date give no next time instead of looping?", "[rules][cron]") {
  TzGuard tz("UTC");
  CHECK_FALSE(next("0 0 30 2 *", utc(2026, 1, 17, 0, 0)).has_value());
  CHECK(next("0 0 29 2 *", utc(2026, 1, 17, 0, 0)) == utc(2028, 2, 29, 0, 0));
}

TEST_CASE("Does cron use the local time zone, and skip a time DST leaves out?", "[rules][cron]") {
  TzGuard tz("Europe/Berlin");
  // Berlin is UTC+1 in winter: local 07:00 is 06:00 UTC.
  CHECK(next("0 7 * * *", utc(2026, 1, 17, 10, 0)) == utc(2026, 1, 18, 6, 0));
  // 2026-03-29 02:00 local jumps to 03:00: "30 2" does not occur that day.
  CHECK(next("30 2 * * *", utc(2026, 3, 28, 12, 0)) == utc(2026, 3, 30, 0, 30));
  // After the change, local 07:00 is 05:00 UTC.
  CHECK(next("0 7 * * *", utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 5, 0));
}

TEST_CASE("Does a bad cron text say which field is wrong, at its column?", "[rules][cron]") {
  CHECK(parse_error("0 7 * *") == "8: cron needs 5 fields (minute hour day-of-month month day-of-week), found 4");
  CHECK(parse_error("0 25 * * *") == "3: bad cron hour field '25' (allowed 0-23, *, lists, ranges, steps)");
  CHECK(parse_error("*/0 * * * *").rfind("1: bad cron minute field '*/0'", 0) == 0);
  CHECK(parse_error("0 0 * 1-13 *").rfind("7: bad cron month field", 0) == 0);
  CHECK(parse_error("0 0 * * 5-1").rfind("9: bad cron day of week field", 0) == 0);
  CHECK(parse_error("0 0 * * * *") == "11: cron has more than 5 fields");
  CHECK(parse_error("a 0 * * *").rfind("1: bad cron minute", 0) == 0);
  CHECK(parse_error("0  7 * * 1-5") == "parsed");
}
