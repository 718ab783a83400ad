#include <catch2/catch.hpp>

#include <ctime>
#include <string>
#include <tuple>
#include <vector>

#include "test_rules_support.h"

using namespace edgegw;
using namespace edgegw::rules;
using namespace edgegw::rules::testing;

namespace {

// A wall-clock time given in the system time zone, so the test holds in any TZ.
TimePoint local(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return TimePoint(std::chrono::seconds(std::mktime(&tm)));
}

Value eval_at(std::string_view text, TimePoint now) {
  Env env;
  env.now = now;
  return eval(text, env);
}

}  // namespace

TEST_CASE("Do the math functions compute, and give null on non-numbers?", "[rules][functions]") {
  CHECK(eval("abs(-2.5)") == num(2.5));
  CHECK(eval("floor(2.7)") == num(2));
  CHECK(eval("ceil(2.1)") == num(3));
  CHECK(eval("floor(-2.5)") == num(-3));
  CHECK(eval("round(2.5)") == num(3));
  CHECK(eval("round(-2.5)") == num(-3));
  CHECK(eval("round(21.456, 1)") == num(21.5));
  CHECK(eval("round(1234, -2)") == num(1200));
  CHECK(eval("round(1, 1.5)").is_null());
  CHECK(eval("abs('x')").is_null());
  CHECK(eval("min(3, 1, 2)") == num(1));
  CHECK(eval("max(3, 1, 2)") == num(3));
  CHECK(eval("max([4, 9, 2])") == num(9));
  CHECK(eval("min(1, 'a')").is_null());
  CHECK(eval("max([])").is_null());
}

TEST_CASE("Do int, float and str convert between types?", "[rules][functions]") {
  CHECK(eval("int(3.9)") == num(3));
  CHECK(eval("int(-3.9)") == num(-3));
  CHECK(eval("int('42')") == num(42));
  CHECK(eval("int(' 7 ')") == num(7));
  CHECK(eval("int('4x')").is_null());
  CHECK(eval("int('')").is_null());
  CHECK(eval("float('21.5')") == num(21.5));
  CHECK(eval("float(true)") == num(1));
  CHECK(eval("float(null)").is_null());
  CHECK(eval("str(3)") == str("3"));
  CHECK(eval("str(0.5)") == str("0.5"));
  CHECK(eval("str(true)") == str("true"));
  CHECK(eval("str([1, 'a'])") == str("[1,\"a\"]"));
  CHECK(eval("str(null)").is_null());
  CHECK(eval("'n=' + str(2)") == str("n=2"));
}

TEST_CASE("Do the string functions work, and give null on non-strings?", "[rules][functions]") {
  CHECK(eval("len('héllo')") == num(5));
  CHECK(eval("len([1, 2, 3])") == num(3));
  CHECK(eval("len(1)").is_null());
  CHECK(eval("lower('OnLine')") == str("online"));
  CHECK(eval("upper('on')") == str("ON"));
  CHECK(eval("upper(1)").is_null());
  CHECK(eval("contains('kitchen/temp', 'temp')") == boolean(true));
  CHECK(eval("contains([1, 2], 2)") == boolean(true));
  CHECK(eval("contains([1, 2], 3)") == boolean(false));
  CHECK(eval("contains(1, 'a')").is_null());
  CHECK(eval("starts_with(topic, 'sensors/')") == boolean(true));
  CHECK(eval("ends_with(topic, '/temp')") == boolean(true));
  CHECK(eval("ends_with(topic, '/hum')") == boolean(false));
  CHECK(eval("starts_with(1, 'a')").is_null());
}

TEST_CASE("Does matches() search with RE2 and treat non-strings as null?", "[rules][functions]") {
  Env env(R"({"model": "SNZB-02", "n": 5})", "zigbee2mqtt/0x00158d0001a2b3c4");
  CHECK(eval("matches(topic, '0x[0-9a-f]{16}$')", env) == boolean(true));
  CHECK(eval("matches(payload.model, '^SNZB-0[12]$')", env) == boolean(true));
  CHECK(eval("matches(payload.model, '^ZB')", env) == boolean(false));
  CHECK(eval("matches(payload.n, '5')", env).is_null());
  CHECK(eval("matches(payload.missing, '.*')", env).is_null());
}

