// gateway/engine_driver.h — rules::Engine behind the dry run's RuleDriver.
//
// The same engine the daemon runs, compiled from the same RuleSpecs with
// rules::RuleSet::compile; nothing about the rules is re-implemented here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/diag.h"
#include "gateway/dry_run.h"
#include "rules/rule_spec.h"

namespace edgegw::gateway {

// Compiles `specs` (errors into `diags`, positioned); nullptr if any rule has
// an error. `has_upstream`: an upstream is configured (publish/forward to
// upstream needs it). `gateway_id` is `gateway.id` in expressions.
std::unique_ptr<RuleDriver>
make_engine_driver(const std::vector<rules::RuleSpec> &specs, bool has_upstream,
                   std::string gateway_id, Diagnostics &diags);

} // namespace edgegw::gateway
