// rules/engine.h — evaluates the compiled rules against events and time.
//
// The engine decides; it does no I/O and reads no clock. Each entry point
// gets `now` and appends TimedDecisions (each with the time it was made) to
// `out`, in order. Semantics: design.md, "Precise semantics":
//  - per event, matching rules run in rule order: `if`, then `for` (per key:
//    fire once when the condition held for D; a false event resets; the
//    actions see the latest event of the spell), then `dedupe`, `throttle`
//    (leading edge) and `debounce` (trailing edge, the last event), in that
//    order, all per key (`key:` expression, default the topic);
//  - `mode` decides what a new trigger does while a run of the same key is
//    suspended in a `delay`: single ignores it, restart cancels the running
//    one, queued runs it after (at most kMaxQueued waiting), parallel runs both.
//    Runs of different keys never meet: one rule on `zigbee2mqtt/+` runs per
//    device (the default key is the topic);
//  - timers (`delay` continuations, `for`, `debounce`, `every`, `cron`) fire
//    in on_tick in due-time order, each at its due time; they keep copies of
//    the events they need (Event::device, a pointer, must stay valid).
// `every: D` fires at the multiples of D since the Unix epoch; `cron` at its
// next local minute. Both are armed at the first call with a time (call
// on_tick(now) once at start so next_due() knows them).
//
// Threads: engine thread only; no locks. Not copyable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "rules/decision.h"
#include "rules/eval_context.h"
#include "rules/payload.h"
#include "rules/rule_note.h"
#include "rules/rule_set.h"

namespace edgegw::rules {

// Per rule, for /api/rules and /metrics. A reload keeps a rule's figures
// when its id is still there.
struct RuleStats {
  uint64_t matches = 0;  // its trigger matched (before `if`, `for`, throttle)
  uint64_t fires = 0;    // its action list started
  std::optional<TimePoint> last_fire;
  std::array<uint64_t, kNoteKinds> notes{};  // by NoteKind (rules/rule_note.h); [fired] stays 0
  std::optional<NoteKind> last_stop;         // the last note other than `fired`
  TimePoint last_stop_at{};
  uint64_t count(NoteKind k) const { return notes[static_cast<size_t>(k)]; }
};

class Engine {
 public:
  static constexpr size_t kMaxQueued = 64;

  // `rules` must not be null.
  explicit Engine(std::shared_ptr<const RuleSet> rules);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // An MQTT event: e.link local for local triggers, upstream for `from: upstream` ones.
  void on_event(const Event& e, JsonParser& parser, const Lookups& lookups, std::string_view gateway_id, TimePoint now,
                std::vector<TimedDecision>& out);

  // A device event (`event` online | offline | state) for `device:` triggers;
  // `e` is the message that caused it (or a synthetic one for silence).
  void on_device_event(const Event& e, std::string_view device_id, std::string_view event, JsonParser& parser,
                       const Lookups& lookups, std::string_view gateway_id, TimePoint now,
                       std::vector<TimedDecision>& out);

  // `name`: upstream_down | upstream_up | started.
  void on_gateway_event(std::string_view name, JsonParser& parser, const Lookups& lookups, std::string_view gateway_id,
                        TimePoint now, std::vector<TimedDecision>& out);

  // Fires every timer due at or before `now`, in due-time order (ties in the
  // order they were set), each with its due time as `at`.
  void on_tick(TimePoint now, JsonParser& parser, const Lookups& lookups, std::string_view gateway_id,
               std::vector<TimedDecision>& out);

  // The earliest pending timer, if any.
  std::optional<TimePoint> next_due() const;

  // Reload: the state (windows, `for` spells, pending timers, queues) of rules
  // whose id and fingerprint are unchanged is kept; the rest is dropped.
  // `rules` must not be null.
  void replace_rules(std::shared_ptr<const RuleSet> rules);

  const RuleSet& rules() const { return *rules_; }
  // Parallel to rules().rules().
  const std::vector<RuleStats>& rule_stats() const { return rule_stats_; }
  size_t pending_timers() const { return timers_.size(); }

  // Off: only drops become RuleNote decisions. On: every matched rule also
  // gives one (fired, or why it stopped). Every note is counted either way.
  void set_explain(bool on) { explain_ = on; }

  // The system clock was stepped by `delta` (an NTP correction, a Pi booted
  // without a real-time clock): timers and windows measured from events keep
  // their remaining time (shifted by delta), `every`/`cron` are armed anew
  // from `now` (they follow the wall clock).
  void clock_jumped(Duration delta, TimePoint now);

