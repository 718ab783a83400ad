// gateway/cli/backtest_summary.h — the closing lines of `edgegw test
// --from-journal` on stderr: how much traffic was replayed and what each rule
// did with it. Pure; any thread.
#pragma once

#include <string>

#include "core/clock.h"
#include "rules/engine.h"

namespace edgegw::gateway {

// The events replayed: how many, from when to when.
struct BacktestSpan {
  uint64_t events = 0;
  TimePoint first{}, last{};
  void add(TimePoint at) {
    if (events++ == 0) first = at;
    last = at;
  }
  // "replayed N event(s) from T1 to T2 (D)\n".
  std::string text() const;
};
// Per rule that matched anything: "  RULE: F fire(s), M match(es)[, drops: REASON=N …]\n".
std::string backtest_rules(const rules::Engine& engine);

}  // namespace edgegw::gateway
