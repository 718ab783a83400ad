// gateway/engine/rule_note_text.h — a RuleNote (rules/rule_note.h) as one
// line for people: the daemon's log and `edgegw test`'s stderr say it alike.
//
//   rule door fired [doors/front]
//   rule door stopped: if_false: payload.open == true was false; payload.open = false [doors/back]
//   rule door stopped: throttled until 2026-01-14T14:23:00Z: throttle 10m [doors/front]
//   rule lights dropped action 0: bad_topic: topic template '…': … [motion/1]
//   rule lights dropped a run: single_busy until 2026-01-14T14:15:00Z: mode single: … [motion/1]
//
// Pure; any thread.
#pragma once

#include <string>

#include "rules/rule_note.h"

namespace edgegw::gateway {

std::string rule_note_text(const rules::RuleNote& note);

}  // namespace edgegw::gateway
