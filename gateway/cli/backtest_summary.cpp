#include "gateway/cli/backtest_summary.h"

#include "core/units.h"
#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {

std::string BacktestSpan::text() const {
  std::string out = "replayed " + std::to_string(events) + " event(s)";
  if (events > 0) {
    out += " from " + format_rfc3339(first) + " to " + format_rfc3339(last) + " (" +
           format_duration(std::chrono::duration_cast<std::chrono::seconds>(last - first)) + ")";
  }
  return out + "\n";
}

std::string backtest_rules(const rules::Engine& engine) {
  std::string out;
  const auto& rules = engine.rules().rules();
  const auto& stats = engine.rule_stats();
  for (size_t i = 0; i < rules.size() && i < stats.size(); ++i) {
    const rules::RuleStats& s = stats[i];
    if (s.matches == 0) continue;
    out +=
        "  " + rules[i].id + ": " + std::to_string(s.fires) + " fire(s), " + std::to_string(s.matches) + " match(es)";
    std::string drops;
    for (size_t k = 0; k < rules::kNoteKinds; ++k) {
      const auto kind = static_cast<rules::NoteKind>(k);
      if (rules::is_drop(kind) && s.notes[k] > 0) {
        drops += (drops.empty() ? "" : ", ") + std::string(rules::note_name(kind)) + "=" + std::to_string(s.notes[k]);
      }
    }
    out += drops.empty() ? "\n" : ", drops: " + drops + "\n";
  }
  return out;
}

}  // namespace edgegw::gateway
