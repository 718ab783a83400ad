#include "rules/engine.h"

#include <utility>

#include "core/units.h"

namespace edgegw::rules {

namespace {

// The first multiple of `every` since the epoch strictly after `now`.
TimePoint next_multiple(TimePoint now, Duration every) {
  const auto n = now.time_since_epoch().count();
  const auto d = every.count();
  auto k = n / d + 1;
  if (n < 0 && n % d != 0) k -= 1;
  return TimePoint(Duration(k * d));
}

Event synthetic_event(TimePoint at) {
  Event e;
  e.received_at = at;
  return e;
}

}  // namespace

Engine::Engine(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {
  rule_stats_.resize(rules_->rules().size());
  index_rules();
}

void Engine::index_rules() {
  device_rules_.clear();
  gateway_rules_.clear();
  const auto& rules = rules_->rules();
  suspends_.assign(rules.size(), false);
  for (size_t i = 0; i < rules.size(); ++i) {
    for (const CompiledAction& a : rules[i].then) {
      if (a.kind == ActionKind::delay && a.delay > Duration::zero()) suspends_[i] = true;
    }
    if (!rules[i].enabled) continue;
    if (rules[i].trigger == TriggerKind::device) device_rules_.push_back(static_cast<uint32_t>(i));
    if (rules[i].trigger == TriggerKind::gateway) gateway_rules_.push_back(static_cast<uint32_t>(i));
  }
  armed_ = false;
}

void Engine::arm(TimePoint now) {
  if (armed_) return;
  armed_ = true;
  for (const CompiledRule& r : rules_->rules()) {
    if (!r.enabled || (r.trigger != TriggerKind::every && r.trigger != TriggerKind::cron)) continue;
    RuleState& st = states_[r.id];
    if (st.schedule) continue;  // kept across a reload
    Timer t;
    t.rule = r.id;
    if (r.trigger == TriggerKind::every) {
      t.kind = TimerKind::every;
      st.schedule = add_timer(next_multiple(now, r.every), std::move(t));
    } else if (auto due = r.cron->next_after(now)) {
      t.kind = TimerKind::cron;
      st.schedule = add_timer(*due, std::move(t));
    }
  }
}

Engine::TimerKey Engine::add_timer(TimePoint due, Timer t) {
  TimerKey k{due, next_seq_++};
  timers_.emplace(k, std::move(t));
  return k;
}

void Engine::on_event(const Event& e, JsonParser& parser, const Lookups& lookups, std::string_view gateway_id,
                      TimePoint now, std::vector<TimedDecision>& out) {
  arm(now);
  Sink sink{parser, lookups, gateway_id, out};
  matched_.clear();
  rules_->trie(e.link).match(e.topic, matched_);
  for (uint32_t i : matched_) consider(i, e, now, sink);  // consider() never touches matched_
}

void Engine::on_device_event(const Event& e, std::string_view device_id, std::string_view event, JsonParser& parser,
                             const Lookups& lookups, std::string_view gateway_id, TimePoint now,
                             std::vector<TimedDecision>& out) {
  arm(now);
  Sink sink{parser, lookups, gateway_id, out};
  for (uint32_t i : device_rules_) {
    const CompiledRule& r = rules_->rules()[i];
    if (r.device == device_id && r.device_event == event) consider(i, e, now, sink);
  }
}

void Engine::on_gateway_event(std::string_view name, JsonParser& parser, const Lookups& lookups,
                              std::string_view gateway_id, TimePoint now, std::vector<TimedDecision>& out) {
  arm(now);
  Sink sink{parser, lookups, gateway_id, out};
  const Event e = synthetic_event(now);
  for (uint32_t i : gateway_rules_) {
    if (rules_->rules()[i].gateway_event == name) consider(i, e, now, sink);
  }
}

void Engine::on_tick(TimePoint now, JsonParser& parser, const Lookups& lookups, std::string_view gateway_id,
                     std::vector<TimedDecision>& out) {
  arm(now);
  Sink sink{parser, lookups, gateway_id, out};
  // A firing may add timers due at or before `now` (a chain of delays): the
  // loop takes them in order too.
  while (!timers_.empty() && timers_.begin()->first.due <= now) {
    auto node = timers_.extract(timers_.begin());
    fire(node.key(), std::move(node.mapped()), sink);
  }
  sweep(now);
}

std::optional<TimePoint> Engine::next_due() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.due;
}

void Engine::fire(TimerKey k, Timer t, Sink& sink) {
  const int64_t index = rules_->index_of(t.rule);
  if (index < 0) return;
  const auto i = static_cast<size_t>(index);
  const CompiledRule& r = rules_->rules()[i];
  RuleState& st = states_[r.id];
  if (t.kind != TimerKind::every && t.kind != TimerKind::cron) mark_dirty(r.id);
  switch (t.kind) {
    case TimerKind::for_done: {
      KeyState& ks = st.keys[t.key];
      ks.for_timer.reset();
      ks.spell_fired = true;
      after_condition(i, t.key, t.event, k.due, sink);
      break;
    }
    case TimerKind::debounce:
      st.keys[t.key].debounce_timer.reset();
      trigger(i, t.key, t.event, k.due, sink);
      break;
    case TimerKind::resume:
      st.keys[t.key].runs.erase(t.run);
      execute(i, t.key, t.run, t.event, t.next_action, k.due, sink);
      break;
    case TimerKind::every:
    case TimerKind::cron: {
      st.schedule.reset();
      const auto next = t.kind == TimerKind::every ? std::optional(k.due + r.every) : r.cron->next_after(k.due);
      if (next) st.schedule = add_timer(*next, Timer{t.kind, r.id, {}, 0, 0, {}});
      consider(i, synthetic_event(k.due), k.due, sink);
      break;
    }
  }
}

void Engine::consider(size_t rule, const Event& e, TimePoint now, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  ++rule_stats_[rule].matches;
  const EvalContext ctx(e, sink.parser, sink.gateway_id, now, sink.lookups);
  const bool holds = !r.condition || r.condition->test(ctx);
  const bool keyed = r.for_duration || r.dedupe || r.throttle || r.debounce || suspends_[rule];
  if (!keyed && holds) {  // the common case: no per-key state to look at
    trigger(rule, e.topic, e, now, sink);
    return;
  }
  const bool told = !holds && count_note(rule, NoteKind::if_false, now);
  if (!holds && !told && !r.for_duration) return;  // false: no spell to end, nobody asks why
  const std::string key = r.key ? r.key->evaluate(ctx).to_text() : e.topic;
  if (told) {
    hand_on(rule, NoteKind::if_false, key, now, sink, r.condition->text() + " was false; " + r.condition->inputs(ctx));
  }
  if (r.for_duration) {
    on_condition(rule, key, holds, e, now, sink);
  } else if (holds) {
    after_condition(rule, key, e, now, sink);
  }
}

bool Engine::count_note(size_t rule, NoteKind kind, TimePoint now) {
  RuleStats& st = rule_stats_[rule];
  ++st.notes[static_cast<size_t>(kind)];
  st.last_stop = kind;
  st.last_stop_at = now;
  return explain_ || is_drop(kind);
}

void Engine::hand_on(size_t rule, NoteKind kind, const std::string& key, TimePoint now, Sink& sink, std::string detail,
                     std::optional<TimePoint> until, int action) {
  sink.out.push_back({now, RuleNote{rules_->rules()[rule].id, kind, action, key, std::move(detail), until}});
}

// `for: D`, Home Assistant's meaning: a true event starts a spell (or
// updates its event); a false one ends it; the timer fires once per spell.
void Engine::on_condition(size_t rule, const std::string& key, bool holds, const Event& e, TimePoint now, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  RuleState& st = states_[r.id];
  if (!holds) {
    auto it = st.keys.find(key);
    if (it == st.keys.end()) return;
    KeyState& ks = it->second;
    if (ks.spell) mark_dirty(r.id);
    if (ks.for_timer) timers_.erase(*ks.for_timer);
    ks.for_timer.reset();
    ks.spell = false;
    ks.spell_fired = false;
    return;
  }
  KeyState& ks = st.keys[key];
  mark_dirty(r.id);
  if (!ks.spell) {
    ks.spell = true;
    ks.spell_fired = false;
    ks.for_timer = add_timer(now + *r.for_duration, Timer{TimerKind::for_done, r.id, key, 0, 0, e});
  } else if (ks.for_timer) {
    timers_.at(*ks.for_timer).event = e;  // the actions see the latest event of the spell
  }
  if (count_note(rule, NoteKind::for_pending, now)) {
    const bool fired = !ks.for_timer;  // this spell already fired; a false event must end it first
    hand_on(rule, NoteKind::for_pending, key, now, sink,
            fired ? "this spell already fired; it fires again after the condition was false"
                  : "the condition must hold for " + format_duration(*r.for_duration),
            fired ? std::nullopt : std::optional(ks.for_timer->due));
  }
}

void Engine::after_condition(size_t rule, const std::string& key, const Event& e, TimePoint now, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  if (!r.dedupe && !r.throttle && !r.debounce) {  // no windows: a `for` rule or one that can wait in a delay
    trigger(rule, key, e, now, sink);
    return;
  }
  KeyState& ks = states_[r.id].keys[key];
  mark_dirty(r.id);
  if (passes_windows(rule, ks, key, e, now, sink)) trigger(rule, key, e, now, sink);
}

// dedupe, throttle and debounce, in that order; false when one of them holds
// the event back (debounce: until the key is quiet).
bool Engine::passes_windows(size_t rule, KeyState& ks, const std::string& key, const Event& e, TimePoint now,
                            Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  if (r.dedupe) {
    if (ks.dedupe_passed && now - *ks.dedupe_passed < *r.dedupe && ks.dedupe_payload == e.payload) {
      if (count_note(rule, NoteKind::dedupe, now)) {
        hand_on(rule, NoteKind::dedupe, key, now, sink, "the same payload within " + format_duration(*r.dedupe),
                *ks.dedupe_passed + *r.dedupe);
      }
      return false;
    }
    ks.dedupe_passed = now;
    ks.dedupe_payload = e.payload;
  }
  if (r.throttle) {
    if (ks.throttle_passed && now - *ks.throttle_passed < *r.throttle) {
      if (count_note(rule, NoteKind::throttled, now)) {
        hand_on(rule, NoteKind::throttled, key, now, sink, "throttle " + format_duration(*r.throttle),
                *ks.throttle_passed + *r.throttle);
      }
      return false;
    }
    ks.throttle_passed = now;
  }
  if (!r.debounce) return true;
  if (ks.debounce_timer) timers_.erase(*ks.debounce_timer);
  ks.debounce_timer = add_timer(now + *r.debounce, Timer{TimerKind::debounce, r.id, key, 0, 0, e});
  if (count_note(rule, NoteKind::debounced, now)) {
    hand_on(rule, NoteKind::debounced, key, now, sink,
            "fires with this event unless another comes within " + format_duration(*r.debounce),
            ks.debounce_timer->due);
  }
  return false;
}

// A run starts for `key`, unless the rule's mode says otherwise: runs of the
// same key waiting in a delay meet it; other keys' runs never do.
void Engine::trigger(size_t rule, const std::string& key, const Event& e, TimePoint now, Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  if (!suspends_[rule]) {  // no delay: every run ends before the next one starts
    execute(rule, key, next_run_++, e, 0, now, sink);
    return;
  }
  KeyState& ks = states_[r.id].keys[key];
  if (!ks.runs.empty()) {
    switch (r.mode) {
      case Mode::single:
        if (count_note(rule, NoteKind::single_busy, now)) {
          hand_on(rule, NoteKind::single_busy, key, now, sink, "mode single: a run of this key waits in a delay",
                  ks.runs.begin()->second.due);
        }
        return;
      case Mode::restart:
        mark_dirty(r.id);
        for (const auto& [run, timer] : ks.runs) timers_.erase(timer);
        ks.runs.clear();
        break;
      case Mode::queued:
        if (ks.queue.size() >= kMaxQueued) {
          if (count_note(rule, NoteKind::queue_full, now)) {
            hand_on(rule, NoteKind::queue_full, key, now, sink,
                    "mode queued: " + std::to_string(kMaxQueued) + " runs of this key already wait");
          }
        } else {
          ks.queue.push_back(e);
          mark_dirty(r.id);
        }
        return;
      case Mode::parallel: break;
    }
  }
  execute(rule, key, next_run_++, e, 0, now, sink);
}

void Engine::execute(size_t rule, const std::string& key, uint64_t run, const Event& e, size_t from, TimePoint now,
                     Sink& sink) {
  const CompiledRule& r = rules_->rules()[rule];
  const EvalContext ctx(e, sink.parser, sink.gateway_id, now, sink.lookups);
  if (from == 0) {  // a new run, not a resumed delay
    ++rule_stats_[rule].fires;
    rule_stats_[rule].last_fire = now;
    if (explain_) hand_on(rule, NoteKind::fired, key, now, sink, "");
  }
  for (size_t i = from; i < r.then.size(); ++i) {
    const CompiledAction& a = r.then[i];
    if (a.kind == ActionKind::delay && a.delay > Duration::zero()) {
      mark_dirty(r.id);
      states_[r.id].keys[key].runs[run] = add_timer(now + a.delay, Timer{TimerKind::resume, r.id, key, run, i + 1, e});
      return;
    }
    run_action(rule, i, key, ctx, sink);
  }
  if (r.mode != Mode::queued || !suspends_[rule]) return;
  // Finished: a queued trigger of this key starts now, at the time this one ended.
  KeyState& ks = states_[r.id].keys[key];
  if (ks.runs.empty() && !ks.queue.empty()) {
    const Event next = std::move(ks.queue.front());
    ks.queue.pop_front();
    mark_dirty(r.id);
    execute(rule, key, next_run_++, next, 0, now, sink);
  }
}

void Engine::replace_rules(std::shared_ptr<const RuleSet> rules) {
  const std::shared_ptr<const RuleSet> old = std::move(rules_);
  rules_ = std::move(rules);
  auto kept = [&](const std::string& id) {
    const int64_t o = old->index_of(id);
    const int64_t n = rules_->index_of(id);
    return o >= 0 && n >= 0 &&
           old->rules()[static_cast<size_t>(o)].fingerprint == rules_->rules()[static_cast<size_t>(n)].fingerprint;
  };
  for (const auto& [id, st] : states_) {
    if (!kept(id)) mark_dirty(id);  // its stored state goes too
  }
  std::erase_if(states_, [&](const auto& item) { return !kept(item.first); });
  std::erase_if(timers_, [&](const auto& item) { return !kept(item.second.rule); });
  std::vector<RuleStats> stats(rules_->rules().size());
  for (size_t i = 0; i < stats.size(); ++i) {
    const int64_t o = old->index_of(rules_->rules()[i].id);
    if (o >= 0) stats[i] = rule_stats_[static_cast<size_t>(o)];
  }
  rule_stats_ = std::move(stats);
  index_rules();
}

}  // namespace edgegw::rules
