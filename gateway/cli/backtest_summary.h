// gateway/cli/backtest_summary.h — the closing lines of `edgegw test
// --from-journal` on stderr: how much traffic was replayed and what each rule
// did with it. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "gateway/sim/sim_events.h"
#include "rules/engine.h"

namespace edgegw::gateway {

// "replayed N event(s) from T1 to T2 (D)\n".
std::string backtest_span(const std::vector<SimEvent>& events);
// Per rule that matched anything: "  RULE: F fire(s), M match(es)[, drops: REASON=N …]\n".
std::string backtest_rules(const rules::Engine& engine);

}  // namespace edgegw::gateway
