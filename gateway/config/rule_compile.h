// gateway/config/rule_compile.h — the rule files loaded and compiled the one
// way that `edgegw check`, `edgegw run` (at start and at every reload) and
// `edgegw test` share, so that all of them report the same diagnostics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/diag.h"
#include "gateway/config/config.h"
#include "rules/rule_set.h"
#include "rules/rule_spec.h"

namespace edgegw::gateway {

struct CompiledRuleFiles {
  std::vector<rules::RuleSpec> specs;           // every rule read, the broken ones too
  std::shared_ptr<const rules::RuleSet> rules;  // null when any rule file had an error
};

// Loads `files` (load_rule_files) and compiles every rule read, even those of
// a file with structure errors, so that one pass reports the loader's errors
// (unknown action, bad duration, ...) and the compiler's (expressions,
// templates, cron fields, unique ids) together; then warns about triggers
// that the gateway's own publishes cannot fire (rules/unreachable_triggers.h).
// The diagnostics reach `diags` file by file in the order of `files`, each
// file's in line order, as a compiler prints them. Nothing throws.
CompiledRuleFiles compile_rule_files(const std::vector<std::string>& files, const Config& cfg, Diagnostics& diags);

}  // namespace edgegw::gateway
