// gateway/engine/rule_note_log.h — the daemon's log of RuleNotes.
//
// Drops are warnings, at most one a minute per rule and reason; the line
// says how many more of them came since the last one logged. The other notes
// (fired, and why a rule stopped) reach the engine only with `log_level:
// debug` (RuleReload turns explain on) and are logged at debug, each.
// Counting is the engine's (rules::RuleStats), not this class's.
//
// Engine thread only.
#pragma once

#include <spdlog/logger.h>

#include <array>
#include <map>
#include <memory>
#include <string>

#include "core/clock.h"
#include "rules/rule_note.h"

namespace edgegw::gateway {

class RuleNoteLog {
 public:
  static constexpr auto kEvery = std::chrono::seconds(60);

  explicit RuleNoteLog(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}

  // `now`: the monotonic time, for the rate limit.
  void log(const rules::RuleNote& note, MonoTime now);

 private:
  struct Limit {
    MonoTime next{};
    uint64_t held = 0;  // drops not logged since the last line
  };
  std::shared_ptr<spdlog::logger> log_;
  std::map<std::pair<std::string, rules::NoteKind>, Limit> limits_;  // by rule id and reason
};

}  // namespace edgegw::gateway
