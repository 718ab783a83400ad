// Hostile inputs (issue 9) and the inputs the fuzz targets in tests/fuzz/
// found, replayed through the same entry points the targets call: each must
// now give a clean result or a diagnostic, never a crash.
#include <catch2/catch.hpp>

#include <string>

#include "gateway/journal_format.h"
#include "gateway/rule_loader.h"
#include "rules/expression.h"
#include "rules/rule_set.h"
#include "rules/template.h"

using namespace edgegw;

namespace {

// What fuzz_rule_loader does: load, then compile when the load was clean.
Diagnostics load_and_compile(const std::string& text) {
  Diagnostics diags;
  auto specs = gateway::load_rule_text("fuzz.yaml", text, diags);
  if (!diags.has_errors()) (void)rules::RuleSet::compile(specs, diags, true);
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
  const auto flow = load_and_compile("rules:\n  - id: r\n    when: {topic: a/b}\n    then:\n      - publish: {topic: x, payload: " + deep + "}\n");
  CHECK(flow.has_errors());
  const auto root = load_and_compile(deep);
  CHECK(root.has_errors());
}

TEST_CASE("Does a payload nested as deep as YAML allows still compile and fingerprint?", "[rules][fuzz]") {
  // yaml-cpp refuses deeper documents itself; up to its limit our own
  // recursion (reader, payload compiler, fingerprint) must cope.
  constexpr size_t kDepth = 400;  // yaml-cpp 0.7 refuses about 500
  const std::string deep = std::string(kDepth, '[') + "1" + std::string(kDepth, ']');
  const auto diags = load_and_compile("rules:\n  - id: r\n    when: {topic: a/b}\n    then:\n      - publish: {topic: x, payload: " + deep + "}\n");
  INFO(diags.format_all());
  CHECK_FALSE(diags.has_errors());
}
