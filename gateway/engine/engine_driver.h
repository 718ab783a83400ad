// gateway/engine/engine_driver.h — rules::Engine behind RuleDriver, for the event
// pipeline (gateway/engine/event_pipeline.h).
//
// The dry run owns its engine (make_engine_driver), over a RuleSet compiled
// as the daemon compiles its own; the daemon lends its own
// (EngineRef). Nothing about the rules is re-implemented here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/engine/rule_driver.h"

namespace edgegw::rules {
class Engine;
class RuleSet;
}  // namespace edgegw::rules

namespace edgegw::gateway {

// The daemon's engine, borrowed: EngineLoop owns it and may replace it.
class EngineRef final : public RuleDriver {
 public:
  EngineRef(rules::Engine& engine, std::string gateway_id);
  void on_event(const Event& e, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                std::vector<rules::TimedDecision>& out) override;
  void on_gateway_event(std::string_view name, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                        std::vector<rules::TimedDecision>& out) override;
  void on_tick(TimePoint now, rules::JsonParser& parser, const rules::Lookups& lookups,
               std::vector<rules::TimedDecision>& out) override;
  std::optional<TimePoint> next_due() const override;
  const rules::Engine* engine() const override { return &engine_; }
  void on_device_event(const Event& e, std::string_view device_id, std::string_view event, rules::JsonParser& parser,
                       const rules::Lookups& lookups, TimePoint now, std::vector<rules::TimedDecision>& out) override;

 private:
  rules::Engine& engine_;
  std::string gateway_id_;
};

// An engine of its own over `rules` (compiled by compile_rule_files, as
// check and the daemon do; not null). `gateway_id` is `gateway.id` in
// expressions. `explain`: every matched rule gives a RuleNote
// (rules::Engine::set_explain).
std::unique_ptr<RuleDriver> make_engine_driver(std::shared_ptr<const rules::RuleSet> rules, std::string gateway_id,
                                               bool explain = false);

}  // namespace edgegw::gateway
