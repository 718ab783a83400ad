#include "gateway/engine/event_pipeline.h"

#include <utility>

#include "gateway/engine/device_tracker.h"
#include "rules/eval_context.h"

namespace edgegw::gateway {

EventPipeline::EventPipeline(const rules::Routes& routes, MemoryLookups& lookups, rules::JsonParser& parser,
                             std::string gateway_id)
    : routes_(routes), lookups_(lookups), parser_(parser), gateway_id_(std::move(gateway_id)) {}

Status EventPipeline::run(Event& e, TimePoint now, Effects& fx, rules::Routes::Outcome* routed) {
  if (devices_) devices_->observe(e);
  rows_.clear();
  rules::EvalContext ctx(e, parser_, gateway_id_, now, lookups_);
  auto outcome = routes_.on_event(ctx, rows_);
  if (routed) *routed = std::move(outcome);
  for (auto& row : rows_) {
    if (Status s = fx.route(row); !s.ok()) return s;
  }
  if (rules_) {
    decisions_.clear();
    rules_->on_event(e, parser_, lookups_, now, decisions_);
    if (Status s = carry_out(decisions_, fx); !s.ok()) return s;
  }
  if (Status s = fire_devices(&e, now, fx); !s.ok()) return s;
  lookups_.remember(e);  // the next event's `previous`
  return Status();
}

Status EventPipeline::fire_devices(const Event* cause, TimePoint now, Effects& fx) {
  if (!devices_) return Status();
  Status status;
  devices_->fire(cause, now, [&](const Event& de, std::string_view id, std::string_view event) {
    if (!rules_ || !status.ok()) return;
    decisions_.clear();
    rules_->on_device_event(de, id, event, parser_, lookups_, now, decisions_);
    status = carry_out(decisions_, fx);
  });
  return status;
}

Status EventPipeline::carry_out(std::span<rules::TimedDecision> decisions, Effects& fx) {
  Status status;
  for (auto& d : decisions) {
    if (auto* set = std::get_if<rules::SetState>(&d.decision)) lookups_.set_state(set->name, set->value);
    status = fx.decide(d);
    if (!status.ok()) break;
  }
  return status;
}

}  // namespace edgegw::gateway
