#include "gateway/engine/engine_driver.h"

#include "rules/engine.h"
#include "rules/rule_set.h"

namespace edgegw::gateway {

EngineRef::EngineRef(rules::Engine& engine, std::string gateway_id)
    : engine_(engine), gateway_id_(std::move(gateway_id)) {}

void EngineRef::on_event(const Event& e, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                         std::vector<rules::TimedDecision>& out) {
  engine_.on_event(e, parser, lookups, gateway_id_, now, out);
}
void EngineRef::on_gateway_event(std::string_view name, rules::JsonParser& parser, const rules::Lookups& lookups,
                                 TimePoint now, std::vector<rules::TimedDecision>& out) {
  engine_.on_gateway_event(name, parser, lookups, gateway_id_, now, out);
}
void EngineRef::on_tick(TimePoint now, rules::JsonParser& parser, const rules::Lookups& lookups,
                        std::vector<rules::TimedDecision>& out) {
  engine_.on_tick(now, parser, lookups, gateway_id_, out);
}
std::optional<TimePoint> EngineRef::next_due() const { return engine_.next_due(); }
void EngineRef::on_device_event(const Event& e, std::string_view device_id, std::string_view event,
                                rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                                std::vector<rules::TimedDecision>& out) {
  engine_.on_device_event(e, device_id, event, parser, lookups, gateway_id_, now, out);
}

namespace {

// The dry run's engine, owned.
class EngineDriver : public RuleDriver {
 public:
  EngineDriver(std::shared_ptr<const rules::RuleSet> set, std::string gateway_id, bool explain)
      : engine_(std::move(set)), ref_(engine_, std::move(gateway_id)) {
    engine_.set_explain(explain);
  }

  void on_event(const Event& e, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                std::vector<rules::TimedDecision>& out) override {
    ref_.on_event(e, parser, lookups, now, out);
  }
  void on_gateway_event(std::string_view name, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                        std::vector<rules::TimedDecision>& out) override {
    ref_.on_gateway_event(name, parser, lookups, now, out);
  }
  void on_tick(TimePoint now, rules::JsonParser& parser, const rules::Lookups& lookups,
               std::vector<rules::TimedDecision>& out) override {
    ref_.on_tick(now, parser, lookups, out);
  }
  void on_device_event(const Event& e, std::string_view device_id, std::string_view event, rules::JsonParser& parser,
                       const rules::Lookups& lookups, TimePoint now, std::vector<rules::TimedDecision>& out) override {
    ref_.on_device_event(e, device_id, event, parser, lookups, now, out);
  }
  std::optional<TimePoint> next_due() const override { return ref_.next_due(); }
  const rules::Engine* engine() const override { return &engine_; }

 private:
  rules::Engine engine_;
  EngineRef ref_;
};

}  // namespace

std::unique_ptr<RuleDriver> make_engine_driver(std::shared_ptr<const rules::RuleSet> rules, std::string gateway_id,
                                               bool explain) {
  return std::make_unique<EngineDriver>(std::move(rules), std::move(gateway_id), explain);
}

}  // namespace edgegw::gateway
