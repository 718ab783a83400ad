// gateway/sim/dry_run.h — the simulated clock of `edgegw test` and what it drives.
//
// The simulated clock starts at a given time (`started` gateway triggers fire
// then), moves to each event's time, and before each move fires every timer
// due on the way, in due-time order, each at its due time. Every effect is
// printed as one JSON line (gateway/sim/effect_lines.h); `set` values are kept
// for `state.NAME` and each event becomes its topic's `previous`
// (gateway/engine/memory_lookups.h).
//
// Single-threaded; nothing throws out of it.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/diag.h"
#include "core/event.h"
#include "core/status.h"
#include "gateway/engine/event_pipeline.h"
#include "gateway/engine/rule_driver.h"
#include "gateway/sim/sim_events.h"
#include "gateway/engine/memory_lookups.h"
#include "rules/decision.h"
#include "rules/payload.h"
#include "rules/routes.h"

namespace edgegw::gateway {

class DeviceTracker;

// The simulated clock and the effect printer. Borrows `rules`, `routes` and
// `out`; they must outlive it.
class DryRun {
 public:
  // At most this many timer firings per clock move: a timer that never moves
  // forward stops the run instead of hanging it.
  static constexpr int kMaxTicksPerMove = 1'000'000;

  // Effects go to `out`; RuleNotes (drops, and with explain every rule's
  // outcome) to `notes`.
  DryRun(RuleDriver& rules, const rules::Routes& routes, std::string gateway_id, std::ostream& out,
         std::ostream& notes);

  // Sets the clock (once, before anything else) and fires `started`.
  void start(TimePoint t);
  bool started() const { return started_; }
  TimePoint now() const { return now_; }

  // Fires the timers due up to `t` (a time before now() is now()), then sets
  // the clock to it. Fails only on a runaway timer.
  Status advance_to(TimePoint t);

  // advance_to(at), then the event through the one event pipeline the
  // daemon runs (gateway/engine/event_pipeline.h).
  Status feed(Event e, TimePoint at);

  size_t effects() const { return effects_; }

  // Recognise devices (gateway/engine/device_tracker.h): events get their device,
  // and device changes and silence run `device` triggers. Borrowed; null: off.
  void track_devices(DeviceTracker* devices) {
    devices_ = devices;
    pipeline_.set_devices(devices);
  }

 private:
  // Prints each effect as one line (gateway/sim/effect_lines.h) and counts it.
  class Printer : public EventPipeline::Effects {
   public:
    Printer(std::ostream& out, std::ostream& notes, const TimePoint& now, size_t& effects)
        : out_(out), notes_(notes), now_(now), effects_(effects) {}
    Status route(rules::Enqueue& row) override;
    Status decide(rules::TimedDecision& d) override;

   private:
    std::ostream& out_;
    std::ostream& notes_;
    const TimePoint& now_;
    size_t& effects_;
  };

  RuleDriver& rules_;
  MemoryLookups lookups_;
  rules::JsonParser parser_;
  std::vector<rules::TimedDecision> decisions_;
  DeviceTracker* devices_ = nullptr;
  TimePoint now_{};
  bool started_ = false;
  size_t effects_ = 0;
  Printer printer_;
  EventPipeline pipeline_;
};

// Feeds `events` in order (see the header comment); `real_now` is the start
// when the first event has no `at`. Errors (a time going backwards, a runaway
// timer) go to `diags` at the event's line of `events_path`; such an event is
// skipped and the run goes on.
void run_events(DryRun& run, std::vector<SimEvent> events, const std::string& events_path,
                std::optional<TimePoint> until, TimePoint real_now, Diagnostics& diags);

// run_events one event at a time, for a stream that is never held whole
// (`edgegw test --from-journal`): feed_event for each, then finish_events.
void feed_event(DryRun& run, SimEvent& ev, const std::string& events_path, TimePoint real_now, Diagnostics& diags);
void finish_events(DryRun& run, const std::string& events_path, std::optional<TimePoint> until, TimePoint real_now,
                   Diagnostics& diags);

}  // namespace edgegw::gateway
