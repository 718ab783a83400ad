// gateway/engine/event_pipeline.h — one event through the gateway, in the one order
// that the daemon (EngineLoop) and `edgegw test` (DryRun) both run:
//
//   1. observe   the device registry takes the event (its device, online, state);
//   2. routes    every matching forward route gives a row;
//   3. rules     every rule triggered by the event gives its decisions;
//   4. devices   `device` triggers for what the event changed on its device;
//   5. remember  the event becomes its topic's `previous`.
//
// What the stages produce goes to the caller's Effects, in that order: the
// daemon appends rows and state to the open batch, the dry run prints effect
// lines. A `set` decision is also applied to the lookups here as it is
// carried out, so both see state.NAME change at the same moment: for the next
// event or timer (the rules of one event decide before any of it is done).
//
// Borrows everything it is given; they must outlive it. Engine thread only.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/status.h"
#include "gateway/engine/rule_driver.h"
#include "gateway/engine/memory_lookups.h"
#include "rules/decision.h"
#include "rules/enqueue.h"
#include "rules/payload.h"
#include "rules/routes.h"

namespace edgegw::gateway {

class DeviceTracker;

class EventPipeline {
 public:
  // Carries out what the stages produce; an error stops the pipeline there.
  class Effects {
   public:
    virtual ~Effects() = default;
    virtual Status route(rules::Enqueue& row) = 0;       // stage 2: a forward route's row
    virtual Status decide(rules::TimedDecision& d) = 0;  // stages 3 and 4, and timers
  };

  EventPipeline(const rules::Routes& routes, MemoryLookups& lookups, rules::JsonParser& parser, std::string gateway_id);

  void set_rules(RuleDriver* rules) { rules_ = rules; }             // null: no rules
  void set_devices(DeviceTracker* devices) { devices_ = devices; }  // null: no device registry
  RuleDriver* rules() const { return rules_; }

  // Stages 1 to 5 for `e`, evaluated at `now`. On an error from `fx` the
  // later stages do not run and the event is not remembered. `routed`, when
  // given, receives the routes' outcome (bad topics).
  Status run(Event& e, TimePoint now, Effects& fx, rules::Routes::Outcome* routed = nullptr);

  // Stage 4 alone: device triggers for changes not caused by an event
  // (silence; cause null) or caused by `cause`.
  Status fire_devices(const Event* cause, TimePoint now, Effects& fx);

  // Decisions made outside an event (timers, gateway triggers), in order.
  // The caller keeps them (the daemon carries them out again when a commit
  // failed); applying a `set` twice is harmless.
  Status carry_out(std::span<rules::TimedDecision> decisions, Effects& fx);

 private:
  const rules::Routes& routes_;
  MemoryLookups& lookups_;
  rules::JsonParser& parser_;
  std::string gateway_id_;
  RuleDriver* rules_ = nullptr;
  DeviceTracker* devices_ = nullptr;
  std::vector<rules::Enqueue> rows_;  // reused: no allocation once warm
  std::vector<rules::TimedDecision> decisions_;
};

}  // namespace edgegw::gateway
