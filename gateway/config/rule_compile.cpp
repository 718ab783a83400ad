#include "gateway/config/rule_compile.h"

#include <algorithm>
#include <tuple>

#include "gateway/config/rule_loader.h"
#include "rules/unreachable_triggers.h"

namespace edgegw::gateway {

CompiledRuleFiles compile_rule_files(const std::vector<std::string>& files, const Config& cfg, Diagnostics& diags) {
  Diagnostics rule_diags;
  CompiledRuleFiles out;
  out.specs = load_rule_files(files, rule_diags);
  out.rules = rules::RuleSet::compile(out.specs, rule_diags, cfg.upstream.has_value());
  // MQTT 5 links subscribe with No Local, so our own publishes fire no rule.
  rules::warn_unreachable_triggers(out.specs, rules::own_topics(out.specs, cfg.forward), cfg.local.mqtt_version == 5,
                                   cfg.upstream && cfg.upstream->mqtt_version == 5, rule_diags);
  auto rank = [&files](const SourcePos& p) {
    auto at = std::find(files.begin(), files.end(), p.file);
    return std::tuple(at - files.begin(), p.line, p.column);
  };
  std::vector<Diagnostic> items = rule_diags.items();
  std::stable_sort(items.begin(), items.end(),
                   [&rank](const Diagnostic& a, const Diagnostic& b) { return rank(a.pos) < rank(b.pos); });
  for (auto& d : items) diags.add(std::move(d));
  if (rule_diags.has_errors()) out.rules = nullptr;
  return out;
}

}  // namespace edgegw::gateway
