// rules/decision.h — what the rule engine decided; the gateway executes it.
//
// Actions are data (style.md): the engine returns these, in order, and does
// no I/O. std::visit over Decision makes the compiler check every case.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "rules/enqueue.h"
#include "rules/rule_note.h"
#include "rules/value.h"

namespace edgegw::rules {

// `publish` and `forward` (forward = true): an outbox row on msg.link.
// msg.origin is the rule id.
struct Publish {
  Enqueue msg;
  bool forward = false;
};

// `set: {NAME: VALUE}`: persisted gateway state, read back as state.NAME.
struct SetState {
  std::string rule;
  std::string name;
  Value value;
};

struct LogLine {
  std::string rule;
  std::string level;  // trace|debug|info|warn|error
  std::string message;
};

struct HttpCall {
  std::string rule;
  std::string method;  // POST | PUT | GET
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = std::chrono::seconds(5);
  int retries = 3;
};

// RuleNote (rules/rule_note.h): not an effect. A drop, or with explain on
// why a rule stopped or that it fired.
using Decision = std::variant<Publish, SetState, LogLine, HttpCall, RuleNote>;

// A decision with the time it was made (a delayed action carries the time
// its timer fired; `edgegw test` prints it as "at").
struct TimedDecision {
  TimePoint at;
  Decision decision;
};

}  // namespace edgegw::rules
