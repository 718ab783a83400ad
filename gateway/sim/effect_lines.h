// gateway/sim/effect_lines.h — the stdout lines of `edgegw test` (design.md,
// Commands).
//
// One JSON object per effect, keys in this order:
//   publish/forward: at, rule, action, to, topic, payload, qos, retain
//   set:             at, rule, action, name, value (a JSON value)
//   log:             at, rule, action, message
//   http:            at, rule, action, method, url, body
// Times as RFC 3339 UTC. A RuleNote is not an effect: its line is its time
// and rule_note_text (gateway/engine/rule_note_text.h), for stderr.
// Pure functions; any thread.
#pragma once

#include <string>

#include "core/clock.h"
#include "rules/decision.h"
#include "rules/enqueue.h"

namespace edgegw::gateway {

// A rule's decision; no trailing newline.
std::string effect_line(const rules::TimedDecision& d);

// An outbox row: `action` "forward" or "publish"; "rule" is msg.origin
// ("route:<from>" for routes, the rule id for rules).
std::string enqueue_line(TimePoint at, const rules::Enqueue& msg, bool forward);

}  // namespace edgegw::gateway