  // Persistence (design.md, Delivery: rule timers survive a restart). The
  // gateway stores save_state(id) for every rule in dirty() in the same
  // transaction as the decisions that changed it, then calls clear_dirty();
  // a failed commit leaves the set as it is, so the retry writes it again.
  // The state of a rule: its per-key windows and `for` spells, its pending
  // `for`, `debounce` and `delay` timers with the events they carry, and its
  // `queued` triggers (Event::device is not kept: null after a restore).
  // `every`/`cron` schedules are not kept: they are armed anew from the time
  // of the first call, so a slot missed while the gateway was down is skipped.
  // save_state: "" when the rule keeps no state (the stored row goes).
  std::string save_state(std::string_view rule_id) const;
  // At start, before any event: false (nothing restored) for an unknown rule,
  // a rule whose fingerprint changed, or bytes that do not decode. Timers
  // already due fire at the next on_tick, each with its own due time.
  bool restore_state(std::string_view rule_id, std::string_view bytes);
  // The rules whose state changed since clear_dirty(), including rules that
  // a reload dropped (their save_state is "").
  const std::vector<std::string>& dirty() const { return dirty_; }
  void clear_dirty();

 private:
  enum class TimerKind : uint8_t { for_done, debounce, resume, every, cron };
  struct TimerKey {
    TimePoint due;
    uint64_t seq = 0;
    auto operator<=>(const TimerKey&) const = default;
  };
  struct Timer {
    TimerKind kind = TimerKind::resume;
    std::string rule;        // rule id
    std::string key;         // for_done, debounce
    uint64_t run = 0;        // resume
    size_t next_action = 0;  // resume
    Event event;
  };
  struct KeyState {
    std::optional<TimePoint> throttle_passed;
    std::optional<TimePoint> dedupe_passed;
    std::string dedupe_payload;
    bool spell = false;  // `for`: the condition is true since the spell began
    bool spell_fired = false;
    std::optional<TimerKey> for_timer;
    std::optional<TimerKey> debounce_timer;
    std::map<uint64_t, TimerKey> runs;  // runs suspended in a delay -> their resume timer
    std::deque<Event> queue;            // mode queued
    bool idle() const { return !spell && !for_timer && !debounce_timer && runs.empty() && queue.empty(); }
  };
  struct RuleState {
    std::unordered_map<std::string, KeyState> keys;  // by key: windows, spells, runs
    std::optional<TimerKey> schedule;                // every / cron
  };
  // What every firing needs besides the rule and the event.
  struct Sink {
    JsonParser& parser;
    const Lookups& lookups;
    std::string_view gateway_id;
    std::vector<TimedDecision>& out;
  };

  void index_rules();
  void mark_dirty(const std::string& rule_id);
  void sweep(TimePoint now);
  void arm(TimePoint now);
  TimerKey add_timer(TimePoint due, Timer t);
  void fire(TimerKey k, Timer t, Sink& sink);
  void consider(size_t rule, const Event& e, TimePoint now, Sink& sink);
  void on_condition(size_t rule, const std::string& key, bool holds, const Event& e, TimePoint now, Sink& sink);
  void after_condition(size_t rule, const std::string& key, const Event& e, TimePoint now, Sink& sink);
  bool passes_windows(size_t rule, KeyState& ks, const std::string& key, const Event& e, TimePoint now, Sink& sink);
  void trigger(size_t rule, const std::string& key, const Event& e, TimePoint now, Sink& sink);
  void execute(size_t rule, const std::string& key, uint64_t run, const Event& e, size_t from, TimePoint now,
               Sink& sink);
  void run_action(size_t rule, size_t index, const std::string& key, const EvalContext& ctx, Sink& sink);
  void run_publish(size_t rule, size_t index, const std::string& key, const EvalContext& ctx, Sink& sink);
  void run_set(const CompiledRule& r, const CompiledAction& a, const EvalContext& ctx, std::vector<TimedDecision>& out);
  // Counts a note; true when it must be handed on (a drop, or explain is on):
  // then the caller builds its detail and calls hand_on.
  bool count_note(size_t rule, NoteKind kind, TimePoint now);
  void hand_on(size_t rule, NoteKind kind, const std::string& key, TimePoint now, Sink& sink, std::string detail,
               std::optional<TimePoint> until = std::nullopt, int action = -1);

  std::shared_ptr<const RuleSet> rules_;
  std::vector<uint32_t> device_rules_;
  std::vector<uint32_t> gateway_rules_;
  std::vector<bool> suspends_;  // by rule: its actions hold a delay, so runs can wait (modes matter)
  std::unordered_map<std::string, RuleState> states_;  // by rule id
  std::map<TimerKey, Timer> timers_;
  std::vector<std::string> dirty_;  // rule ids, each once
  std::unordered_set<std::string> dirty_seen_;
  std::optional<TimePoint> next_sweep_;
  uint64_t next_seq_ = 1;
  uint64_t next_run_ = 1;
  bool armed_ = false;
  std::vector<uint32_t> matched_;  // scratch for trie matches
  JsonParser scratch_parser_;      // reads back `set` map/list values
  bool explain_ = false;
  std::vector<RuleStats> rule_stats_;
};

}  // namespace edgegw::rules
