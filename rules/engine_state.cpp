// rules/engine_state.cpp — a rule's state as bytes, and back (see
// Engine::save_state), and the sweep of per-key state that no longer matters.
//
// Format, little-endian, versioned by its first byte: the rule's fingerprint,
// its key states (each with its `queued` triggers), its pending timers (with
// their events and keys; a `delay` timer is a run of its key). Any
// change to the layout bumps kVersion; an old row then fails to restore and
// the rule starts fresh, as after an edit. The reader checks every length
// against what is left, so a damaged row is refused, never trusted.
#include <cstring>

#include "rules/engine.h"

namespace edgegw::rules {

namespace {

constexpr uint8_t kVersion = 2;  // 2: runs and queues per key
constexpr auto kSweepEvery = std::chrono::minutes(1);

class Writer {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void time(TimePoint t) { u64(static_cast<uint64_t>(t.time_since_epoch().count())); }
  void opt_time(const std::optional<TimePoint>& t) {
    u8(t ? 1 : 0);
    if (t) time(*t);
  }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void event(const Event& e) {
    str(e.topic);
    str(e.payload);
    u8(static_cast<uint8_t>(e.qos));
    u8(e.retained ? 1 : 0);
    u8(static_cast<uint8_t>(e.link));
    time(e.received_at);
    u64(e.journal_seq);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

  uint8_t u8() {
    if (!need(1)) return 0;
    auto v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint64_t u64() {
    if (!need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  TimePoint time() { return TimePoint(Duration(static_cast<int64_t>(u64()))); }
  std::optional<TimePoint> opt_time() {
    if (u8() == 0) return std::nullopt;
    return time();
  }
  std::string str() {
    uint64_t n = u64();
    if (!need(n)) return {};
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  Event event() {
    Event e;
    e.topic = str();
    e.payload = str();
    e.qos = u8();
    e.retained = u8() != 0;
    uint8_t link = u8();
    if (link > 1) ok_ = false;
    e.link = static_cast<Link>(link);
    e.received_at = time();
    e.journal_seq = u64();
    return e;
  }
  // A count of items each at least `min_bytes` long: refuses counts the
  // remaining bytes cannot hold, before anything is reserved for them.
  uint64_t count(size_t min_bytes) {
    uint64_t n = u64();
    if (ok_ && n > in_.size() / min_bytes) ok_ = false;
    return ok_ ? n : 0;
  }

 private:
  bool need(uint64_t n) {
    if (!ok_ || n > in_.size()) ok_ = false;
    return ok_;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

void Engine::mark_dirty(const std::string& rule_id) {
  if (dirty_seen_.insert(rule_id).second) dirty_.push_back(rule_id);
}

void Engine::clear_dirty() {
  dirty_.clear();
  dirty_seen_.clear();
}

std::string Engine::save_state(std::string_view rule_id) const {
  const int64_t index = rules_->index_of(std::string(rule_id));
  auto it = states_.find(std::string(rule_id));
  if (index < 0 || it == states_.end()) return {};
  const RuleState& st = it->second;
  std::vector<std::pair<const TimerKey*, const Timer*>> timers;
  for (const auto& [k, t] : timers_) {
    if (t.rule == rule_id && t.kind != TimerKind::every && t.kind != TimerKind::cron) timers.emplace_back(&k, &t);
  }
  if (st.keys.empty() && timers.empty()) return {};

  Writer w;
  w.u8(kVersion);
  w.str(rules_->rules()[static_cast<size_t>(index)].fingerprint);
  w.u64(st.keys.size());
  for (const auto& [key, ks] : st.keys) {
    w.str(key);
    w.opt_time(ks.throttle_passed);
    w.opt_time(ks.dedupe_passed);
    w.str(ks.dedupe_payload);
    w.u8(static_cast<uint8_t>((ks.spell ? 1 : 0) | (ks.spell_fired ? 2 : 0)));
    w.u64(ks.queue.size());
    for (const Event& e : ks.queue) w.event(e);
  }
  w.u64(timers.size());  // in firing order
  for (const auto& [k, t] : timers) {
    w.u8(static_cast<uint8_t>(t->kind));
    w.time(k->due);
    w.str(t->key);
    w.u64(t->run);
    w.u64(t->next_action);
    w.event(t->event);
  }
  return w.take();
}

namespace {

// The per-key windows, spells and queues, as the state was saved.
template <class KeyMap>
void read_keys(Reader& r, KeyMap& keys) {
  for (uint64_t n = r.count(27); n > 0 && r.ok(); --n) {  // 27: the smallest key state
    std::string key = r.str();
    typename KeyMap::mapped_type ks;
    ks.throttle_passed = r.opt_time();
    ks.dedupe_passed = r.opt_time();
    ks.dedupe_payload = r.str();
    uint8_t flags = r.u8();
    ks.spell = (flags & 1) != 0;
    ks.spell_fired = (flags & 2) != 0;
    for (uint64_t q = r.count(35); q > 0 && r.ok(); --q) ks.queue.push_back(r.event());  // 35: the smallest event
    keys.emplace(std::move(key), std::move(ks));
  }
}

}  // namespace

bool Engine::restore_state(std::string_view rule_id, std::string_view bytes) {
  const std::string id(rule_id);
  const int64_t index = rules_->index_of(id);
  if (index < 0) return false;
  const CompiledRule& rule = rules_->rules()[static_cast<size_t>(index)];
  Reader r(bytes);
  if (r.u8() != kVersion || r.str() != rule.fingerprint || !r.ok()) return false;

  RuleState st;
  read_keys(r, st.keys);
  std::vector<std::pair<TimePoint, Timer>> timers;
  for (uint64_t n = r.count(68); n > 0 && r.ok(); --n) {  // 68: the smallest timer
    Timer t;
    uint8_t kind = r.u8();
    if (kind > static_cast<uint8_t>(TimerKind::resume)) return false;  // every/cron are never saved
    t.kind = static_cast<TimerKind>(kind);
    TimePoint due = r.time();
    t.rule = id;
    t.key = r.str();
    t.run = r.u64();
    t.next_action = r.u64();
    t.event = r.event();
    if (t.kind == TimerKind::resume && t.next_action > rule.then.size()) return false;
    timers.emplace_back(due, std::move(t));
  }
  if (!r.done()) return false;

  // Decoded whole: only now touch the engine.
  for (auto& [due, t] : timers) {
    const TimerKind kind = t.kind;
    const std::string key = t.key;
    const uint64_t run = t.run;
    TimerKey k = add_timer(due, std::move(t));
    if (kind == TimerKind::for_done) st.keys[key].for_timer = k;
    if (kind == TimerKind::debounce) st.keys[key].debounce_timer = k;
    if (kind == TimerKind::resume) {
      st.keys[key].runs[run] = k;
      next_run_ = std::max(next_run_, run + 1);
    }
  }
  std::optional<TimerKey> schedule = states_[id].schedule;
  st.schedule = schedule;
  states_[id] = std::move(st);
  return true;
}

// Forgets the keys that went quiet: no spell, timer, run or queue, and every window
// over, so their state would change nothing. A topic-keyed throttle over
// thousands of device topics would otherwise keep one entry per topic ever
// seen.
void Engine::sweep(TimePoint now) {
  if (next_sweep_ && now < *next_sweep_) return;
  next_sweep_ = now + kSweepEvery;
  for (auto& [id, st] : states_) {
    const int64_t index = rules_->index_of(id);
    if (index < 0) continue;
    const CompiledRule& r = rules_->rules()[static_cast<size_t>(index)];
    auto over = [now](const std::optional<TimePoint>& at, const std::optional<Duration>& window) {
      return !at || !window || now - *at >= *window;
    };
    size_t erased = std::erase_if(st.keys, [&](const auto& item) {
      const KeyState& ks = item.second;
      return ks.idle() && over(ks.throttle_passed, r.throttle) && over(ks.dedupe_passed, r.dedupe);
    });
    if (erased > 0) mark_dirty(id);
  }
}

void Engine::clock_jumped(Duration delta, TimePoint now) {
  std::map<TimerKey, Timer> moved;
  std::map<TimerKey, TimerKey> renamed;
  for (auto& [k, t] : timers_) {
    if (t.kind == TimerKind::every || t.kind == TimerKind::cron) continue;  // re-armed below
    TimerKey nk{k.due + delta, k.seq};
    t.event.received_at += delta;
    renamed.emplace(k, nk);
    moved.emplace(nk, std::move(t));
  }
  timers_ = std::move(moved);
  auto rename = [&](std::optional<TimerKey>& k) {
    if (k) k = renamed.at(*k);
  };
  auto shift = [delta](std::optional<TimePoint>& t) {
    if (t) *t += delta;
  };
  for (auto& [id, st] : states_) {
    for (auto& [key, ks] : st.keys) {
      rename(ks.for_timer);
      rename(ks.debounce_timer);
      shift(ks.throttle_passed);
      shift(ks.dedupe_passed);
      for (auto& [run, k] : ks.runs) k = renamed.at(k);
      for (Event& e : ks.queue) e.received_at += delta;
    }
    st.schedule.reset();
    mark_dirty(id);
  }
  if (next_sweep_) *next_sweep_ += delta;
  armed_ = false;
  arm(now);
}

}  // namespace edgegw::rules
