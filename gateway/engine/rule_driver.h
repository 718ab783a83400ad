// gateway/engine/rule_driver.h — the rule engine as the event pipeline calls it.
//
// rules::Engine behind a small interface (gateway/engine/engine_driver.h), so the
// pipeline takes the daemon's engine, the dry run's, or a fake in tests.
// Each call appends its decisions to `out`, in order. Engine thread only.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "rules/decision.h"
#include "rules/eval_context.h"
#include "rules/payload.h"

namespace edgegw::rules {
class Engine;
}

namespace edgegw::gateway {

class RuleDriver {
 public:
  virtual ~RuleDriver() = default;
  virtual void on_event(const Event& e, rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                        std::vector<rules::TimedDecision>& out) = 0;
  virtual void on_gateway_event(std::string_view name, rules::JsonParser& parser, const rules::Lookups& lookups,
                                TimePoint now, std::vector<rules::TimedDecision>& out) = 0;
  // Every timer due at or before `now`.
  virtual void on_tick(TimePoint now, rules::JsonParser& parser, const rules::Lookups& lookups,
                       std::vector<rules::TimedDecision>& out) = 0;
  virtual std::optional<TimePoint> next_due() const = 0;
  // The engine behind it, for its figures (RuleStats); null for a fake.
  virtual const rules::Engine* engine() const { return nullptr; }
  // A `device` trigger (event online | offline | state). Default: ignored.
  virtual void on_device_event(const Event& e, std::string_view device_id, std::string_view event,
                               rules::JsonParser& parser, const rules::Lookups& lookups, TimePoint now,
                               std::vector<rules::TimedDecision>& out) {
    (void)e, (void)device_id, (void)event, (void)parser, (void)lookups, (void)now, (void)out;
  }
};

}  // namespace edgegw::gateway
