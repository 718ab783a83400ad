#include <catch2/catch.hpp>

#include "core/units.h"

using namespace edgegw;
using namespace std::chrono_literals;

TEST_CASE("Are durations parsed as written in config files?", "[core][units]") {
  CHECK(parse_duration("500ms") == Duration(500ms));
  CHECK(parse_duration("30s") == Duration(30s));
  CHECK(parse_duration("5m") == Duration(5min));
  CHECK(parse_duration("2h") == Duration(2h));
  CHECK(parse_duration("7d") == Duration(168h));
  CHECK(parse_duration("1.5s") == Duration(1500ms));
  CHECK(parse_duration("0") == Duration::zero());
  CHECK_FALSE(parse_duration("5"));
  CHECK_FALSE(parse_duration("-5s"));
  CHECK_FALSE(parse_duration("5 s"));
  CHECK_FALSE(parse_duration("5w"));
  CHECK_FALSE(parse_duration(""));
  CHECK(format_duration(Duration(90s)) == "90s");
  CHECK(format_duration(Duration(168h)) == "7d");
}

TEST_CASE("Are sizes parsed with binary and decimal units?", "[core][units]") {
  CHECK(parse_size("64KiB") == 65536u);
  CHECK(parse_size("512MiB") == 512ull << 20);
  CHECK(parse_size("1000") == 1000u);
  CHECK(parse_size("10MB") == 10'000'000u);
  CHECK_FALSE(parse_size("1.5B"));
  CHECK_FALSE(parse_size("12 KiB"));
  CHECK_FALSE(parse_size("kib"));
}
