// `edgegw check` over rule files: the loader's structure errors and the
// compiler's expression errors in one pass (issue 20, item 3), through
// compile_rule_files, which check, run, reload and test all call.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/config/rule_compile.h"
#include "gateway/config/rule_loader.h"
#include "rules/rule_set.h"
#include "unit/fixture_text.h"

using namespace edgegw;
using namespace edgegw::gateway;
namespace fs = std::filesystem;

namespace {

const fs::path kRules = fs::path(EDGEGW_FIXTURES) / "rules";

using edgegw::testing::diagnostics_text;
using edgegw::testing::read_text;

std::vector<std::string> yaml_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Config config_with_upstream() {
  Config cfg;
  cfg.upstream.emplace();
  return cfg;
}

}  // namespace

TEST_CASE("Does one pass report a rule file's expression errors with its unknown actions and bad durations?",
          "[rule_check]") {
  const fs::path dir = kRules / "one_pass";
  for (const auto& file : yaml_files(dir)) {
    DYNAMIC_SECTION(fs::path(file).filename().string()) {
      Diagnostics diags;
      auto compiled = compile_rule_files({file}, config_with_upstream(), diags);
      CHECK(compiled.rules == nullptr);
      CHECK(diagnostics_text(diags, dir.string() + "/") == read_text(fs::path(file).replace_extension(".expected")));
      // Sorted by line, as a compiler prints them.
      for (size_t i = 1; i < diags.items().size(); ++i) {
        CHECK(diags.items()[i - 1].pos.line <= diags.items()[i].pos.line);
      }
    }
  }
}

TEST_CASE("Does compiling a file's broken rules blame none of their broken parts a second time?", "[rule_check]") {
  // The structure fixtures hold no expression error: compiling their rules
  // must add nothing to what the loader reported.
  const fs::path dir = kRules / "diagnostics";
  for (const auto& file : yaml_files(dir)) {
    DYNAMIC_SECTION(fs::path(file).filename().string()) {
      Diagnostics loaded;
      (void)load_rule_files({file}, loaded);
      Diagnostics checked;
      (void)compile_rule_files({file}, config_with_upstream(), checked);
      CHECK(checked.format_all() == loaded.format_all());
    }
  }
}

TEST_CASE("Do the actions after a broken one keep their index in the compiler's errors?", "[rule_check]") {
  Diagnostics diags;
  auto specs = load_rule_text("r.yaml",
                              "rules:\n"
                              "  - id: a\n"
                              "    when: {topic: x}\n"
                              "    then: [{shout: 1}, {log: x}, {log: '{{ payload. }}'}]\n",
                              diags);
  REQUIRE(specs.size() == 1);
  REQUIRE(specs[0].then.size() == 3);
  CHECK(specs[0].broken);
  CHECK(specs[0].then[0].broken);
  CHECK_FALSE(specs[0].then[2].broken);
  CHECK(rules::RuleSet::compile(specs, diags, true) == nullptr);
  REQUIRE(diags.items().size() == 2);
  CHECK(diags.items()[1].message.rfind("rules[0].then[2].log: ", 0) == 0);
}

TEST_CASE("Is no rule set built from a broken rule, even when its compiler finds nothing?", "[rule_check]") {
  Diagnostics diags;
  auto specs =
      load_rule_text("r.yaml", "rules:\n  - {id: a, when: {topic: x}, then: [{log: x}], throttle: soon}\n", diags);
  REQUIRE(specs.size() == 1);
  CHECK(specs[0].broken);
  Diagnostics compile_diags;
  CHECK(rules::RuleSet::compile(specs, compile_diags, true) == nullptr);
  CHECK(compile_diags.items().empty());  // the loader's error was the only one
}
