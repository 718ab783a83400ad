#include "gateway/engine/rule_reload.h"

namespace edgegw::gateway {

RuleReload::RuleReload(SqliteOutbox& outbox, EventPipeline& pipeline, std::string gateway_id,
                       std::shared_ptr<spdlog::logger> log, Loader load)
    : outbox_(outbox),
      pipeline_(pipeline),
      gateway_id_(std::move(gateway_id)),
      log_(std::move(log)),
      load_(std::move(load)) {}

void RuleReload::start(const std::shared_ptr<const rules::RuleSet>& rules) {
  if (rules && !rules->rules().empty()) use_engine(std::make_unique<rules::Engine>(rules));
}

std::shared_ptr<const rules::RuleSet> RuleReload::reload(std::string_view cause) {
  if (!load_) return nullptr;
  auto rules = load_();
  if (!rules) {
    log_->error("{}: the rule files have errors; the old rules stay in force", cause);
    return nullptr;
  }
  if (engine_) {
    engine_->replace_rules(rules);
  } else if (!rules->rules().empty()) {
    use_engine(std::make_unique<rules::Engine>(rules));
  }
  log_->info("{}: {} rule(s) loaded", cause, rules->rules().size());
  return rules;
}

void RuleReload::use_engine(std::unique_ptr<rules::Engine> engine) {
  engine_ = std::move(engine);
  engine_->set_explain(log_->should_log(spdlog::level::debug));  // one debug line per rule decision
  engine_ref_ = std::make_unique<EngineRef>(*engine_, gateway_id_);
  pipeline_.set_rules(engine_ref_.get());
  restore_rule_states();
}

// A saved row the engine refuses (the rule was edited or removed while the
// gateway was down) is deleted: that rule starts fresh.
void RuleReload::restore_rule_states() {
  std::vector<std::pair<std::string, std::string>> rows;
  if (auto s = outbox_.load_rule_states(rows); !s.ok()) {
    log_->error("rule state: {}", s.message());
    return;
  }
  size_t restored = 0;
  for (const auto& [rule, bytes] : rows) {
    if (engine_->restore_state(rule, bytes)) {
      ++restored;
    } else if (auto s = outbox_.put_rule_state(rule, {}); !s.ok()) {
      log_->warn("rule state: {}", s.message());
    }
  }
  if (restored > 0) {
    log_->info("rules: restored the timers and windows of {} rule(s) ({} pending timer(s))", restored,
               engine_->pending_timers());
  }
  if (restored < rows.size()) {
    log_->info("rules: dropped the saved state of {} rule(s) that changed or went away", rows.size() - restored);
  }
}

}  // namespace edgegw::gateway
