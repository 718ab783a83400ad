// Rule files: YAML text through the loader and then, even when it reported
// errors (broken rules included), the compiler (expressions, templates,
// payloads, cron, tries), as `check` does.
#include "fuzz_input.h"
#include "gateway/config/rule_loader.h"
#include "rules/rule_set.h"

using namespace edgegw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Diagnostics diags;
  auto specs = gateway::load_rule_text("fuzz.yaml", fuzz::as_text(data, size), diags);
  (void)rules::RuleSet::compile(specs, diags, /*has_upstream=*/true);
  (void)diags.format_all();
  return 0;
}
