// gateway/config/rule_loader.h — rules.d/*.yaml files into rules::RuleSpec, with
// positions (design.md, "Rule files").
//
// Parsing only: shapes, types, durations, enums, required keys, unknown keys
// (with a did-you-mean). Expressions, templates, cron fields and unique ids
// are left to rules::RuleSet::compile, which reports them at the positions
// filled in here (the first character of each expression or template text).
//
// Every problem goes into `diags` as `FILE:LINE:COL: error: rules[3].when.if:
// MESSAGE`, all of them in one pass, across all files, each file's in line
// order. Nothing throws.
//
// A file with errors still gives one RuleSpec per list item, and each rule
// one ActionSpec per `then:` item (the compiler names them by their index in
// the file, "rules[3].then[1]"). What this loader reported is marked
// `broken` (the rule, its trigger, an action), so that RuleSet::compile
// reports the other parts' expression and template errors in the same pass,
// does not blame the broken parts again, and builds no set from them.
// Callers must test diags.has_errors() and never run a set that had errors
// (compile_rule_files in rule_compile.h does all of this).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/diag.h"
#include "rules/rule_spec.h"

namespace edgegw::gateway {

// Reads `files` in the order given. A file that cannot be read or is not
// valid YAML is one error; the other files are still read. An empty file and
// `rules: []` hold no rules and are fine.
std::vector<rules::RuleSpec> load_rule_files(const std::vector<std::string>& files, Diagnostics& diags);

// The same for one file's text; `file` is only used in positions.
std::vector<rules::RuleSpec> load_rule_text(const std::string& file, std::string_view text, Diagnostics& diags);

}  // namespace edgegw::gateway