TEST_CASE("Does matches() answer right on 64 KiB of input built to make a backtracking engine explode?",
          "[rules][functions][hostile]") {
  // Correctness only; the time per evaluation is measured in
  // tests/bench/micro_rules.cpp (BM_matches_adversarial).
  const std::string as(64u << 10, 'a'), xs(64u << 10, 'x');
  for (const auto& [payload, expr, want] : std::vector<std::tuple<std::string, std::string, bool>>{
           {"{\"s\":\"" + as + "\"}", "matches(payload.s, '(a+)+b')", false},
           {"{\"s\":\"" + as + "b\"}", "matches(payload.s, '(a+)+b')", true},
           {"{\"s\":\"" + xs + "\"}", "matches(payload.s, '(x|x|xx)*y')", false},
           {"{\"s\":\"" + xs + "y\"}", "matches(payload.s, '(x|x|xx)*y')", true},
           {xs + "y", "matches(payload, '^(x|x|xx)*y$')", true},
       }) {
    Env env(payload, "t");
    INFO(expr << " on " << payload.size() << " bytes");
    CHECK(eval(expr, env) == boolean(want));
  }
}

TEST_CASE("Do the time functions read the context's clock in local time?", "[rules][functions][time]") {
  const TimePoint wed = local(2026, 1, 14, 23, 45, 10);  // a Wednesday
  CHECK(eval_at("hour()", wed) == num(23));
  CHECK(eval_at("minute()", wed) == num(45));
  CHECK(eval_at("weekday()", wed) == num(2));  // 0 = Monday
  CHECK(eval_at("weekday", local(2026, 1, 12, 9, 0)) == num(0));
  CHECK(eval_at("weekday", local(2026, 1, 18, 9, 0)) == num(6));
  CHECK(eval_at("hour >= 22", wed) == boolean(true));
  const TimePoint t = from_unix_ms(1768400000250);
  CHECK(eval_at("now()", t).as_number() == Approx(1768400000.25).margin(1e-6));
  CHECK(eval_at("now", t).as_number() == Approx(1768400000.25).margin(1e-6));
}

TEST_CASE("Does between() include the start, exclude the end and wrap midnight?", "[rules][functions][time]") {
  const auto at = [](int h, int m, int s = 0) { return local(2026, 1, 14, h, m, s); };
  CHECK(eval_at("between('22:00', '06:00')", at(23, 0)) == boolean(true));
  CHECK(eval_at("between('22:00', '06:00')", at(3, 0)) == boolean(true));
  CHECK(eval_at("between('22:00', '06:00')", at(22, 0)) == boolean(true));
  CHECK(eval_at("between('22:00', '06:00')", at(6, 0)) == boolean(false));
  CHECK(eval_at("between('22:00', '06:00')", at(12, 0)) == boolean(false));
  CHECK(eval_at("between('08:00', '17:30')", at(17, 29, 59)) == boolean(true));
  CHECK(eval_at("between('08:00', '17:30')", at(17, 30)) == boolean(false));
  CHECK(eval_at("between('08:00', '17:30')", at(7, 59)) == boolean(false));
  CHECK(eval_at("between('08:00', '08:00')", at(8, 0)) == boolean(false));
  CHECK(eval_at("between('07:00:30', '07:01')", at(7, 0, 30)) == boolean(true));
  // A computed bound that is not a time gives null, not an error.
  CHECK(eval_at("between(topic, '06:00')", at(3, 0)).is_null());
}

TEST_CASE("Does changed() compare this payload with the previous one?", "[rules][functions][changed]") {
  Env env(R"({"state": "ON", "temp": 21})");
  // No previous payload: a present value counts as a change, a missing one not.
  CHECK(eval("changed(payload.state)", env) == boolean(true));
  CHECK(eval("changed(payload.missing)", env) == boolean(false));
  env.lookups.previous_payload = R"({"state": "ON", "temp": 20})";
  CHECK(eval("changed(payload.state)", env) == boolean(false));
  CHECK(eval("changed(payload.temp)", env) == boolean(true));
  CHECK(eval("changed(payload.temp > 20.5)", env) == boolean(true));
  CHECK(eval("changed(payload.temp > 10)", env) == boolean(false));
  CHECK(eval("changed(payload.state) or payload.temp > 25", env) == boolean(false));
  env.lookups.previous_payload = R"({"temp": 21})";
  CHECK(eval("changed(payload.state)", env) == boolean(true));
  env.lookups.previous_payload = "not json";
  CHECK(eval("changed(payload)", env) == boolean(true));
}
