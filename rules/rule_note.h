// rules/rule_note.h — why a rule that matched did not act, or what it lost.
//
// The engine counts every note per rule (RuleStats). It hands the drops to
// the gateway always (a RuleNote decision: the daemon logs and counts them,
// `edgegw test` prints them on stderr); the other notes only when asked to
// explain (Engine::set_explain: `edgegw test --explain`, `log_level: debug`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace edgegw::rules {

enum class NoteKind : uint8_t {
  fired,        // its actions started (explain only)
  if_false,     // `if` was false
  for_pending,  // `for`: the condition must hold until a later time
  dedupe,       // the same payload within the dedupe window
  throttled,    // within the throttle window
  debounced,    // waiting for the key to be quiet
  // Drops: an effect or a run is lost.
  single_busy,  // mode single: a run of this key waits in a delay
  queue_full,   // mode queued: kMaxQueued runs of this key already wait
  bad_topic,    // a publish/forward whose topic rendered invalid was skipped
};

inline constexpr size_t kNoteKinds = 9;

constexpr bool is_drop(NoteKind k) { return k >= NoteKind::single_busy; }

constexpr std::string_view note_name(NoteKind k) {
  switch (k) {
    case NoteKind::fired: return "fired";
    case NoteKind::if_false: return "if_false";
    case NoteKind::for_pending: return "for_pending";
    case NoteKind::dedupe: return "dedupe";
    case NoteKind::throttled: return "throttled";
    case NoteKind::debounced: return "debounced";
    case NoteKind::single_busy: return "single_busy";
    case NoteKind::queue_full: return "queue_full";
    case NoteKind::bad_topic: return "bad_topic";
  }
  return "";
}

struct RuleNote {
  std::string rule;  // rule id
  NoteKind kind = NoteKind::fired;
  int action = -1;                 // the action's index in `then` (bad_topic), else -1
  std::string key;                 // the run's key (the topic unless `key:` says otherwise)
  std::string detail;              // for people: what the rule saw, or why the action failed
  std::optional<TimePoint> until;  // throttled, for_pending, debounced, single_busy: when that ends
};

}  // namespace edgegw::rules
