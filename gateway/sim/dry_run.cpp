#include "gateway/sim/dry_run.h"

#include "gateway/engine/device_tracker.h"
#include "gateway/sim/effect_lines.h"
#include "gateway/base/rfc3339.h"

namespace edgegw::gateway {

DryRun::DryRun(RuleDriver& rules, const rules::Routes& routes, std::string gateway_id, std::ostream& out,
               std::ostream& notes)
    : rules_(rules), printer_(out, notes, now_, effects_), pipeline_(routes, lookups_, parser_, std::move(gateway_id)) {
  pipeline_.set_rules(&rules_);
}

Status DryRun::Printer::route(rules::Enqueue& row) {
  out_ << enqueue_line(now_, row, /*forward=*/true) << '\n';
  ++effects_;
  return Status();
}

Status DryRun::Printer::decide(rules::TimedDecision& d) {
  if (std::holds_alternative<rules::RuleNote>(d.decision)) {
    notes_ << effect_line(d) << '\n';
    return Status();
  }
  out_ << effect_line(d) << '\n';
  ++effects_;
  return Status();
}

void DryRun::start(TimePoint t) {
  now_ = t;
  started_ = true;
  rules_.on_gateway_event("started", parser_, lookups_, now_, decisions_);
  // The engine arms `every` and `cron` at its first tick (rules/engine.h).
  rules_.on_tick(now_, parser_, lookups_, decisions_);
  (void)pipeline_.carry_out(decisions_, printer_);  // printing never fails
  decisions_.clear();
}

Status DryRun::advance_to(TimePoint t) {
  // One on_tick per due time, not one for the whole move: a `set` made by an
  // earlier timer is visible (state.NAME) to a later one, as in the daemon.
  for (int ticks = 0;; ++ticks) {
    auto due = rules_.next_due();
    auto silence = devices_ ? devices_->next_due() : std::nullopt;
    if (silence && *silence <= t && (!due || *silence < *due)) {
      // A device's silence falls before the next timer: it goes first.
      now_ = std::max(*silence, now_);
      devices_->check_silence(now_);
      (void)pipeline_.fire_devices(nullptr, now_, printer_);
      continue;
    }
    if (!due || *due > t) break;
    if (ticks == kMaxTicksPerMove) {
      return Status::error("simulated clock", "timers still due at " + format_rfc3339(*due) + " after " +
                                                  std::to_string(kMaxTicksPerMove) + " firings");
    }
    TimePoint tick = std::max(*due, now_);
    now_ = tick;
    rules_.on_tick(tick, parser_, lookups_, decisions_);
    (void)pipeline_.carry_out(decisions_, printer_);
    decisions_.clear();
  }
  now_ = std::max(now_, t);
  return Status();
}

Status DryRun::feed(Event e, TimePoint at) {
  if (Status st = advance_to(at); !st.ok()) return st;
  e.received_at = now_;
  return pipeline_.run(e, now_, printer_);
}

void feed_event(DryRun& run, SimEvent& ev, const std::string& events_path, TimePoint real_now, Diagnostics& diags) {
  if (!run.started()) run.start(ev.at.value_or(real_now));
  TimePoint at = ev.at.value_or(run.now());
  SourcePos pos{events_path, ev.line, 1};
  if (at < run.now()) {
    diags.error(pos, "at: " + format_rfc3339(at) + " is before the previous event's time " + format_rfc3339(run.now()) +
                         " (events must be in time order)");
    return;
  }
  if (Status st = run.feed(std::move(ev.event), at); !st.ok()) diags.error(pos, st.message());
}

void finish_events(DryRun& run, const std::string& events_path, std::optional<TimePoint> until, TimePoint real_now,
                   Diagnostics& diags) {
  if (!run.started()) run.start(real_now);
  // Timers created by the last event that are due at its own time fire too.
  TimePoint end = until && *until > run.now() ? *until : run.now();
  if (Status st = run.advance_to(end); !st.ok()) diags.error({events_path, 0, 0}, st.message());
}

void run_events(DryRun& run, std::vector<SimEvent> events, const std::string& events_path,
                std::optional<TimePoint> until, TimePoint real_now, Diagnostics& diags) {
  for (auto& ev : events) feed_event(run, ev, events_path, real_now, diags);
  finish_events(run, events_path, until, real_now, diags);
}

}  // namespace edgegw::gateway
