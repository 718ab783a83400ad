// Hostile inputs (issue 9) and the inputs the fuzz targets in tests/fuzz/
// found, replayed through the same entry points the targets call: each must
// now give a clean result or a diagnostic, never a crash.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "gateway/journal/journal_format.h"
#include "gateway/config/rule_loader.h"
#include "rules/expression.h"
#include "rules/rule_set.h"
#include "rules/template.h"
#include "rules/value.h"
#include "test_rules_support.h"

using namespace edgegw;

namespace {

// What fuzz_rule_loader does: load, then compile, broken rules included.
Diagnostics load_and_compile(const std::string& text) {
  Diagnostics diags;
  auto specs = gateway::load_rule_text("fuzz.yaml", text, diags);
  (void)rules::RuleSet::compile(specs, diags, true);
  return diags;
}

}  // namespace

TEST_CASE("Are expressions nested 100,000 deep a compile error, not a stack overflow?", "[rules][fuzz]") {
  constexpr size_t kDepth = 100'000;
  const std::string parens = std::string(kDepth, '(') + "1" + std::string(kDepth, ')');
  const std::string lists = std::string(kDepth, '[') + std::string(kDepth, ']');
  std::string nots;
  for (size_t i = 0; i < kDepth; ++i) nots += "not ";
  nots += "true";
  const std::string minus = std::string(kDepth, '-') + "1";
  std::string calls;
  for (size_t i = 0; i < kDepth; ++i) calls += "abs(";
  calls += "1" + std::string(kDepth, ')');
  const std::string* const inputs[] = {&parens, &lists, &nots, &minus, &calls};
  for (const std::string* text : inputs) {
    auto e = rules::Expression::compile(*text);
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("nest") != std::string::npos);
    auto t = rules::Template::compile("{{ " + *text + " }}");
    CHECK_FALSE(t);
  }
}

TEST_CASE("Is a rule file nested 100,000 deep an error, not a stack overflow?", "[rules][fuzz]") {
  constexpr size_t kDepth = 100'000;
  const std::string deep = std::string(kDepth, '[') + std::string(kDepth, ']');
  const auto flow = load_and_compile(
      "rules:\n  - id: r\n    when: {topic: a/b}\n    then:\n      - publish: {topic: x, payload: " + deep + "}\n");
  CHECK(flow.has_errors());
  const auto root = load_and_compile(deep);
  CHECK(root.has_errors());
}

TEST_CASE("Does a payload nested as deep as YAML allows still compile and fingerprint?", "[rules][fuzz]") {
  // yaml-cpp refuses deeper documents itself; up to its limit our own
  // recursion (reader, payload compiler, fingerprint) must cope.
  constexpr size_t kDepth = 400;  // yaml-cpp 0.7 refuses about 500
  const std::string deep = std::string(kDepth, '[') + "1" + std::string(kDepth, ']');
  const auto diags = load_and_compile(
      "rules:\n  - id: r\n    when: {topic: a/b}\n    then:\n      - publish: {topic: x, payload: " + deep + "}\n");
  INFO(diags.format_all());
  CHECK_FALSE(diags.has_errors());
}

TEST_CASE("Is a whole-number index beyond int64_t a load error as a literal and null at run time?", "[rules][fuzz]") {
  using rules::testing::compile_error;
  using rules::testing::eval;
  // The fuzz finding of issue 24, then its neighbours: a static_cast of any of
  // these to int64_t was undefined behaviour.
  CHECK(compile_error("payload[5.5e84]") == "9: index 5.5e+84 is out of range");
  CHECK(compile_error("payload[9223372036854775808]") == "9: index 9223372036854775808 is out of range");
  CHECK(compile_error("payload[-1e300]") == "9: index -1e+300 is out of range");
  CHECK(compile_error("payload[-9223372036854775808]") == "compiled");  // -2^63 fits
  CHECK(compile_error("payload[-0.0]") == "compiled");
  rules::testing::Env env(R"({"list": [10, 20, 30], "big": 5.5e84, "huge": 1e308, "neg": -1e300,)"
                          R"( "min": -9223372036854775808, "zero": -0.0})");
  CHECK(eval("payload.list[payload.big]", env).is_null());
  CHECK(eval("payload.list[payload.huge * 10]", env).is_null());                      // +inf
  CHECK(eval("payload.list[-(payload.huge * 10)]", env).is_null());                   // -inf
  CHECK(eval("payload.list[payload.huge * 10 - payload.huge * 10]", env).is_null());  // NaN
  CHECK(eval("payload.list[payload.neg]", env).is_null());
  CHECK(eval("payload.list[payload.min]", env).is_null());
  CHECK(eval("payload.list[payload.zero]", env) == rules::Value::from_number(10));
  CHECK(eval("payload.list[-0.0]", env) == rules::Value::from_number(10));
  CHECK(eval("payload.list[payload.list[0] - 11]", env) == rules::Value::from_number(30));
  CHECK(eval("topic[payload.big]", env).is_null());
}

TEST_CASE("Does exact_int64 refuse exactly what int64_t cannot hold?", "[rules][fuzz]") {
  using rules::exact_int64;
  CHECK(exact_int64(0.0) == 0);
  CHECK(exact_int64(-0.0) == 0);
  CHECK(exact_int64(-9223372036854775808.0) == INT64_MIN);
  CHECK(exact_int64(9223372036854774784.0) == 9223372036854774784);  // the largest double below 2^63
  CHECK_FALSE(exact_int64(9223372036854775808.0));
  CHECK_FALSE(exact_int64(-9223372036854777856.0));  // the next double below -2^63
  CHECK_FALSE(exact_int64(1.5));
  CHECK_FALSE(exact_int64(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(exact_int64(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(exact_int64(-std::numeric_limits<double>::infinity()));
}

TEST_CASE("Is a rule duration too long to add to the clock a load error, not an overflow?", "[rules][fuzz]") {
  // now + 100000d is past 2262, the end of int64 nanoseconds: the sum was
  // signed overflow. 100 years is the longest duration a file may hold.
  const auto too_long = load_and_compile(
      "rules:\n  - id: r\n    when: {topic: a/b, for: 100000d}\n    then:\n      - delay: 100000d\n"
      "      - publish: {topic: x, payload: on}\n");
  CHECK(too_long.format_all() ==
        "fuzz.yaml:3:29: error: rules[0].when.for: 100000d is above the maximum of 36500d\n"
        "fuzz.yaml:5:16: error: rules[0].then[0].delay: 100000d is above the maximum of 36500d\n");
  const auto longest = load_and_compile(
      "rules:\n  - id: r\n    when: {topic: a/b, for: 36500d}\n    then:\n      - delay: 36500d\n"
      "      - publish: {topic: x, payload: on}\n");
  CHECK_FALSE(longest.has_errors());
}
